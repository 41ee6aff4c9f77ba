// @ts-check
/**
 * The room-wide safety code of docs/e2ee.md: a hash of the verified roster
 * (everyone's participant ID, sender index and ECDH key), shown as six
 * emoji and as twelve digits. People compare it over the call; equal codes
 * mean nobody's keys were swapped.
 */
import { concat, label } from './keys.js';

/**
 * 64 emoji that are easy to name aloud and look alike on every platform.
 * The order is part of the protocol: never reorder, only replace in a new
 * protocol version.
 */
export const SAFETY_EMOJI = Object.freeze([
  '🐶', '🐱', '🦁', '🐴', '🦄', '🐷', '🐘', '🐰',
  '🐼', '🐓', '🐧', '🐢', '🐟', '🐙', '🦋', '🌷',
  '🌳', '🌵', '🍄', '🌏', '🌙', '☁️', '🔥', '🍌',
  '🍎', '🍓', '🌽', '🍕', '🎂', '❤️', '😀', '🤖',
  '🎩', '👓', '🔧', '🎅', '👍', '☂️', '⌛', '⏰',
  '🎁', '💡', '📕', '✏️', '📎', '✂️', '🔒', '🔑',
  '🔨', '☎️', '🏁', '🚂', '🚲', '✈️', '🚀', '🏆',
  '⚽', '🎸', '🎺', '🔔', '⚓', '🎧', '📁', '📌',
]);

/**
 * @typedef {object} SafetyCode
 * @property {Uint8Array} hash the full SHA-256
 * @property {number[]} indexes six 6-bit values from the first 36 bits
 * @property {string} emoji six emoji separated by spaces
 * @property {string} digits twelve digits in three groups of four
 */

/**
 * Computes the safety code of a roster, which must include ourselves.
 * @param {string} room
 * @param {{ pid: string, index: number, ecdh: Uint8Array }[]} entries
 * @returns {Promise<SafetyCode>}
 */
export async function safetyCode(room, entries) {
  const sorted = [...entries].sort((a, b) => (a.pid < b.pid ? -1 : a.pid > b.pid ? 1 : 0));
  const zero = new Uint8Array([0]);
  const parts = [label('conclave v1 safety', room)];
  for (const e of sorted) parts.push(zero, label(e.pid, e.index), zero, e.ecdh);
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', concat(...parts)));
  let bits = 0n;
  for (let i = 0; i < 8; i++) bits = (bits << 8n) | BigInt(hash[i]);
  const indexes = [];
  for (let i = 0; i < 6; i++) indexes.push(Number((bits >> BigInt(58 - 6 * i)) & 63n));
  const d = (bits % 1_000_000_000_000n).toString().padStart(12, '0');
  return {
    hash,
    indexes,
    emoji: indexes.map((i) => SAFETY_EMOJI[i]).join(' '),
    digits: `${d.slice(0, 4)} ${d.slice(4, 8)} ${d.slice(8)}`,
  };
}

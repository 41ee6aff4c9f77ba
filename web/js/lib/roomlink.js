// @ts-check
/**
 * Meeting links and room names. Pure functions with no DOM, shared by the
 * landing page and the meeting client.
 *
 * A meeting link is `https://HOST/r/ROOM#k=SECRET`. SECRET is 32 random
 * bytes in unpadded base64url; it lives only in the fragment, which the
 * browser never sends to the server.
 */

/** Longest room name the server accepts. */
export const ROOM_NAME_MAX = 64;

/** Number of random bytes in a room secret. */
export const SECRET_BYTES = 32;

const ROOM_NAME_RE = /^[a-z0-9_-]{1,64}$/;

// Short, friendly, unambiguous words. With two words and a number from 10
// to 99 there are about 1.3 million names, so that two groups on one
// server rarely draw the same room.
const ADJECTIVES = [
  'able', 'agile', 'amber', 'amiable', 'ample', 'artful', 'azure', 'balmy',
  'bold', 'bouncy', 'brave', 'breezy', 'bright', 'brisk', 'calm', 'candid',
  'cheery', 'chipper', 'civic', 'clear', 'clever', 'cosmic', 'cozy', 'crisp',
  'curious', 'dapper', 'daring', 'deft', 'dreamy', 'eager', 'early', 'earnest',
  'easy', 'elegant', 'epic', 'fair', 'fancy', 'fast', 'fleet', 'fluent',
  'frank', 'fresh', 'friendly', 'frosty', 'gentle', 'giant', 'glad', 'golden',
  'grand', 'happy', 'hardy', 'hearty', 'honest', 'humble', 'ideal', 'jolly',
  'jovial', 'keen', 'kind', 'lively', 'loyal', 'lucid', 'lucky', 'lunar',
  'mellow', 'merry', 'mighty', 'misty', 'modest', 'neat', 'nimble', 'noble',
  'novel', 'open', 'patient', 'peppy', 'plucky', 'polite', 'proud', 'quick',
  'quiet', 'radiant', 'rapid', 'ready', 'regal', 'robust', 'rosy', 'royal',
  'rustic', 'sandy', 'savvy', 'serene', 'sharp', 'shiny', 'silent', 'silver',
  'simple', 'sleek', 'smart', 'snowy', 'solar', 'solid', 'sonic', 'spry',
  'stable', 'steady', 'stellar', 'sturdy', 'sunny', 'swift', 'tidy', 'tranquil',
  'true', 'trusty', 'upbeat', 'valiant', 'vivid', 'warm', 'wise', 'witty',
  'zesty', 'zippy',
];

const NOUNS = [
  'acorn', 'alpaca', 'aspen', 'badger', 'beaver', 'birch', 'bison', 'bobcat',
  'brook', 'camel', 'canyon', 'cedar', 'cheetah', 'cloud', 'comet', 'condor',
  'coral', 'cove', 'coyote', 'crane', 'delta', 'dingo', 'dolphin', 'dune',
  'eagle', 'egret', 'ember', 'falcon', 'fern', 'ferret', 'finch', 'fjord',
  'forest', 'fox', 'gazelle', 'gecko', 'gibbon', 'glacier', 'gopher', 'grove',
  'harbor', 'hare', 'hawk', 'hedgehog', 'heron', 'ibis', 'island', 'jaguar',
  'kestrel', 'kiwi', 'koala', 'lagoon', 'lark', 'lemur', 'llama', 'lynx',
  'magpie', 'maple', 'marten', 'meadow', 'meerkat', 'mesa', 'moose', 'narwhal',
  'newt', 'oasis', 'ocelot', 'orca', 'orchid', 'oriole', 'osprey', 'otter',
  'owl', 'panda', 'parrot', 'pebble', 'pelican', 'penguin', 'pine', 'planet',
  'plover', 'pony', 'prairie', 'puffin', 'quail', 'quokka', 'rabbit', 'raccoon',
  'raven', 'reindeer', 'river', 'robin', 'salmon', 'seal', 'sparrow', 'squid',
  'starling', 'stork', 'summit', 'swan', 'tapir', 'tern', 'thrush', 'tiger',
  'toucan', 'trout', 'tundra', 'turtle', 'valley', 'walrus', 'whale', 'willow',
  'wombat', 'wren', 'yak', 'zebra',
];

/**
 * Returns a uniformly random integer in [0, n), from the system's CSPRNG.
 * Rejection sampling avoids the bias of a plain modulo.
 * @param {number} n at most 2**32
 * @returns {number}
 */
export function randomInt(n) {
  const limit = Math.floor(2 ** 32 / n) * n;
  const buf = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(buf);
    if (buf[0] < limit) return buf[0] % n;
  }
}

/**
 * Returns a readable random room name such as `brisk-otter-42`.
 * @param {(n: number) => number} [rand] random integer in [0, n)
 * @returns {string}
 */
export function randomRoomName(rand = randomInt) {
  const adjective = ADJECTIVES[rand(ADJECTIVES.length)];
  const noun = NOUNS[rand(NOUNS.length)];
  return `${adjective}-${noun}-${10 + rand(90)}`;
}

/**
 * Encodes bytes as unpadded base64url (RFC 4648 section 5).
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function base64url(bytes) {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Returns a new room secret: 32 random bytes, unpadded base64url.
 * @returns {string}
 */
export function randomSecret() {
  const bytes = new Uint8Array(SECRET_BYTES);
  crypto.getRandomValues(bytes);
  return base64url(bytes);
}

/**
 * Returns the meeting link for a room and its secret.
 * @param {string} origin such as `https://meet.example.org`
 * @param {string} room a valid room name
 * @param {string} secret from randomSecret
 * @returns {string}
 */
export function meetingURL(origin, room, secret) {
  return `${origin}/r/${encodeURIComponent(room)}#k=${secret}`;
}

/**
 * Normalizes what a person typed as a room name: trimmed, lower case, and
 * each run of white space turned into one `-`.
 * @param {string} input
 * @returns {string}
 */
export function normalizeRoomName(input) {
  return input.trim().toLowerCase().replace(/\s+/g, '-');
}

/**
 * Reports whether input, once normalized, is a room name the server
 * accepts: 1 to 64 of a-z, 0-9, `-` and `_`.
 * @param {string} input
 * @returns {boolean}
 */
export function validRoomName(input) {
  return ROOM_NAME_RE.test(normalizeRoomName(input));
}

/** Translation key (i18n/LANG.json) of the rule validRoomName enforces. */
export const ROOM_NAME_RULE = 'joinBadRoom';

/**
 * @typedef {{ url: string, room: string }} JoinTarget
 * @typedef {{ error: string, host?: string }} JoinError error is a translation key
 *   (i18n/LANG.json); host names the other server of joinOtherServer
 */

/**
 * Turns what a person typed into the join box into the address to open.
 * A room name opens `/r/ROOM` on this server. A pasted meeting link of this
 * server keeps its query and fragment (the room secret). Links to other
 * servers and anything that is not a meeting link are refused, so the box
 * can never send the browser to an arbitrary address.
 * @param {string} input
 * @param {string} origin the page's origin, such as `https://meet.example.org`
 * @returns {JoinTarget | JoinError}
 */
export function parseJoinInput(input, origin) {
  const text = input.trim();
  if (text === '') return { error: 'joinEmpty' };
  if (!text.includes('/')) {
    const room = normalizeRoomName(text);
    if (!ROOM_NAME_RE.test(room)) return { error: ROOM_NAME_RULE };
    return { url: `${origin}/r/${encodeURIComponent(room)}`, room };
  }
  /** @type {URL} */
  let url;
  try {
    url = new URL(text, origin);
  } catch {
    return { error: 'joinNotLink' };
  }
  if (url.origin !== origin) {
    return { error: 'joinOtherServer', host: url.host };
  }
  const m = /^\/r\/([^/]+)\/?$/.exec(url.pathname);
  if (!m) return { error: 'joinNotMeetingLink' };
  let room;
  try {
    room = decodeURIComponent(m[1]);
  } catch {
    return { error: ROOM_NAME_RULE };
  }
  if (!ROOM_NAME_RE.test(room)) return { error: ROOM_NAME_RULE };
  return { url: `${origin}/r/${encodeURIComponent(room)}${url.search}${url.hash}`, room };
}

/**
 * Returns the room of a meeting page's path, `/r/ROOM`, lower-cased as the
 * protocol wants it, or '' when the path is not a valid meeting path.
 * @param {string} pathname such as location.pathname
 * @returns {string}
 */
export function roomFromPath(pathname) {
  const m = /^\/r\/([^/]+)$/.exec(pathname);
  if (!m) return '';
  let room;
  try {
    room = decodeURIComponent(m[1]).toLowerCase();
  } catch {
    return '';
  }
  return ROOM_NAME_RE.test(room) ? room : '';
}

/**
 * Returns the room secret of a meeting link's fragment (`#k=SECRET`), or
 * '' when there is none. The fragment never reaches the server.
 * @param {string} hash such as location.hash
 * @returns {string}
 */
export function secretFromFragment(hash) {
  const k = new URLSearchParams(hash.replace(/^#/, '')).get('k') ?? '';
  return /^[A-Za-z0-9_-]{1,128}$/.test(k) ? k : '';
}

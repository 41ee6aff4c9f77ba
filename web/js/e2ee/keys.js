// @ts-check
/**
 * The cryptography of Conclave's E2EE key protocol (docs/e2ee.md) on
 * WebCrypto: keys derived from the room secret, MAC-ed roster
 * announcements, pairwise key wrapping, and sealed messages (chat,
 * reactions, hands). Pure functions, no state, no DOM: session.js holds the
 * policy. testdata/e2ee/vectors.json (made by the Go bots' implementation)
 * pins every function here in web/e2ee_keys_browser_test.go.
 */

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

/** Protocol version of every E2EE message. */
export const E2EE_VERSION = 1;
/** Bytes of a room secret. */
export const SECRET_BYTES = 32;
/** Bytes of the uncompressed P-256 point of an announce. */
export const ECDH_PUBLIC_BYTES = 65;
/** Bytes of an AES-GCM nonce in key and msg messages. */
export const NONCE_BYTES = 12;

/**
 * Unpadded base64url (RFC 4648 section 5).
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function b64u(bytes) {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Decodes unpadded base64url; null for anything else.
 * @param {unknown} s
 * @returns {Uint8Array | null}
 */
export function fromB64u(s) {
  if (typeof s !== 'string' || !/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) return null;
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Concatenates byte strings.
 * @param {...Uint8Array} parts
 * @returns {Uint8Array<ArrayBuffer>}
 */
export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * label(a, b, …) of docs/e2ee.md: the fields' UTF-8 (integers in decimal)
 * joined by one zero byte.
 * @param {...(string | number)} fields
 * @returns {Uint8Array<ArrayBuffer>}
 */
export function label(...fields) {
  return enc.encode(fields.map(String).join('\0'));
}

/**
 * HKDF-SHA256 with an empty salt.
 * @param {Uint8Array<ArrayBuffer>} ikm
 * @param {string | Uint8Array<ArrayBuffer>} info
 * @param {number} n output bytes
 * @returns {Promise<Uint8Array<ArrayBuffer>>}
 */
export async function hkdf(ikm, info, n) {
  const key = await crypto.subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits']);
  const infoBytes = typeof info === 'string' ? enc.encode(info) : info;
  const bits = await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: infoBytes }, key, n * 8);
  return new Uint8Array(bits);
}

/** The sender-key ratchet of RFC 9605 section 5.1: one implementation for the worker and us. */
export { ratchet } from './sframe.js';

/**
 * @typedef {object} RoomKeys
 * @property {Uint8Array<ArrayBuffer>} mac raw roster MAC key (32 bytes)
 * @property {Uint8Array<ArrayBuffer>} wrap raw wrap key (32 bytes)
 * @property {CryptoKey} macKey HMAC-SHA256 key of `mac`
 */

/**
 * Derives the room's keys from its secret.
 * @param {Uint8Array<ArrayBuffer>} secret 32 bytes from the link
 * @returns {Promise<RoomKeys>}
 */
export async function roomKeys(secret) {
  if (secret.length !== SECRET_BYTES) throw new RangeError(`room secret must be ${SECRET_BYTES} bytes`);
  const mac = await hkdf(secret, 'conclave v1 roster mac', 32);
  const wrap = await hkdf(secret, 'conclave v1 wrap', 32);
  const macKey = await crypto.subtle.importKey('raw', mac, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  return { mac, wrap, macKey };
}

/**
 * @typedef {object} Identity
 * @property {CryptoKey} privateKey ECDH P-256, not extractable
 * @property {Uint8Array<ArrayBuffer>} publicRaw the 65-byte uncompressed point
 */

/** @returns {Promise<Identity>} a fresh ECDH P-256 key pair for one join */
export async function newIdentity() {
  const pair = /** @type {CryptoKeyPair} */ (await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']));
  const publicRaw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  return { privateKey: pair.privateKey, publicRaw };
}

/**
 * The bytes an announce MAC covers.
 * @param {string} room @param {string} pid @param {number} index
 * @param {Uint8Array} ecdh
 */
function announceInput(room, pid, index, ecdh) {
  return concat(label('conclave v1 announce', room, pid, index), new Uint8Array([0]), ecdh);
}

/**
 * Builds our announce (relay data).
 * @param {RoomKeys} keys @param {string} room @param {string} pid @param {number} index
 * @param {Uint8Array} ecdh our public point
 */
export async function announce(keys, room, pid, index, ecdh) {
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', keys.macKey, announceInput(room, pid, index, ecdh)));
  return { t: 'announce', v: E2EE_VERSION, pid, index, ecdh: b64u(ecdh), mac: b64u(mac) };
}

/**
 * @typedef {object} Entry a verified roster entry
 * @property {string} pid
 * @property {number} index
 * @property {Uint8Array<ArrayBuffer>} ecdh
 */

/**
 * Verifies an announce received from `from`: null unless its MAC is right
 * for this room and it names its sender.
 * @param {RoomKeys} keys @param {string} room @param {string} from the relay's sender
 * @param {Record<string, unknown>} data
 * @returns {Promise<Entry | null>}
 */
export async function verifyAnnounce(keys, room, from, data) {
  const ecdh = fromB64u(data.ecdh);
  const mac = fromB64u(data.mac);
  const index = data.index;
  if (data.pid !== from || !validIndex(index) || !ecdh || ecdh.length !== ECDH_PUBLIC_BYTES || !mac || mac.length !== 32) return null;
  const ok = await crypto.subtle.verify('HMAC', keys.macKey, /** @type {Uint8Array<ArrayBuffer>} */ (mac), announceInput(room, from, /** @type {number} */ (index), ecdh));
  return ok ? { pid: from, index: /** @type {number} */ (index), ecdh: /** @type {Uint8Array<ArrayBuffer>} */ (ecdh) } : null;
}

/** @param {unknown} i @returns {i is number} */
export function validIndex(i) {
  return Number.isInteger(i) && /** @type {number} */ (i) >= 1 && /** @type {number} */ (i) <= 255;
}

/**
 * The raw pairwise wrap key for messages from `fromPid` to `toPid`.
 * @param {CryptoKey} myPrivate @param {Uint8Array<ArrayBuffer>} theirPublic 65 bytes
 * @param {RoomKeys} keys @param {string} room @param {string} fromPid @param {string} toPid
 */
export async function pairKeyBytes(myPrivate, theirPublic, keys, room, fromPid, toPid) {
  const pub = await crypto.subtle.importKey('raw', theirPublic, { name: 'ECDH', namedCurve: 'P-256' }, false, []);
  const shared = new Uint8Array(await crypto.subtle.deriveBits({ name: 'ECDH', public: pub }, myPrivate, 256));
  return hkdf(concat(shared, keys.wrap), label('conclave v1 key-wrap', room, fromPid, toPid), 16);
}

/** @param {Uint8Array<ArrayBuffer>} raw 16 bytes @returns {Promise<CryptoKey>} */
export function aesKey(raw) {
  return crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

/** @returns {Uint8Array<ArrayBuffer>} a fresh random nonce */
export function randomNonce() {
  return crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
}

/**
 * @typedef {object} KeyFields
 * @property {string} room @property {string} from @property {string} to
 * @property {number} index @property {number} gen @property {number} step
 */

/** @param {KeyFields} f */
function keyAAD(f) {
  return label('conclave v1 key', f.room, f.from, f.to, f.index, f.gen, f.step);
}

/**
 * Wraps a sender key for one participant (a `key` message).
 * @param {CryptoKey} pairKey from pairKeyBytes(…, from = us, to = them)
 * @param {KeyFields} f @param {Uint8Array<ArrayBuffer>} baseKey
 * @param {Uint8Array<ArrayBuffer>} [nonce] fixed only in tests
 */
export async function wrapKey(pairKey, f, baseKey, nonce = randomNonce()) {
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: keyAAD(f) }, pairKey, baseKey));
  return { t: 'key', v: E2EE_VERSION, index: f.index, gen: f.gen, step: f.step, nonce: b64u(nonce), ct: b64u(ct) };
}

/**
 * Unwraps a `key` message; null when it does not authenticate.
 * @param {CryptoKey} pairKey from pairKeyBytes(…, from = them, to = us)
 * @param {KeyFields} f @param {Record<string, unknown>} data
 * @returns {Promise<Uint8Array<ArrayBuffer> | null>}
 */
export async function unwrapKey(pairKey, f, data) {
  const nonce = fromB64u(data.nonce);
  const ct = fromB64u(data.ct);
  if (!nonce || nonce.length !== NONCE_BYTES || !ct || ct.length < 16 + 16 || ct.length > 64 + 16) return null;
  try {
    const pt = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: /** @type {Uint8Array<ArrayBuffer>} */ (nonce), additionalData: keyAAD(f) }, pairKey, /** @type {Uint8Array<ArrayBuffer>} */ (ct));
    return new Uint8Array(pt);
  } catch {
    return null;
  }
}

/** @param {Uint8Array<ArrayBuffer>} baseKey @returns {Promise<CryptoKey>} the msg key of a sender key */
export async function msgKey(baseKey) {
  return aesKey(await hkdf(baseKey, 'conclave v1 msg', 16));
}

/**
 * @typedef {object} MsgFields
 * @property {string} room @property {string} from
 * @property {number} index @property {number} gen @property {number} step
 */

/** @param {MsgFields} f */
function msgAAD(f) {
  return label('conclave v1 msg', f.room, f.from, f.index, f.gen, f.step);
}

/**
 * Seals a message body (a `msg` message).
 * @param {CryptoKey} key from msgKey @param {MsgFields} f @param {object} body JSON
 * @param {Uint8Array<ArrayBuffer>} [nonce] fixed only in tests
 */
export async function sealMsg(key, f, body, nonce = randomNonce()) {
  const pt = enc.encode(JSON.stringify(body));
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: msgAAD(f) }, key, pt));
  return { t: 'msg', v: E2EE_VERSION, index: f.index, gen: f.gen, step: f.step, nonce: b64u(nonce), ct: b64u(ct) };
}

/** Largest sealed message we open (chat text is at most 4000 characters). */
const MAX_MSG_BYTES = 32 * 1024;

/**
 * Opens a `msg`; null when it does not authenticate or is not a JSON object.
 * @param {CryptoKey} key @param {MsgFields} f @param {Record<string, unknown>} data
 * @returns {Promise<Record<string, unknown> | null>}
 */
export async function openMsg(key, f, data) {
  const nonce = fromB64u(data.nonce);
  const ct = fromB64u(data.ct);
  if (!nonce || nonce.length !== NONCE_BYTES || !ct || ct.length < 16 || ct.length > MAX_MSG_BYTES) return null;
  try {
    const pt = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: /** @type {Uint8Array<ArrayBuffer>} */ (nonce), additionalData: msgAAD(f) }, key, /** @type {Uint8Array<ArrayBuffer>} */ (ct));
    const body = JSON.parse(dec.decode(pt));
    return body && typeof body === 'object' && !Array.isArray(body) ? body : null;
  } catch {
    return null;
  }
}

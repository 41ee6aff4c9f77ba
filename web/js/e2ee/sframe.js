// @ts-check
/**
 * RFC 9605 SFrame on WebCrypto: header encoding, key schedule, the five
 * cipher suites of the RFC, and a Sender and a Receiver. No DOM: it runs
 * in a page or in the E2EE worker. The bytes it produces are byte-exact
 * RFC 9605 ciphertexts (header ‖ AEAD ciphertext ‖ tag), checked against
 * the RFC's Appendix C vectors in web/sframe_browser_test.go.
 *
 * KIDs and counters are up to 64 bits, so they are bigint inside; the
 * public functions also take safe non-negative integers (number).
 */

import { ReplayWindow } from './replay.js';

/** Cipher suite identifiers (RFC 9605 section 8.1). */
export const CipherSuite = Object.freeze({
  AES_128_CTR_HMAC_SHA256_80: 1,
  AES_128_CTR_HMAC_SHA256_64: 2,
  AES_128_CTR_HMAC_SHA256_32: 3,
  AES_128_GCM_SHA256_128: 4,
  AES_256_GCM_SHA512_128: 5,
});

/**
 * @typedef {object} SuiteParams
 * @property {number} id
 * @property {'SHA-256' | 'SHA-512'} hash
 * @property {number} nk key length in bytes (for CTR suites: AES key ‖ HMAC key)
 * @property {number} nn nonce length in bytes
 * @property {number} nt tag length in bytes
 * @property {boolean} gcm AES-GCM, else AES-CTR + HMAC
 */

/** @type {ReadonlyMap<number, SuiteParams>} */
const suites = new Map([
  [1, { id: 1, hash: 'SHA-256', nk: 48, nn: 12, nt: 10, gcm: false }],
  [2, { id: 2, hash: 'SHA-256', nk: 48, nn: 12, nt: 8, gcm: false }],
  [3, { id: 3, hash: 'SHA-256', nk: 48, nn: 12, nt: 4, gcm: false }],
  [4, { id: 4, hash: 'SHA-256', nk: 16, nn: 12, nt: 16, gcm: true }],
  [5, { id: 5, hash: 'SHA-512', nk: 32, nn: 12, nt: 16, gcm: true }],
]);

/** The AES key part of a CTR suite's key (RFC 9605 section 4.5.1). */
const ctrEncKeyLength = 16;

/** Error codes of SFrameError; callers drop a frame on any of them. */
export const ErrorCode = Object.freeze({
  /** The header is truncated or the ciphertext shorter than a tag. */
  HEADER: 'header',
  /** No key for the KID in the header (yet): hold or drop the frame. */
  UNKNOWN_KID: 'unknown-kid',
  /** The tag did not verify: wrong key, or the frame was altered. */
  AUTH: 'auth',
  /** The counter was already accepted, or is too old to check (see replay.js). */
  REPLAY: 'replay',
  /** The sender's counter is exhausted: set a new key. */
  COUNTER_EXHAUSTED: 'counter-exhausted',
  /** No key set on the sender. */
  NO_KEY: 'no-key',
  /** An argument is out of range (a programming error of the caller). */
  INVALID: 'invalid',
});

/** An SFrame failure; `code` is one of ErrorCode and survives postMessage as a field. */
export class SFrameError extends Error {
  /**
   * @param {string} code one of ErrorCode
   * @param {string} message
   */
  constructor(code, message) {
    super(`sframe: ${message}`);
    this.name = 'SFrameError';
    this.code = code;
  }
}

const maxU64 = (1n << 64n) - 1n;

/**
 * @param {bigint | number} v
 * @param {string} what
 * @returns {bigint}
 */
function u64(v, what) {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new SFrameError(ErrorCode.INVALID, `${what} ${v} is not a non-negative safe integer`);
    }
    return BigInt(v);
  }
  if (typeof v !== 'bigint' || v < 0n || v > maxU64) {
    throw new SFrameError(ErrorCode.INVALID, `${what} ${v} is not an unsigned 64-bit integer`);
  }
  return v;
}

/**
 * @param {number} id
 * @returns {SuiteParams}
 */
function suiteParams(id) {
  const s = suites.get(id);
  if (!s) {
    throw new SFrameError(ErrorCode.INVALID, `unknown cipher suite ${id}`);
  }
  return s;
}

/**
 * Bytes on an ArrayBuffer, which WebCrypto requires (not a SharedArrayBuffer).
 * @typedef {Uint8Array<ArrayBuffer>} Bytes
 */

/**
 * @param {Uint8Array | ArrayBuffer} b
 * @returns {Bytes}
 */
function asBytes(b) {
  if (b instanceof ArrayBuffer) return new Uint8Array(b);
  if (b.buffer instanceof ArrayBuffer) return /** @type {Bytes} */ (b);
  return new Uint8Array(b); // a view of a SharedArrayBuffer: copy it
}

/**
 * Big-endian bytes of v in exactly n bytes.
 * @param {bigint} v
 * @param {number} n
 * @returns {Bytes}
 */
function beBytes(v, n) {
  const out = new Uint8Array(n);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/**
 * The minimal number of bytes for v > 7 (1 to 8).
 * @param {bigint} v
 * @returns {number}
 */
function byteLength(v) {
  let n = 1;
  while (v > 0xffn) {
    v >>= 8n;
    n++;
  }
  return n;
}

/**
 * @param {...Bytes} parts
 * @returns {Bytes}
 */
function concat(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * Encodes an SFrame header (RFC 9605 section 4.3): the config byte
 * X|K(3)|Y|C(3), then the KID and the CTR in their minimal big-endian form
 * when they do not fit in 3 bits.
 * @param {bigint | number} kid
 * @param {bigint | number} ctr
 * @returns {Bytes}
 */
export function encodeHeader(kid, ctr) {
  const k = u64(kid, 'kid');
  const c = u64(ctr, 'ctr');
  let config = 0;
  /** @type {Bytes[]} */
  const parts = [];
  if (k < 8n) {
    config |= Number(k) << 4;
  } else {
    const n = byteLength(k);
    config |= 0x80 | ((n - 1) << 4);
    parts.push(beBytes(k, n));
  }
  if (c < 8n) {
    config |= Number(c);
  } else {
    const n = byteLength(c);
    config |= 0x08 | (n - 1);
    parts.push(beBytes(c, n));
  }
  const head = new Uint8Array(1);
  head[0] = config;
  return concat(head, ...parts);
}

/**
 * @typedef {object} Header
 * @property {bigint} kid
 * @property {bigint} ctr
 * @property {number} length bytes the header takes at the start of the frame
 */

/**
 * Parses the SFrame header at the start of buf. Non-minimal encodings
 * are accepted (RFC 9605 does not forbid them); the AAD uses the bytes
 * as received, so they stay authenticated.
 * @param {Uint8Array | ArrayBuffer} buf
 * @returns {Header}
 */
export function parseHeader(buf) {
  const b = asBytes(buf);
  if (b.length < 1) {
    throw new SFrameError(ErrorCode.HEADER, 'empty frame');
  }
  const config = b[0];
  let off = 1;
  /**
   * @param {number} n
   * @returns {bigint}
   */
  const read = (n) => {
    if (off + n > b.length) {
      throw new SFrameError(ErrorCode.HEADER, `header needs ${off + n} bytes, frame has ${b.length}`);
    }
    let v = 0n;
    for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(b[off + i]);
    off += n;
    return v;
  };
  const kBits = (config >> 4) & 7;
  const kid = config & 0x80 ? read(kBits + 1) : BigInt(kBits);
  const cBits = config & 7;
  const ctr = config & 0x08 ? read(cBits + 1) : BigInt(cBits);
  return { kid, ctr, length: off };
}

/**
 * @param {SuiteParams} s
 * @param {'key' | 'salt'} what
 * @param {bigint} kid
 * @returns {Bytes}
 */
function label(s, what, kid) {
  const text = new TextEncoder().encode(`SFrame 1.0 Secret ${what} `);
  return concat(text, beBytes(kid, 8), beBytes(BigInt(s.id), 2));
}

/**
 * The key schedule of RFC 9605 section 4.4.2: sframe_key (Nk bytes) and
 * sframe_salt (Nn bytes) from a base key, with HKDF over the suite's hash
 * and an empty salt.
 * @param {number} suite
 * @param {bigint | number} kid
 * @param {Uint8Array | ArrayBuffer} baseKey
 * @returns {Promise<{key: Bytes, salt: Bytes}>}
 */
export async function deriveKeySalt(suite, kid, baseKey) {
  const s = suiteParams(suite);
  const k = u64(kid, 'kid');
  const ikm = await crypto.subtle.importKey('raw', asBytes(baseKey), 'HKDF', false, ['deriveBits']);
  /** @param {Bytes} info @param {number} n */
  const expand = async (info, n) => new Uint8Array(await crypto.subtle.deriveBits(
    { name: 'HKDF', hash: s.hash, salt: new Uint8Array(0), info }, ikm, n * 8));
  return { key: await expand(label(s, 'key', k), s.nk), salt: await expand(label(s, 'salt', k), s.nn) };
}

/**
 * The per-frame nonce: sframe_salt XOR the counter, big-endian in Nn bytes.
 * @param {Bytes} salt
 * @param {bigint | number} ctr
 * @returns {Bytes}
 */
export function formNonce(salt, ctr) {
  const c = beBytes(u64(ctr, 'ctr'), salt.length);
  return salt.map((v, i) => v ^ c[i]);
}

/**
 * A key ready for one suite's AEAD: CryptoKeys are non-extractable.
 * @typedef {object} AEADKey
 * @property {SuiteParams} suite
 * @property {CryptoKey} enc AES-GCM or AES-CTR key
 * @property {CryptoKey | null} auth HMAC key of a CTR suite
 */

/**
 * Imports raw AEAD key bytes (sframe_key) for a suite.
 * @param {number} suite
 * @param {Uint8Array | ArrayBuffer} rawKey Nk bytes
 * @returns {Promise<AEADKey>}
 */
export async function importAEADKey(suite, rawKey) {
  const s = suiteParams(suite);
  const raw = asBytes(rawKey);
  if (raw.length !== s.nk) {
    throw new SFrameError(ErrorCode.INVALID, `suite ${s.id} key is ${s.nk} bytes, got ${raw.length}`);
  }
  if (s.gcm) {
    const enc = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
    return { suite: s, enc, auth: null };
  }
  const enc = await crypto.subtle.importKey('raw', raw.subarray(0, ctrEncKeyLength), 'AES-CTR', false,
    ['encrypt', 'decrypt']);
  const auth = await crypto.subtle.importKey('raw', raw.subarray(ctrEncKeyLength),
    { name: 'HMAC', hash: s.hash }, false, ['sign']);
  return { suite: s, enc, auth };
}

/**
 * The truncated HMAC tag of the CTR suites (RFC 9605 section 4.5.1).
 * @param {AEADKey} k
 * @param {Bytes} nonce
 * @param {Bytes} aad
 * @param {Bytes} ct
 * @returns {Promise<Bytes>}
 */
async function ctrTag(k, nonce, aad, ct) {
  const lens = concat(beBytes(BigInt(aad.length), 8), beBytes(BigInt(ct.length), 8), beBytes(BigInt(k.suite.nt), 8));
  const data = concat(lens, nonce, aad, ct);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', /** @type {CryptoKey} */ (k.auth), data));
  return mac.subarray(0, k.suite.nt);
}

/**
 * @param {AEADKey} k
 * @param {Bytes} nonce
 * @param {Bytes} pt
 * @returns {Promise<Bytes>}
 */
async function ctrCrypt(k, nonce, pt) {
  const counter = concat(nonce, new Uint8Array(4));
  return new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-CTR', counter, length: 32 }, k.enc, pt));
}

/**
 * AEAD.Encrypt of the suite: ciphertext ‖ tag.
 * @param {AEADKey} k
 * @param {Bytes} nonce
 * @param {Bytes} aad
 * @param {Bytes} pt
 * @returns {Promise<Bytes>}
 */
export async function aeadEncrypt(k, nonce, aad, pt) {
  if (k.suite.gcm) {
    return new Uint8Array(await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv: nonce, additionalData: aad, tagLength: k.suite.nt * 8 }, k.enc, pt));
  }
  const ct = await ctrCrypt(k, nonce, pt);
  return concat(ct, await ctrTag(k, nonce, aad, ct));
}

/**
 * AEAD.Decrypt of the suite; throws SFrameError AUTH when the tag fails.
 * @param {AEADKey} k
 * @param {Bytes} nonce
 * @param {Bytes} aad
 * @param {Bytes} ctAndTag
 * @returns {Promise<Bytes>}
 */
export async function aeadDecrypt(k, nonce, aad, ctAndTag) {
  if (ctAndTag.length < k.suite.nt) {
    throw new SFrameError(ErrorCode.HEADER, `ciphertext of ${ctAndTag.length} bytes is shorter than the tag`);
  }
  if (k.suite.gcm) {
    try {
      return new Uint8Array(await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: nonce, additionalData: aad, tagLength: k.suite.nt * 8 }, k.enc, ctAndTag));
    } catch {
      throw new SFrameError(ErrorCode.AUTH, 'authentication failed');
    }
  }
  const split = ctAndTag.length - k.suite.nt;
  const ct = ctAndTag.subarray(0, split);
  const want = await ctrTag(k, nonce, aad, ct);
  let diff = 0;
  for (let i = 0; i < want.length; i++) diff |= want[i] ^ ctAndTag[split + i];
  if (diff !== 0) {
    throw new SFrameError(ErrorCode.AUTH, 'authentication failed');
  }
  return ctrCrypt(k, nonce, ct);
}

/**
 * The keys of one KID: what the key schedule gives for one base key.
 * @typedef {object} KeyState
 * @property {bigint} kid
 * @property {AEADKey} aead
 * @property {Bytes} salt
 */

/**
 * Derives and imports the keys of (suite, kid, baseKey).
 * @param {number} suite
 * @param {bigint | number} kid
 * @param {Uint8Array | ArrayBuffer} baseKey
 * @returns {Promise<KeyState>}
 */
export async function importBaseKey(suite, kid, baseKey) {
  const { key, salt } = await deriveKeySalt(suite, kid, baseKey);
  const aead = await importAEADKey(suite, key);
  key.fill(0);
  return { kid: u64(kid, 'kid'), aead, salt };
}

/**
 * SFrame encryption (RFC 9605 section 4.4.3): header ‖ AEAD(header ‖ metadata).
 * @param {KeyState} ks
 * @param {bigint | number} ctr
 * @param {Uint8Array | ArrayBuffer} metadata authenticated, not sent
 * @param {Uint8Array | ArrayBuffer} plaintext
 * @returns {Promise<Bytes>}
 */
export async function encrypt(ks, ctr, metadata, plaintext) {
  const header = encodeHeader(ks.kid, ctr);
  const aad = concat(header, asBytes(metadata));
  const ct = await aeadEncrypt(ks.aead, formNonce(ks.salt, ctr), aad, asBytes(plaintext));
  return concat(header, ct);
}

/**
 * SFrame decryption of a frame whose header was parsed already.
 * @param {KeyState} ks
 * @param {Header} header
 * @param {Uint8Array | ArrayBuffer} frame the whole SFrame ciphertext, header included
 * @param {Uint8Array | ArrayBuffer} metadata
 * @returns {Promise<Bytes>}
 */
export async function decrypt(ks, header, frame, metadata) {
  const b = asBytes(frame);
  const aad = concat(b.subarray(0, header.length), asBytes(metadata));
  return aeadDecrypt(ks.aead, formNonce(ks.salt, header.ctr), aad, b.subarray(header.length));
}

/**
 * Encrypts frames under one key at a time with a counter that is never
 * reused for that key: the counter is taken synchronously, before any
 * await, so concurrent calls get distinct values.
 */
export class Sender {
  /** @param {number} [suite] defaults to AES_128_GCM_SHA256_128 */
  constructor(suite = CipherSuite.AES_128_GCM_SHA256_128) {
    this.suite = suiteParams(suite).id;
    /** @type {KeyState | null} */
    this.key = null;
    this.ctr = 0n;
  }

  /**
   * Switches to a new base key under kid; the counter restarts at 0, so a
   * base key must never be set twice (the KID carries generation and
   * ratchet step for that reason).
   * @param {bigint | number} kid
   * @param {Uint8Array | ArrayBuffer} baseKey
   */
  async setKey(kid, baseKey) {
    const ks = await importBaseKey(this.suite, kid, baseKey);
    this.key = ks;
    this.ctr = 0n;
  }

  /**
   * @param {Uint8Array | ArrayBuffer} plaintext
   * @param {Uint8Array | ArrayBuffer} [metadata]
   * @returns {Promise<Bytes>} the SFrame ciphertext
   */
  encrypt(plaintext, metadata = new Uint8Array(0)) {
    const ks = this.key;
    if (!ks) {
      return Promise.reject(new SFrameError(ErrorCode.NO_KEY, 'sender has no key'));
    }
    if (this.ctr > maxU64) {
      return Promise.reject(new SFrameError(ErrorCode.COUNTER_EXHAUSTED, 'counter exhausted, set a new key'));
    }
    const ctr = this.ctr;
    this.ctr++;
    return encrypt(ks, ctr, metadata, plaintext);
  }
}

/**
 * Decrypts frames with keys looked up by the KID in their header. Each
 * key has a replay window (replay.js): a counter is accepted once, and
 * only authenticated frames move the window.
 */
export class Receiver {
  /** @param {number} [suite] defaults to AES_128_GCM_SHA256_128 */
  constructor(suite = CipherSuite.AES_128_GCM_SHA256_128) {
    this.suite = suiteParams(suite).id;
    /** @type {Map<bigint, {ks: KeyState, win: ReplayWindow}>} */
    this.keys = new Map();
  }

  /**
   * Installs (or replaces) the base key of kid; a replaced key gets a new
   * replay window, since the new key's counter starts again at 0.
   * @param {bigint | number} kid
   * @param {Uint8Array | ArrayBuffer} baseKey
   */
  async addKey(kid, baseKey) {
    const ks = await importBaseKey(this.suite, kid, baseKey);
    this.keys.set(ks.kid, { ks, win: new ReplayWindow() });
  }

  /**
   * @param {bigint | number} kid
   * @returns {boolean} whether a key was removed
   */
  removeKey(kid) {
    return this.keys.delete(u64(kid, 'kid'));
  }

  /**
   * @param {bigint | number} kid
   * @returns {boolean}
   */
  hasKey(kid) {
    return this.keys.has(u64(kid, 'kid'));
  }

  /**
   * Decrypts one SFrame ciphertext. Throws SFrameError with code HEADER,
   * UNKNOWN_KID, REPLAY or AUTH; the caller drops such frames.
   * @param {Uint8Array | ArrayBuffer} frame
   * @param {Uint8Array | ArrayBuffer} [metadata]
   * @returns {Promise<{kid: bigint, ctr: bigint, plaintext: Bytes}>}
   */
  async decrypt(frame, metadata = new Uint8Array(0)) {
    const header = parseHeader(frame);
    const entry = this.keys.get(header.kid);
    if (!entry) {
      throw new SFrameError(ErrorCode.UNKNOWN_KID, `no key for kid ${header.kid}`);
    }
    if (!entry.win.check(header.ctr)) {
      throw new SFrameError(ErrorCode.REPLAY, `kid ${header.kid} ctr ${header.ctr} replayed or too old`);
    }
    const plaintext = await decrypt(entry.ks, header, frame, metadata);
    if (!entry.win.accept(header.ctr)) {
      throw new SFrameError(ErrorCode.REPLAY, `kid ${header.kid} ctr ${header.ctr} replayed`);
    }
    return { kid: header.kid, ctr: header.ctr, plaintext };
  }
}

/**
 * The next base key of the RFC 9605 section 5.1 sender-key ratchet:
 * HKDF-Expand(HKDF-Extract("", baseKey), "SFrame 1.0 Ratchet", Nh), Nh
 * being the suite's hash length, so a 16-byte key becomes 32 bytes after
 * the first step. The same as the Go sframe.Ratchet; one-way, so a joiner
 * given step i cannot read the frames of earlier steps.
 * @param {Uint8Array | ArrayBuffer} baseKey
 * @param {number} [suite] defaults to AES_128_GCM_SHA256_128
 * @returns {Promise<Bytes>}
 */
export async function ratchet(baseKey, suite = CipherSuite.AES_128_GCM_SHA256_128) {
  const s = suiteParams(suite);
  const ikm = await crypto.subtle.importKey('raw', asBytes(baseKey), 'HKDF', false, ['deriveBits']);
  const info = new TextEncoder().encode('SFrame 1.0 Ratchet');
  const n = s.hash === 'SHA-512' ? 64 : 32;
  return new Uint8Array(await crypto.subtle.deriveBits(
    { name: 'HKDF', hash: s.hash, salt: new Uint8Array(0), info }, ikm, n * 8));
}

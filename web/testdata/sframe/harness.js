// @ts-check
/**
 * Test-only module for web/sframe_browser_test.go: served by the test's
 * own mux (never embedded in the product), it imports the shipped
 * js/e2ee modules from the real web.Handler and checks them against the
 * RFC 9605 Appendix C vectors and a few round-trip and tamper cases.
 * Every function resolves to a JSON string: {ran: {...}, failures: [...]}.
 */

/** @param {string} hex */
function unhex(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** @param {Uint8Array} b */
function hex(b) {
  return Array.from(b, (v) => v.toString(16).padStart(2, '0')).join('');
}

/** @param {string} s */
function unb64(s) {
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

/** @param {Uint8Array} b */
function b64(b) {
  return btoa(String.fromCharCode(...b));
}

class Checker {
  constructor() {
    /** @type {Record<string, number>} */
    this.ran = {};
    /** @type {string[]} */
    this.failures = [];
  }

  /**
   * @param {string} group
   * @param {string} name
   * @param {any} got
   * @param {any} want
   */
  eq(group, name, got, want) {
    this.ran[group] = (this.ran[group] || 0) + 1;
    if (String(got) !== String(want)) this.failures.push(`${group} ${name}: got ${got}, want ${want}`);
  }

  /**
   * Expects fn to reject with an SFrameError of code.
   * @param {string} group
   * @param {string} name
   * @param {() => Promise<any>} fn
   * @param {string} code
   */
  async rejects(group, name, fn, code) {
    let got = 'no error';
    try {
      await fn();
    } catch (/** @type {any} */ e) {
      got = e && e.name === 'SFrameError' ? e.code : `${e}`;
    }
    this.eq(group, name, got, code);
  }

  json() {
    return JSON.stringify({ ran: this.ran, failures: this.failures });
  }
}

/**
 * @param {string} base URL of the js/e2ee/ directory of the product
 * @param {string} vectorsURL
 */
export async function runVectors(base, vectorsURL) {
  const sf = await import(`${base}sframe.js`);
  const v = await (await fetch(vectorsURL)).json();
  const c = new Checker();
  for (const h of v.header) {
    const kid = BigInt(h.kid_str);
    const ctr = BigInt(h.ctr_str);
    const name = `kid=${kid} ctr=${ctr}`;
    c.eq('header-encode', name, hex(sf.encodeHeader(kid, ctr)), h.encoded);
    const p = sf.parseHeader(unhex(h.encoded + 'ff'));
    c.eq('header-parse', name, `${p.kid} ${p.ctr} ${p.length}`, `${kid} ${ctr} ${h.encoded.length / 2}`);
  }
  for (const t of v.aes_ctr_hmac) {
    const name = `suite ${t.cipher_suite}`;
    const k = await sf.importAEADKey(t.cipher_suite, unhex(t.key));
    c.eq('aead-encrypt', name, hex(await sf.aeadEncrypt(k, unhex(t.nonce), unhex(t.aad), unhex(t.pt))), t.ct);
    c.eq('aead-decrypt', name, hex(await sf.aeadDecrypt(k, unhex(t.nonce), unhex(t.aad), unhex(t.ct))), t.pt);
  }
  for (const t of v.sframe) {
    await sframeVector(sf, c, t);
  }
  return c.json();
}

/**
 * @param {any} sf the sframe module
 * @param {Checker} c
 * @param {any} t one vector of the "sframe" list
 */
async function sframeVector(sf, c, t) {
  const suite = t.cipher_suite;
  const kid = BigInt(t.kid_str);
  const ctr = BigInt(t.ctr_str);
  const name = `suite ${suite}`;
  const ks = await sf.deriveKeySalt(suite, kid, unhex(t.base_key));
  c.eq('sframe-key', name, hex(ks.key), t.sframe_key);
  c.eq('sframe-salt', name, hex(ks.salt), t.sframe_salt);
  c.eq('sframe-nonce', name, hex(sf.formNonce(ks.salt, ctr)), t.nonce);
  c.eq('sframe-aad', name, hex(sf.encodeHeader(kid, ctr)) + t.metadata, t.aad);
  const state = await sf.importBaseKey(suite, kid, unhex(t.base_key));
  c.eq('sframe-encrypt', name, hex(await sf.encrypt(state, ctr, unhex(t.metadata), unhex(t.pt))), t.ct);
  const r = new sf.Receiver(suite);
  await r.addKey(kid, unhex(t.base_key));
  // Tampered copies first: the genuine frame then takes the counter.
  const bad = unhex(t.ct);
  bad[bad.length - 1] ^= 1;
  await c.rejects('sframe-tamper', name, () => r.decrypt(bad, unhex(t.metadata)), sf.ErrorCode.AUTH);
  await c.rejects('sframe-tamper', `${name} metadata`, () => r.decrypt(unhex(t.ct), unhex(t.metadata + '00')),
    sf.ErrorCode.AUTH);
  const got = await r.decrypt(unhex(t.ct), unhex(t.metadata));
  c.eq('sframe-decrypt', name, `${got.kid} ${got.ctr} ${hex(got.plaintext)}`, `${kid} ${ctr} ${t.pt}`);
}

/**
 * Round trips through Sender and Receiver, every kind of tampering, and
 * the framing of each codec.
 * @param {string} base URL of the js/e2ee/ directory of the product
 */
export async function runRoundTrip(base) {
  const sf = await import(`${base}sframe.js`);
  const fr = await import(`${base}framing.js`);
  const c = new Checker();
  for (const suite of [1, 4]) {
    await senderReceiver(sf, c, suite);
  }
  await framing(sf, fr, c);
  return c.json();
}

/**
 * @param {any} sf
 * @param {Checker} c
 * @param {number} suite
 */
async function senderReceiver(sf, c, suite) {
  const base = crypto.getRandomValues(new Uint8Array(16));
  const kid = 0x1234;
  const s = new sf.Sender(suite);
  await c.rejects('roundtrip', `suite ${suite} no key`, () => s.encrypt(new Uint8Array(1)), sf.ErrorCode.NO_KEY);
  await s.setKey(kid, base);
  const r = new sf.Receiver(suite);
  await r.addKey(kid, base);
  const meta = Uint8Array.of(9, 8, 7);
  // Concurrent calls must still get distinct counters.
  const pts = Array.from({ length: 20 }, (_, i) => crypto.getRandomValues(new Uint8Array(i * 37)));
  const cts = await Promise.all(pts.map((p) => s.encrypt(p, meta)));
  const ctrs = new Set();
  const fresh = new sf.Receiver(suite);
  await fresh.addKey(kid, base);
  await tamper(sf, c, suite, fresh, cts[5], meta);
  // Out of order within the window is fine: last frame first.
  await r.decrypt(cts[pts.length - 1], meta);
  for (let i = 0; i < pts.length - 1; i++) {
    const got = await r.decrypt(cts[i], meta);
    ctrs.add(got.ctr);
    c.eq('roundtrip', `suite ${suite} frame ${i}`, `${got.kid} ${hex(got.plaintext)}`, `${kid} ${hex(pts[i])}`);
  }
  c.eq('roundtrip', `suite ${suite} distinct counters`, ctrs.size, pts.length - 1);
  await c.rejects('replay', `suite ${suite} again`, () => r.decrypt(cts[3], meta), sf.ErrorCode.REPLAY);
  const ks = await sf.importBaseKey(suite, kid, base);
  const late = await sf.encrypt(ks, 3000, meta, pts[1]);
  const old = await sf.encrypt(ks, 3000 - 1024, meta, pts[1]);
  const edge = await sf.encrypt(ks, 3000 - 1023, meta, pts[1]);
  c.eq('replay', `suite ${suite} jump ahead`, (await r.decrypt(late, meta)).ctr, 3000);
  await c.rejects('replay', `suite ${suite} too old`, () => r.decrypt(old, meta), sf.ErrorCode.REPLAY);
  c.eq('replay', `suite ${suite} oldest in window`, (await r.decrypt(edge, meta)).ctr, 3000 - 1023);
  // The last counter works once; then the sender refuses to go on.
  const maxCtr = (1n << 64n) - 1n;
  s.ctr = maxCtr;
  const last = await s.encrypt(pts[2], meta);
  c.eq('roundtrip', `suite ${suite} last counter`, (await r.decrypt(last, meta)).ctr, maxCtr);
  await c.rejects('roundtrip', `suite ${suite} counter exhausted`, () => s.encrypt(pts[2], meta),
    sf.ErrorCode.COUNTER_EXHAUSTED);
  await c.rejects('replay', `suite ${suite} racing twins`,
    () => Promise.all([fresh.decrypt(late, meta), fresh.decrypt(late, meta)]),
    sf.ErrorCode.REPLAY);
}

/**
 * Every kind of alteration of ct is refused with its own error.
 * @param {any} sf
 * @param {Checker} c
 * @param {number} suite
 * @param {any} r a Receiver holding ct's key
 * @param {Uint8Array} ct
 * @param {Uint8Array} meta
 */
async function tamper(sf, c, suite, r, ct, meta) {
  const kid = sf.parseHeader(ct).kid;
  const hlen = sf.parseHeader(ct).length;
  // Offset 0 with mask 1 changes the counter in the config byte (5 to 4).
  for (const [what, off] of [['header ctr', 0], ['ciphertext', hlen + 2], ['tag', ct.length - 1]]) {
    const bad = ct.slice();
    bad[/** @type {number} */ (off)] ^= 0x01;
    await c.rejects('tamper', `suite ${suite} ${what}`, () => r.decrypt(bad, meta), sf.ErrorCode.AUTH);
  }
  await c.rejects('tamper', `suite ${suite} metadata`, () => r.decrypt(ct, Uint8Array.of(9, 8, 6)), sf.ErrorCode.AUTH);
  await c.rejects('tamper', `suite ${suite} truncated`, () => r.decrypt(ct.subarray(0, hlen + 2), meta),
    sf.ErrorCode.HEADER);
  await c.rejects('tamper', `suite ${suite} empty`, () => r.decrypt(new Uint8Array(0), meta), sf.ErrorCode.HEADER);
  const other = new sf.Receiver(suite);
  await c.rejects('tamper', `suite ${suite} unknown kid`, () => other.decrypt(ct, meta), sf.ErrorCode.UNKNOWN_KID);
  await other.addKey(kid, crypto.getRandomValues(new Uint8Array(16)));
  await c.rejects('tamper', `suite ${suite} wrong key`, () => other.decrypt(ct, meta), sf.ErrorCode.AUTH);
  c.eq('tamper', `suite ${suite} genuine after tampering`, hex((await r.decrypt(ct, meta)).plaintext).length > 0, true);
}

/**
 * @param {any} sf
 * @param {any} fr
 * @param {Checker} c
 */
async function framing(sf, fr, c) {
  const base = crypto.getRandomValues(new Uint8Array(16));
  const s = new sf.Sender();
  await s.setKey(7, base);
  const r = new sf.Receiver();
  await r.addKey(7, base);
  const key = Uint8Array.of(0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01, 1, 2, 3, 4, 5);
  const delta = Uint8Array.of(0x31, 0x11, 0x22, 0x33);
  const cases = [
    ['vp8 key', fr.Codec.VP8, key, 10],
    ['vp8 delta', fr.Codec.VP8, delta, 1],
    ['vp8 delta 1 byte', fr.Codec.VP8, Uint8Array.of(0x31), 1],
    ['vp8 key header only', fr.Codec.VP8, key.subarray(0, 10), 10],
    ['vp9', fr.Codec.VP9, key, 0],
    ['opus', fr.Codec.OPUS, delta, 0],
  ];
  for (const [name, codec, frame, n] of cases) {
    const f = /** @type {Uint8Array} */ (frame);
    c.eq('framing', `${name} prefix`, fr.clearPrefixLength(codec, f), n);
    const out = await fr.encryptFrame(s, codec, f);
    c.eq('framing', `${name} clear`, hex(out.subarray(0, /** @type {number} */ (n))), hex(f.subarray(0, /** @type {number} */ (n))));
    c.eq('framing', `${name} overhead`, out.length - f.length >= 17, true);
    if (/** @type {number} */ (n) > 0) {
      const bad = out.slice();
      bad[0] ^= 0x10; // the clear prefix is authenticated
      await c.rejects('framing', `${name} prefix tamper`, () => fr.decryptFrame(r, codec, bad), sf.ErrorCode.AUTH);
    }
    const got = await fr.decryptFrame(r, codec, out);
    c.eq('framing', `${name} decrypt`, hex(got.frame), hex(f));
  }
  c.eq('framing', 'vp8 clamp', fr.clearPrefixLength(fr.Codec.VP8, key.subarray(0, 4)), 4);
  await c.rejects('framing', 'vp8 short key frame', () => fr.encryptFrame(s, fr.Codec.VP8, key.subarray(0, 4)),
    sf.ErrorCode.INVALID);
  c.eq('framing', 'empty passes', (await fr.encryptFrame(s, fr.Codec.OPUS, new Uint8Array(0))).length, 0);
  c.eq('framing', 'empty decrypt', (await fr.decryptFrame(r, fr.Codec.OPUS, new Uint8Array(0))).frame.length, 0);
  c.eq('framing', 'mime', `${fr.codecFromMime('video/VP8')} ${fr.codecFromMime('audio/opus')} ${fr.codecFromMime('video/H264')}`,
    'vp8 opus null');
  await c.rejects('framing', 'h264 refused', () => fr.encryptFrame(s, 'h264', key), sf.ErrorCode.INVALID);
}

/**
 * One frame of the Go interop test; byte strings are base64.
 * @typedef {object} InteropFrame
 * @property {string} codec a framing.js Codec value, or "" for a bare SFrame ciphertext
 * @property {string} metadata SFrame metadata (bare ciphertexts only)
 * @property {string} data plaintext frame to encrypt, or the ciphertext to decrypt
 */

/**
 * Encrypts frames for Go to decrypt, with a Sender whose counter starts
 * at 0; resolves to the base64 outputs in order.
 * @param {string} base
 * @param {number} suite
 * @param {number} kid
 * @param {string} baseKey
 * @param {InteropFrame[]} frames
 */
export async function encryptBatch(base, suite, kid, baseKey, frames) {
  const sf = await import(`${base}sframe.js`);
  const fr = await import(`${base}framing.js`);
  const s = new sf.Sender(suite);
  await s.setKey(kid, unb64(baseKey));
  const out = [];
  for (const f of frames) {
    const data = unb64(f.data);
    out.push(b64(f.codec ? await fr.encryptFrame(s, f.codec, data) : await s.encrypt(data, unb64(f.metadata))));
  }
  return JSON.stringify(out);
}

/**
 * Decrypts frames Go encrypted; resolves to the base64 plaintexts in
 * order, or "error:CODE" for a frame refused.
 * @param {string} base
 * @param {number} suite
 * @param {number} kid
 * @param {string} baseKey
 * @param {InteropFrame[]} frames
 */
export async function decryptBatch(base, suite, kid, baseKey, frames) {
  const sf = await import(`${base}sframe.js`);
  const fr = await import(`${base}framing.js`);
  const r = new sf.Receiver(suite);
  await r.addKey(kid, unb64(baseKey));
  const out = [];
  for (const f of frames) {
    const data = unb64(f.data);
    try {
      out.push(b64(f.codec ? (await fr.decryptFrame(r, f.codec, data)).frame
        : (await r.decrypt(data, unb64(f.metadata))).plaintext));
    } catch (/** @type {any} */ e) {
      out.push(`error:${e.code || e}`);
    }
  }
  return JSON.stringify(out);
}

/**
 * Runs worker.js as a module Worker over the product's modules.
 * @param {string} base
 * @param {number} frames
 * @param {number} size bytes per frame
 */
export function runInWorker(base, frames, size) {
  return new Promise((resolve, reject) => {
    const w = new Worker('/sframe-test/worker.js', { type: 'module' });
    w.onmessage = (ev) => {
      w.terminate();
      resolve(ev.data);
    };
    w.onerror = (ev) => {
      w.terminate();
      reject(new Error(`worker: ${ev.message}`));
    };
    w.postMessage({ base, frames, size });
  });
}

/**
 * Parses base64 headers and encodes decimal (kid, ctr) pairs, for the Go
 * differential test; resolves to JSON {parsed: ["kid ctr len" | "error:CODE"], encoded: [base64]}.
 * @param {string} base
 * @param {string[]} headers base64
 * @param {[string, string][]} pairs decimal kid and ctr
 */
export async function headerBatch(base, headers, pairs) {
  const sf = await import(`${base}sframe.js`);
  const parsed = headers.map((h) => {
    try {
      const p = sf.parseHeader(unb64(h));
      return `${p.kid} ${p.ctr} ${p.length}`;
    } catch (/** @type {any} */ e) {
      return `error:${e.code || e}`;
    }
  });
  const encoded = pairs.map(([k, c]) => b64(sf.encodeHeader(BigInt(k), BigInt(c))));
  return JSON.stringify({ parsed, encoded });
}

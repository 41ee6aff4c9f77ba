// @ts-check
/**
 * Test-only module worker for web/sframe_browser_test.go: shows that the
 * shipped js/e2ee modules work inside a Worker (where the E2EE transform
 * runs), and measures their cost per frame there. It receives
 * {base, frames, size} and answers with JSON {ran, failures, encryptMs, decryptMs}.
 */

self.onmessage = async (/** @type {MessageEvent} */ ev) => {
  const { base, frames, size } = ev.data;
  /** @type {string[]} */
  const failures = [];
  let ran = 0;
  try {
    const sf = await import(`${base}sframe.js`);
    const fr = await import(`${base}framing.js`);
    const key = crypto.getRandomValues(new Uint8Array(16));
    const s = new sf.Sender();
    await s.setKey(0x1234 & 0x3fff, key);
    const r = new sf.Receiver();
    await r.addKey(0x1234 & 0x3fff, key);
    /** @type {Uint8Array[]} */
    const plain = [];
    for (let i = 0; i < frames; i++) {
      const f = crypto.getRandomValues(new Uint8Array(size));
      f[0] = i % 30 === 0 ? 0x50 : 0x31; // a VP8 key frame every 30 frames
      plain.push(f);
    }
    let t0 = performance.now();
    /** @type {Uint8Array[]} */
    const enc = [];
    for (const f of plain) enc.push(await fr.encryptFrame(s, fr.Codec.VP8, f));
    const encryptMs = (performance.now() - t0) / frames;
    t0 = performance.now();
    /** @type {Uint8Array[]} */
    const dec = [];
    for (const e of enc) dec.push((await fr.decryptFrame(r, fr.Codec.VP8, e)).frame);
    const decryptMs = (performance.now() - t0) / frames;
    for (let i = 0; i < frames; i++) {
      ran++;
      if (dec[i].length !== plain[i].length || dec[i].some((v, j) => v !== plain[i][j])) {
        failures.push(`worker frame ${i}: decrypted bytes differ`);
      }
    }
    self.postMessage(JSON.stringify({ ran: { worker: ran }, failures, encryptMs, decryptMs }));
  } catch (e) {
    self.postMessage(JSON.stringify({ ran: { worker: ran }, failures: [`worker: ${e}`] }));
  }
};

// @ts-check
/**
 * Test-only module for web/e2ee_worker_browser_test.go: served by the
 * test's own mux (never embedded in the product), it imports the shipped
 * js/e2ee modules from the real web.Handler. Functions resolve to JSON
 * strings.
 */

/** @param {string} s */
function unb64(s) {
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

/** @param {Uint8Array} b */
function b64(b) {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return btoa(s);
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

  json() {
    return JSON.stringify({ ran: this.ran, failures: this.failures });
  }
}

/**
 * Checks sframe.js's ratchet against the Go chain, and KeyStore's rules on a fake clock.
 * @param {string} base URL of the product's js/e2ee/
 * @param {{key: string, chain: string[]}} want base key and Go's Ratchet steps, base64
 */
export async function keystoreChecks(base, want) {
  const sf = await import(`${base}sframe.js`);
  const m = await import(`${base}keystore.js`);
  const c = new Checker();
  let k = unb64(want.key);
  for (let i = 0; i < want.chain.length; i++) {
    k = await sf.ratchet(k);
    c.eq('ratchet', `step ${i + 1}`, b64(k), want.chain[i]);
  }
  let now = 1000;
  const st = new m.KeyStore(() => now);
  const K = m.packKID;
  const shape = () => JSON.stringify(st.describe());
  c.eq('store', 'add', await st.add(7, 0, 0, unb64(want.key)), true);
  c.eq('store', 'get 7/0/0', !!st.get(K(7, 0, 0)), true);
  c.eq('store', 'no 7/0/1', !!st.get(K(7, 0, 1)), false);

  // A candidate 3 steps ahead holds Go's third ratchet key, and moves nothing until committed.
  let e = await st.resolve(K(7, 0, 3));
  c.eq('store', 'candidate step', e?.step, 3);
  c.eq('store', 'candidate uncommitted', shape(), '{"7":[{"gen":0,"step":0,"olds":[]}]}');
  const ks = await sf.importBaseKey(4, K(7, 0, 3), unb64(want.chain[2]));
  const ct = await sf.encrypt(ks, 5, new Uint8Array(0), new Uint8Array([1, 2, 3]));
  const pt = await sf.decrypt(e.ks, sf.parseHeader(ct), ct, new Uint8Array(0));
  c.eq('store', 'candidate key is ratchet^3', Array.from(pt).join(), '1,2,3');
  st.commit(e);
  c.eq('store', 'committed', shape(), '{"7":[{"gen":0,"step":3,"olds":[0]}]}');

  c.eq('window', '9 ahead', await st.resolve(K(7, 0, 12)), null);
  e = await st.resolve(K(7, 0, 11));
  c.eq('window', '8 ahead', e?.step, 11);
  st.commit(e);
  c.eq('window', 'olds kept', shape(), '{"7":[{"gen":0,"step":11,"olds":[0,3]}]}');
  c.eq('window', 'old step in 2 s', !!st.get(K(7, 0, 3)), true);
  now += 2001;
  c.eq('window', 'old step after 2 s', !!st.get(K(7, 0, 3)), false);
  // Step 3 now looks 8 ahead of 11: only a candidate, which a frame of step 3 fails.
  e = await st.resolve(K(7, 0, 3));
  c.eq('window', 'stale kid is a candidate', e?.step, 19);
  c.eq('window', 'stale kid moved nothing', shape(), '{"7":[{"gen":0,"step":11,"olds":[]}]}');
  c.eq('window', 'key message backwards', await st.add(7, 0, 5, new Uint8Array(32)), false);
  c.eq('window', 'key message forward', await st.add(7, 0, 12, new Uint8Array(32).fill(1)), true);
  c.eq('window', 'stale candidate dropped', st.candidates.size, 0);
  for (let s = 13; s <= 16; s++) await st.add(7, 0, s, new Uint8Array(16).fill(s));
  c.eq('window', 'three olds at most', shape(), '{"7":[{"gen":0,"step":16,"olds":[13,14,15]}]}');
  c.eq('window', 'step 16 is kid step 0', st.get(K(7, 0, 0))?.step, 16);

  c.eq('gen', 'add gen 1', await st.add(7, 1, 0, new Uint8Array(16).fill(21)), true);
  c.eq('gen', 'gen 0 still decrypts', st.get(K(7, 0, 15))?.step, 15);
  c.eq('gen', 'add gen 2', await st.add(7, 2, 0, new Uint8Array(16).fill(22)), true);
  c.eq('gen', 'two newest kept', shape(), '{"7":[{"gen":2,"step":0,"olds":[]},{"gen":1,"step":0,"olds":[]}]}');
  c.eq('gen', 'gen 0 gone', !!st.get(K(7, 0, 15)), false);
  c.eq('gen', 'older than both', await st.add(7, 0, 0, new Uint8Array(16)), false);
  c.eq('gen', 'add gen 5', await st.add(7, 5, 0, new Uint8Array(16).fill(25)), true);
  c.eq('gen', 'gen 1 shares kid bits with 5', shape(), '{"7":[{"gen":5,"step":0,"olds":[]},{"gen":2,"step":0,"olds":[]}]}');
  c.eq('gen', 'kid of gen 5', st.get(K(7, 1, 0))?.gen, 5);

  await st.add(8, 0, 0, new Uint8Array(16).fill(8));
  await st.forget(7);
  c.eq('forget', 'index 7 gone', shape(), '{"8":[{"gen":0,"step":0,"olds":[]}]}');
  c.eq('forget', 'kid gone', !!st.get(K(7, 1, 0)), false);

  let t0 = performance.now();
  const waiting = st.waitFor(9, 5000);
  await st.add(9, 0, 0, new Uint8Array(16));
  await waiting;
  c.eq('wait', 'woken by its key', performance.now() - t0 < 1000, true);
  t0 = performance.now();
  await st.waitFor(9, 60);
  c.eq('wait', 'times out', performance.now() - t0 >= 55, true);

  for (const [name, args] of /** @type {[string, [number, number, number, Uint8Array]][]} */ ([
    ['index 0', [0, 0, 0, new Uint8Array(16)]], ['index 256', [256, 0, 0, new Uint8Array(16)]],
    ['20-byte key', [1, 0, 0, new Uint8Array(20)]], ['negative step', [1, 0, -1, new Uint8Array(16)]],
  ])) {
    c.eq('refuse', name, await st.add(...args).then(() => 'installed', () => 'refused'), 'refused');
  }
  return c.json();
}

/**
 * An encoded frame as the browser hands it to a transform.
 * @param {Uint8Array} data
 * @param {string} codec
 * @param {boolean} [isKey] whether it is a video key frame; by default the VP8 rule
 */
function fakeFrame(data, codec, isKey) {
  const video = codec !== 'opus';
  const key = isKey ?? (codec === 'vp8' && data.length > 0 && (data[0] & 1) === 0);
  return {
    data: data.slice().buffer,
    type: video ? (key ? 'key' : 'delta') : undefined,
    getMetadata: () => ({ mimeType: `${video ? 'video' : 'audio'}/${codec.toUpperCase()}` }),
  };
}

/**
 * Encrypts frames with the worker's send path (frames.js SendKey), for Go to decrypt.
 * @param {string} base
 * @param {{index: number, gen: number, step: number, key: string, frames: {codec: string, data: string}[]}} job
 */
export async function sealBatch(base, job) {
  const f = await import(`${base}frames.js`);
  const s = new f.SendKey();
  await s.set(job.index, job.gen, job.step, unb64(job.key));
  const out = [];
  for (const fr of job.frames) {
    const frame = fakeFrame(unb64(fr.data), fr.codec);
    const ok = await s.seal(frame, fr.codec);
    out.push(ok ? b64(new Uint8Array(frame.data)) : 'dropped');
  }
  return JSON.stringify({ frames: out, overhead: s.overheadBytes, sent: s.frames });
}

/**
 * Decrypts frames with the worker's receive path (frames.js RecvPipe and
 * keystore.js), as one receiver transform would, and reports what the
 * decoder would get, the counters and the events.
 * @param {string} base
 * @param {{kind: 'audio' | 'video', codec: string, keys: {index: number, gen: number, step: number, key: string}[],
 *   frames: {data: string, key?: boolean, lateKey?: number}[]}} job key: a video key frame;
 *   lateKey: install keys[lateKey] 100 ms after this frame
 */
export async function openBatch(base, job) {
  const f = await import(`${base}frames.js`);
  const m = await import(`${base}keystore.js`);
  const store = new m.KeyStore();
  /** @type {Record<number, any>} */
  const counters = {};
  /** @type {string[]} */
  const events = [];
  let requests = 0;
  /** @type {import('../../js/e2ee/frames.js').RecvContext} */
  const ctx = {
    store, passthrough: () => false,
    counters: (i) => (counters[i] ??= { frames: 0, failures: 0, unknownKid: 0, held: 0, replayed: 0, dropped: 0, foreign: 0 }),
    bound: () => undefined,
    keyUsed: (e) => events.push(`keyUsed ${e.index}/${e.gen}/${e.step}`),
    error: (msg) => events.push(`error ${msg}`),
    cpu: { recvMs: 0, recvAudioMs: 0 },
  };
  /** @type {string[]} */
  const delivered = [];
  const writer = /** @type {any} */ ({ write: (/** @type {any} */ fr) => {
    delivered.push(b64(new Uint8Array(fr.data)));
    return Promise.resolve();
  } });
  const transformer = { sendKeyFrameRequest: async () => { requests++; } };
  // job.bind: the receiver carries only that sender's frames (E2EEWorker.bind).
  const binding = job.bind ? { id: 'r1', index: job.bind } : {};
  const pipe = new f.RecvPipe(ctx, { role: 'recv', kind: job.kind, codec: job.codec, ...binding }, transformer, writer);
  const late = job.keys.filter((_, i) => !job.frames.some((fr) => fr.lateKey === i));
  for (const k of late) await store.add(k.index, k.gen, k.step, unb64(k.key));
  const t0 = performance.now();
  for (const fr of job.frames) {
    pipe.push(/** @type {any} */ (fakeFrame(unb64(fr.data), job.codec, fr.key)));
    if (fr.lateKey !== undefined) {
      const k = job.keys[fr.lateKey];
      setTimeout(() => store.add(k.index, k.gen, k.step, unb64(k.key)), 100);
    }
  }
  while (pipe.busy || pipe.queue.length > 0) await new Promise((r) => setTimeout(r, 10));
  return JSON.stringify({ delivered, counters, events, requests, ms: performance.now() - t0 });
}

/**
 * Attaches a fresh E2EEWorker to a sender and a receiver in the same task
 * that starts it, without awaiting ready, and reports how many transforms
 * the worker runs once it answers, with what e2eeSupport and pcConfig say.
 * @param {string} base
 * @param {'script' | 'streams'} mode
 */
export async function attachEarly(base, mode) {
  const { E2EEWorker, e2eeSupport } = await import(`${base}transform.js`);
  const w = new E2EEWorker(undefined, mode);
  const pc = new RTCPeerConnection(w.pcConfig());
  const t = pc.addTransceiver('video');
  w.attachSender(t.sender, { kind: 'video' });
  w.attachReceiver(t.receiver, { kind: 'video' });
  await w.ready;
  await new Promise((r) => setTimeout(r, 200));
  const stats = await w.stats();
  pc.close();
  w.close();
  return JSON.stringify({ transforms: stats.transforms, support: e2eeSupport(), pcConfig: w.pcConfig() });
}

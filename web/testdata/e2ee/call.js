// @ts-check
/**
 * Test-only module for web/e2ee_worker_browser_test.go: a loopback call
 * inside one page, two RTCPeerConnections, each with its own E2EEWorker
 * (two participants' pages in one): the fake camera (1280x720 at 30 fps)
 * and the fake microphone go from pc1, encrypted by tx, to pc2, decrypted
 * by rx. VP8 and Opus only, as in E2EE rooms. The state lives on
 * globalThis.e2eeCall so the test can drive it step by step.
 */

/** The sender index of the test's sending participant. */
const index = 7;

/**
 * @param {string} base URL of the product's js/e2ee/
 * @param {{mode: 'script' | 'streams', recvKey: boolean, control: 'decrypt' | 'passthrough', video: string,
 *   height: number}} o video: 'vp8' or 'vp9', negotiated; the transforms are not told, so the
 *   worker must follow the frames' MIME type (its default is VP8). height: 720 or 360.
 */
export async function startCall(base, o) {
  const { E2EEWorker } = await import(`${base}transform.js`);
  const sf = await import(`${base}sframe.js`);
  const tx = new E2EEWorker(undefined, o.mode);
  const rx = new E2EEWorker(undefined, o.mode);
  await Promise.all([tx.ready, rx.ready]);
  /** @type {string[]} */
  const errors = [];
  /** @type {string[]} */
  const keyUsed = [];
  tx.addEventListener('error', (/** @type {any} */ e) => errors.push(`tx: ${e.detail.message}`));
  rx.addEventListener('error', (/** @type {any} */ e) => errors.push(`rx: ${e.detail.message}`));
  rx.addEventListener('keyUsed', (/** @type {any} */ e) => keyUsed.push(`${e.detail.index}/${e.detail.gen}/${e.detail.step}`));
  const gens = [crypto.getRandomValues(new Uint8Array(16))];
  tx.setSendKey(index, 0, 0, gens[0]);
  if (o.recvKey) rx.addReceiveKey(index, 0, 0, gens[0]);
  rx.setControl(o.control);

  const stream = await navigator.mediaDevices.getUserMedia({
    audio: true, video: { width: o.height * 16 / 9, height: o.height, frameRate: 30 },
  });
  const local = document.createElement('video');
  local.id = 'local-video';
  local.autoplay = true;
  local.muted = true;
  local.srcObject = stream;
  document.body.append(local);
  const pc1 = new RTCPeerConnection(tx.pcConfig());
  const pc2 = new RTCPeerConnection(rx.pcConfig());
  pc1.onicecandidate = (e) => { if (e.candidate) pc2.addIceCandidate(e.candidate); };
  pc2.onicecandidate = (e) => { if (e.candidate) pc1.addIceCandidate(e.candidate); };
  for (const track of stream.getTracks()) {
    const t = pc1.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    const want = track.kind === 'audio' ? /^audio\/opus$/i : new RegExp(`^video/(${o.video}|rtx)$`, 'i');
    const caps = RTCRtpSender.getCapabilities(track.kind)?.codecs ?? [];
    t.setCodecPreferences(caps.filter((c) => want.test(c.mimeType)));
    tx.attachSender(t.sender, { kind: /** @type {'audio' | 'video'} */ (track.kind) });
    if (track.kind === 'video') {
      // Keep 720p from the start, for the worker's cost per 720p30 stream,
      // instead of the low resolution bandwidth estimation starts with.
      const p = t.sender.getParameters();
      p.degradationPreference = 'maintain-resolution';
      for (const e of p.encodings) e.maxBitrate = 2_500_000;
      await t.sender.setParameters(p);
    }
  }
  pc2.ontrack = (e) => {
    rx.attachReceiver(e.receiver, { kind: /** @type {'audio' | 'video'} */ (e.track.kind) });
    const el = document.createElement(e.track.kind === 'video' ? 'video' : 'audio');
    el.id = `remote-${e.track.kind}`;
    el.autoplay = true;
    el.muted = e.track.kind === 'video';
    el.srcObject = new MediaStream([e.track]);
    document.body.append(el);
  };
  await pc1.setLocalDescription();
  await pc2.setRemoteDescription(/** @type {RTCSessionDescription} */ (pc1.localDescription));
  await pc2.setLocalDescription();
  await pc1.setRemoteDescription(/** @type {RTCSessionDescription} */ (pc2.localDescription));
  /** @type {any} */ (globalThis).e2eeCall = { tx, rx, pc1, pc2, stream, gens, sf, errors, keyUsed };
  return 'started';
}

/** @returns {any} */
function call() {
  return /** @type {any} */ (globalThis).e2eeCall;
}

/**
 * The receiver's inbound RTP stats, both workers' stats and the events so
 * far. Like every function here, it takes the e2ee base URL first, unused.
 * @param {string} _base
 * @returns {Promise<string>}
 */
export async function sample(_base) {
  const c = call();
  /** @type {Record<string, any>} */
  const inbound = {};
  (await c.pc2.getStats()).forEach((/** @type {any} */ r) => {
    if (r.type === 'inbound-rtp') inbound[r.kind] = r;
  });
  /** @type {Record<string, any>} */
  const outbound = {};
  (await c.pc1.getStats()).forEach((/** @type {any} */ r) => {
    if (r.type === 'outbound-rtp') outbound[r.kind] = r;
  });
  const v = inbound.video ?? {};
  const a = inbound.audio ?? {};
  const ov = outbound.video ?? {};
  return JSON.stringify({
    video: {
      framesDecoded: v.framesDecoded ?? 0, framesReceived: v.framesReceived ?? 0, keyFramesDecoded: v.keyFramesDecoded ?? 0,
      frameWidth: v.frameWidth ?? 0, frameHeight: v.frameHeight ?? 0, bytesReceived: v.bytesReceived ?? 0,
      pliCount: v.pliCount ?? 0, freezeCount: v.freezeCount ?? 0,
    },
    sent: { frameWidth: ov.frameWidth ?? 0, frameHeight: ov.frameHeight ?? 0, framesEncoded: ov.framesEncoded ?? 0,
      bytesSent: ov.bytesSent ?? 0, keyFramesEncoded: ov.keyFramesEncoded ?? 0 },
    audio: { totalSamplesReceived: a.totalSamplesReceived ?? 0, concealedSamples: a.concealedSamples ?? 0,
      packetsReceived: a.packetsReceived ?? 0 },
    tx: await c.tx.stats(), rx: await c.rx.stats(),
    errors: c.errors, keyUsed: c.keyUsed,
  });
}

/**
 * The sender moves to step of generation gen (ratcheting the generation's base key).
 * @param {string} _base
 * @param {number} gen
 * @param {number} step
 */
export async function sendStep(_base, gen, step) {
  const c = call();
  let key = c.gens[gen];
  for (let i = 0; i < step; i++) key = await c.sf.ratchet(key);
  c.tx.setSendKey(index, gen, step, key);
  return 'ok';
}

/**
 * A new generation: the receiver gets its key, and the sender switches
 * after delayMs (the ack wait of docs/e2ee.md).
 * @param {string} _base
 * @param {number} gen
 * @param {number} delayMs
 */
export async function newGeneration(_base, gen, delayMs) {
  const c = call();
  c.gens[gen] = crypto.getRandomValues(new Uint8Array(16));
  c.rx.addReceiveKey(index, gen, 0, c.gens[gen]);
  await new Promise((r) => setTimeout(r, delayMs));
  c.tx.setSendKey(index, gen, 0, c.gens[gen]);
  return 'ok';
}

/**
 * The mean and spread of the luma of the remote or the local picture, to
 * tell the fake camera's picture from decoded garbage.
 * @param {string} _base
 * @param {'remote' | 'local'} which
 */
export function picture(_base, which) {
  const v = /** @type {HTMLVideoElement | null} */ (document.getElementById(`${which}-video`));
  if (!v || v.videoWidth === 0) return JSON.stringify({ width: 0 });
  const canvas = document.createElement('canvas');
  canvas.width = 160;
  canvas.height = 90;
  const g = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d', { willReadFrequently: true }));
  g.drawImage(v, 0, 0, canvas.width, canvas.height);
  const px = g.getImageData(0, 0, canvas.width, canvas.height).data;
  let sum = 0;
  let sq = 0;
  const n = px.length / 4;
  for (let i = 0; i < px.length; i += 4) {
    const y = 0.299 * px[i] + 0.587 * px[i + 1] + 0.114 * px[i + 2];
    sum += y;
    sq += y * y;
  }
  const mean = sum / n;
  return JSON.stringify({ width: v.videoWidth, height: v.videoHeight, mean, stddev: Math.sqrt(sq / n - mean * mean) });
}

/**
 * Closes both connections and workers.
 * @param {string} _base
 */
export function stopCall(_base) {
  const c = call();
  c.pc1.close();
  c.pc2.close();
  c.tx.close();
  c.rx.close();
  for (const t of c.stream.getTracks()) t.stop();
  return 'stopped';
}

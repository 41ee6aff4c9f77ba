// @ts-check
/**
 * The page's side of the E2EE worker (worker.js): it starts the worker,
 * attaches it to RTCRtpSenders and RTCRtpReceivers, and passes keys.
 * RTCRtpScriptTransform is used where it exists; Chromium's legacy
 * createEncodedStreams only where it does not, and never both on one
 * connection (mixing them fails with InvalidStateError in Chromium).
 */

/**
 * Which frame-transform API this browser offers: 'script'
 * (RTCRtpScriptTransform), 'streams' (createEncodedStreams, Chromium
 * before 141), or null when it cannot do end-to-end encryption.
 * @returns {'script' | 'streams' | null}
 */
export function e2eeSupport() {
  if (typeof RTCRtpScriptTransform === 'function') return 'script';
  if (typeof RTCRtpSender !== 'undefined' && 'createEncodedStreams' in RTCRtpSender.prototype &&
      typeof RTCRtpReceiver !== 'undefined' && 'createEncodedStreams' in RTCRtpReceiver.prototype) {
    return 'streams';
  }
  return null;
}

/**
 * What a transform needs to know of its track.
 * @typedef {object} TrackInfo
 * @property {'audio' | 'video'} kind
 * @property {string} [codec] 'vp8', 'vp9' or 'opus'; defaults to 'opus' for
 *   audio and 'vp8' for video, and the worker follows the frames' MIME type
 *   on video key frames anyway
 * @property {string} [id] receivers: a name for bind(), unique in the page
 * @property {number} [index] receivers: the sender index whose frames it
 *   may carry, when already known (else bind() it later)
 */

/**
 * @typedef {object} WorkerStats
 * @property {{frames: number, bytes: number, overheadBytes: number, dropped: number, ctr: number}} send
 * @property {Record<string, {frames: number, failures: number, unknownKid: number, held: number, replayed: number,
 *   dropped: number}>} recv per sender index (0: frames whose header did not parse)
 * @property {number} transforms running transforms
 * @property {string[]} codecs "role kind codec" of each running transform, the codec as the
 *   worker follows it
 * @property {number} errors unexpected failures, reported or not
 * @property {{sendMs: number, sendAudioMs: number, recvMs: number, recvAudioMs: number, uptimeMs: number}} cpu
 *   milliseconds spent encrypting and decrypting (wall time from a frame's arrival to its
 *   result, an upper bound of CPU time), of which on audio, and the worker's clock; rates
 *   come from two samples
 */

/**
 * The page's one E2EE worker. Events: 'keyUsed' (detail {index, gen,
 * step}, the first time a receive key decrypts a frame) and 'error'
 * (detail {message}).
 */
export class E2EEWorker extends EventTarget {
  /**
   * @param {string | URL} [url] of worker.js
   * @param {'script' | 'streams' | null} [mode] defaults to e2eeSupport();
   *   tests force 'streams' on Chromium, which has both
   */
  constructor(url = new URL('./worker.js', import.meta.url), mode = e2eeSupport()) {
    super();
    if (mode === null || (mode === 'script' && typeof RTCRtpScriptTransform !== 'function') ||
        (mode === 'streams' && !('createEncodedStreams' in RTCRtpSender.prototype))) {
      throw new Error(`e2ee: this browser cannot transform media frames (${mode})`);
    }
    /** @type {'script' | 'streams'} */
    this.mode = mode;
    this.worker = new Worker(url, { type: 'module', name: 'conclave-e2ee' });
    /** @type {Map<number, {resolve: (s: WorkerStats) => void, reject: (e: Error) => void}>} */
    this.pending = new Map();
    this.nextID = 1;
    /** @type {() => void} */
    let ready = () => {};
    /**
     * Resolves once the worker runs. Await it before attaching: an
     * RTCRtpScriptTransform made earlier could reach the worker before its
     * handler exists.
     * @type {Promise<void>}
     */
    this.ready = new Promise((resolve) => { ready = resolve; });
    this.worker.onmessage = (ev) => {
      const m = ev.data;
      if (m?.ev === 'ready') ready();
      else if (m?.ev === 'stats') this.settle(m);
      else if (m?.ev === 'keyUsed') this.emit('keyUsed', { index: m.index, gen: m.gen, step: m.step });
      else if (m?.ev === 'error') this.emit('error', { message: String(m.message) });
    };
    this.worker.onerror = (ev) => {
      ev.preventDefault();
      this.emit('error', { message: `worker: ${ev.message || 'failed to load'}` });
    };
  }

  /**
   * Extra RTCConfiguration fields for every RTCPeerConnection carrying E2EE media.
   * @returns {Record<string, unknown>}
   */
  pcConfig() {
    return this.mode === 'streams' ? { encodedInsertableStreams: true } : {};
  }

  /**
   * Encrypts everything sender sends. Attach before the sender has a
   * track to send, or at least synchronously after replaceTrack/addTrack.
   * @param {RTCRtpSender} sender
   * @param {TrackInfo} info
   */
  attachSender(sender, info) {
    this.attach(sender, 'send', info);
  }

  /**
   * Decrypts everything receiver receives; call it synchronously in ontrack.
   * @param {RTCRtpReceiver} receiver
   * @param {TrackInfo} info
   */
  attachReceiver(receiver, info) {
    this.attach(receiver, 'recv', info);
  }

  /**
   * @param {RTCRtpSender | RTCRtpReceiver} x
   * @param {'send' | 'recv'} role
   * @param {TrackInfo} info
   */
  attach(x, role, info) {
    const options = { role, kind: info.kind, codec: info.codec ?? (info.kind === 'audio' ? 'opus' : 'vp8'),
      id: info.id, index: info.index };
    if (this.mode === 'script') {
      x.transform = new RTCRtpScriptTransform(this.worker, options);
      return;
    }
    const { readable, writable } = /** @type {any} */ (x).createEncodedStreams();
    this.worker.postMessage({ op: 'stream', ...options, readable, writable }, [readable, writable]);
  }

  /**
   * Binds a receiver (attached with an id) to the one sender index whose
   * frames it may carry: the server chose which participant's track it is,
   * and a frame under another sender's key is dropped, so a server that
   * relabels tracks cannot show one person's video as another's.
   * @param {string} id @param {number} index
   */
  bind(id, index) {
    this.worker.postMessage({ op: 'bind', id, index });
  }

  /**
   * From now on every sender transform encrypts with this key (its KID
   * is index << 6 | (gen mod 4) << 4 | (step mod 16)), counter from 0.
   * @param {number} index
   * @param {number} gen
   * @param {number} step
   * @param {Uint8Array} key 16 or 32 bytes; copied
   */
  setSendKey(index, gen, step, key) {
    this.worker.postMessage({ op: 'sendKey', index, gen, step, key: key.slice() });
  }

  /**
   * A key of sender index; the worker follows that sender's ratchet on its own.
   * @param {number} index
   * @param {number} gen
   * @param {number} step
   * @param {Uint8Array} key 16 or 32 bytes; copied
   */
  addReceiveKey(index, gen, step, key) {
    this.worker.postMessage({ op: 'recvKey', index, gen, step, key: key.slice() });
  }

  /**
   * Drops every key of sender index (the participant left).
   * @param {number} index
   */
  forget(index) {
    this.worker.postMessage({ op: 'forget', index });
  }

  /**
   * Test control: 'passthrough' hands received frames to the decoder
   * undecrypted; 'decrypt' is the normal mode.
   * @param {'decrypt' | 'passthrough'} mode
   */
  setControl(mode) {
    this.worker.postMessage({ op: 'control', recv: mode });
  }

  /** @returns {Promise<WorkerStats>} */
  stats() {
    const id = this.nextID++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ op: 'stats', id });
    });
  }

  /** Stops the worker; every transform attached to it stops passing frames. */
  close() {
    this.worker.terminate();
    for (const p of this.pending.values()) p.reject(new Error('e2ee: worker closed'));
    this.pending.clear();
  }

  /** @param {any} m */
  settle(m) {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    const { ev: _ev, id: _id, ...stats } = m;
    p.resolve(/** @type {WorkerStats} */ (stats));
  }

  /**
   * @param {string} type
   * @param {object} detail
   */
  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

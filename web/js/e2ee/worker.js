// @ts-check
/**
 * The E2EE worker: one module Worker per page (transform.js starts it)
 * holds the receive keys, the page's sender key and counter, and runs
 * every sender and receiver transform. Messages from the page:
 *
 *   {op: 'sendKey', index, gen, step, key}   encrypt with this key from now on
 *   {op: 'recvKey', index, gen, step, key}   a key of sender index
 *   {op: 'forget', index}                    drop every key of sender index
 *   {op: 'stats', id}                        answered by {ev: 'stats', id, ...}
 *   {op: 'control', recv: 'decrypt' | 'passthrough'}   tests only
 *   {op: 'stream', role, kind, codec, readable, writable}   createEncodedStreams
 *
 * and RTCRtpScriptTransform's rtctransform events with options
 * {role, kind, codec}. Events to the page: {ev: 'ready'} once loaded,
 * {ev: 'keyUsed', index, gen, step} the first time a receive key
 * decrypts, {ev: 'error', message} for unexpected failures (each message
 * once; per-frame authentication failures are only counted).
 */

import { KeyStore, validKey } from './keystore.js';
import { CodecTracker, RecvPipe, SendKey } from './frames.js';

/** Distinct error messages reported, at most; the rest are counted in stats. */
const maxErrorReports = 20;

/**
 * @typedef {import('./frames.js').TransformOptions} TransformOptions
 * @typedef {import('./frames.js').EncodedFrame} EncodedFrame
 * @typedef {import('./frames.js').RecvCounters} RecvCounters
 * @typedef {{generateKeyFrame?: () => Promise<void>, sendKeyFrameRequest?: () => Promise<void>}} Transformer
 */

class Engine {
  /** @param {(msg: object) => void} post */
  constructor(post) {
    this.post = post;
    this.store = new KeyStore();
    this.send = new SendKey();
    /** @type {Map<number, RecvCounters>} */
    this.recv = new Map();
    this.mode = 'decrypt';
    /** @type {Map<string, number>} receiver id -> the only sender index it may carry */
    this.bound = new Map();
    this.transforms = 0;
    /** @type {Set<Transformer>} video sender transformers, for generateKeyFrame */
    this.videoSenders = new Set();
    /** @type {Set<{role: string, tracker: CodecTracker}>} running transforms, for stats */
    this.pipes = new Set();
    /** @type {Set<string>} */
    this.reported = new Set();
    this.errors = 0;
    this.cpu = { recvMs: 0, recvAudioMs: 0 };
    /** @type {import('./frames.js').RecvContext} */
    this.ctx = {
      store: this.store,
      passthrough: () => this.mode === 'passthrough',
      counters: (index) => this.counters(index),
      keyUsed: (e) => this.post({ ev: 'keyUsed', index: e.index, gen: e.gen, step: e.step }),
      error: (message) => this.error(message),
      bound: (id) => this.bound.get(id),
      cpu: this.cpu,
    };
  }

  /** @param {any} m */
  message(m) {
    switch (m?.op) {
      case 'sendKey':
        if (!validKey(m.index, m.gen, m.step, m.key)) {
          this.error(`sendKey: bad key ${m.index}/${m.gen}/${m.step}`);
          break;
        }
        this.send.set(m.index, m.gen, m.step, m.key).then(() => this.keyFrames(),
          (e) => this.error(`sendKey: ${e}`));
        break;
      case 'recvKey':
        this.store.add(m.index, m.gen, m.step, m.key).catch((e) => this.error(`recvKey: ${e}`));
        break;
      case 'forget':
        this.store.forget(m.index).then(() => this.recv.delete(m.index));
        break;
      case 'bind':
        if (typeof m.id === 'string' && Number.isInteger(m.index) && m.index >= 1 && m.index <= 255) this.bound.set(m.id, m.index);
        break;
      case 'stats':
        this.post(this.stats(m.id));
        break;
      case 'control':
        this.mode = m.recv === 'passthrough' ? 'passthrough' : 'decrypt';
        break;
      case 'stream':
        this.transform({ role: m.role, kind: m.kind, codec: m.codec, id: m.id, index: m.index }, m.readable, m.writable, null);
        break;
      default:
        this.error(`unknown message ${JSON.stringify(m?.op)}`);
    }
  }

  /**
   * Runs one transform until its stream ends.
   * @param {TransformOptions} o
   * @param {ReadableStream<EncodedFrame>} readable
   * @param {WritableStream<EncodedFrame>} writable
   * @param {Transformer | null} transformer
   */
  async transform(o, readable, writable, transformer) {
    this.transforms++;
    try {
      if (o.role === 'send') {
        await this.sendLoop(o, readable, writable, transformer);
      } else {
        await this.recvLoop(o, readable, writable, transformer);
      }
    } catch (e) {
      this.error(`${o.role} ${o.kind} transform: ${e}`);
    } finally {
      this.transforms--;
    }
  }

  /**
   * @param {TransformOptions} o
   * @param {ReadableStream<EncodedFrame>} readable
   * @param {WritableStream<EncodedFrame>} writable
   * @param {Transformer | null} transformer
   */
  async sendLoop(o, readable, writable, transformer) {
    const codec = new CodecTracker(o);
    const pipe = { role: o.role, tracker: codec };
    this.pipes.add(pipe);
    if (transformer && o.kind === 'video') this.videoSenders.add(transformer);
    try {
      await readable.pipeThrough(new TransformStream({
        transform: async (frame, out) => {
          let ok = false;
          try {
            ok = await this.send.seal(frame, codec.of(frame));
          } catch (e) {
            this.send.dropped++;
            this.error(`send ${o.kind}: ${e}`);
          }
          if (ok) out.enqueue(frame);
        },
      })).pipeTo(writable);
    } finally {
      this.pipes.delete(pipe);
      if (transformer) this.videoSenders.delete(transformer);
    }
  }

  /**
   * @param {TransformOptions} o
   * @param {ReadableStream<EncodedFrame>} readable
   * @param {WritableStream<EncodedFrame>} writable
   * @param {Transformer | null} transformer
   */
  async recvLoop(o, readable, writable, transformer) {
    const pipe = new RecvPipe(this.ctx, o, transformer, writable.getWriter());
    const entry = { role: o.role, tracker: pipe.codec };
    this.pipes.add(entry);
    try {
      const reader = readable.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        pipe.push(value);
      }
    } finally {
      this.pipes.delete(entry);
    }
  }

  /** Asks every video sender for a key frame where the browser can (not Chromium). */
  keyFrames() {
    for (const t of this.videoSenders) {
      if (typeof t.generateKeyFrame === 'function') {
        t.generateKeyFrame().catch(() => {}); // refused while the encoder is idle: its first frame is a key frame anyway
      }
    }
  }

  /** @param {number} index */
  counters(index) {
    let c = this.recv.get(index);
    if (!c) {
      c = { frames: 0, failures: 0, unknownKid: 0, held: 0, replayed: 0, dropped: 0, foreign: 0 };
      this.recv.set(index, c);
    }
    return c;
  }

  /** @param {string} message */
  error(message) {
    this.errors++;
    if (this.reported.has(message) || this.reported.size >= maxErrorReports) return;
    this.reported.add(message);
    this.post({ ev: 'error', message });
  }

  /** @param {unknown} id */
  stats(id) {
    const s = this.send;
    return {
      ev: 'stats', id,
      send: { frames: s.frames, bytes: s.bytes, overheadBytes: s.overheadBytes, dropped: s.dropped, ctr: s.ctr },
      recv: Object.fromEntries(this.recv),
      transforms: this.transforms,
      codecs: [...this.pipes].map((p) => `${p.role} ${p.tracker.kind} ${p.tracker.codec}`).sort(),
      errors: this.errors,
      cpu: {
        sendMs: s.busyMs, sendAudioMs: s.audioBusyMs, recvMs: this.cpu.recvMs, recvAudioMs: this.cpu.recvAudioMs,
        uptimeMs: performance.now(),
      },
    };
  }
}

const engine = new Engine((msg) => self.postMessage(msg));
self.onmessage = (ev) => engine.message(ev.data);
/** @type {any} */ (self).onrtctransform = (/** @type {any} */ ev) => {
  const t = ev.transformer;
  engine.transform(t.options, t.readable, t.writable, t);
};
self.postMessage({ ev: 'ready' });

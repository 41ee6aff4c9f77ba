// @ts-check
/**
 * The per-frame work of the E2EE worker: a frame becomes
 * P ‖ SFrame(KID, CTR, metadata = P, plaintext = frame[|P|:]) and back
 * (docs/e2ee.md, "Frames"; P is framing.js's clear prefix). The hot path
 * builds on sframe.js's primitives rather than its Sender and Receiver so
 * that a frame costs WebCrypto's output buffer plus the one buffer the
 * frame's data must become, and nothing frame-sized besides.
 */

import { Codec, clearPrefixLength, codecFromMime, isVP8KeyFrame, vp8KeyPrefix } from './framing.js';
import { mediaSuite, packKID } from './keystore.js';
import { ErrorCode, aeadDecrypt, aeadEncrypt, encodeHeader, formNonce, importBaseKey, parseHeader } from './sframe.js';

/** How long a frame whose KID has no key yet waits for its key message. */
export const holdMs = 500;

/**
 * An RTCEncodedVideoFrame or RTCEncodedAudioFrame.
 * @typedef {object} EncodedFrame
 * @property {ArrayBuffer} data
 * @property {string} [type] 'key', 'delta' or 'empty' on video frames
 * @property {() => {mimeType?: string}} [getMetadata]
 */

/**
 * The options a transform is created with (transform.js).
 * @typedef {object} TransformOptions
 * @property {'send' | 'recv'} role
 * @property {'audio' | 'video'} kind
 * @property {string} codec a framing.js Codec value
 * @property {string} [id] a receiver's name for binding (see bound)
 * @property {number} [index] a receiver's sender index, when known at attach time
 */

/** Follows the codec of one transform: the option, then the MIME type of video key frames. */
export class CodecTracker {
  /** @param {TransformOptions} o */
  constructor(o) {
    this.kind = o.kind;
    this.codec = o.kind === 'audio' ? Codec.OPUS : o.codec;
    this.checked = false;
  }

  /**
   * The codec of frame. Metadata is read only on the first frame and on
   * key frames, where a codec change must start; Opus is the only audio
   * codec of E2EE rooms and has no clear prefix.
   * @param {EncodedFrame} frame
   * @returns {string}
   */
  of(frame) {
    if (this.kind !== 'video' || (this.checked && frame.type !== 'key')) return this.codec;
    this.checked = true;
    const mime = frame.getMetadata?.().mimeType;
    if (mime) this.codec = codecFromMime(mime) ?? mime;
    return this.codec;
  }
}

/** The page's one sender key and counter, shared by every sender transform. */
export class SendKey {
  constructor() {
    /** @type {import('./sframe.js').KeyState | null} */
    this.ks = null;
    this.ctr = 0;
    this.frames = 0;
    this.bytes = 0;
    this.overheadBytes = 0;
    this.dropped = 0;
    this.busyMs = 0;
    this.audioBusyMs = 0; // the Opus part of busyMs
    /** @type {Promise<unknown>} */
    this.chain = Promise.resolve();
  }

  /**
   * Switches to a new key once it is imported; keys switch in the order
   * they were set, and the counter restarts at 0.
   * @param {number} index
   * @param {number} gen
   * @param {number} step
   * @param {Uint8Array} key
   * @returns {Promise<void>}
   */
  set(index, gen, step, key) {
    const p = this.chain.then(async () => {
      const ks = await importBaseKey(mediaSuite, packKID(index, gen, step), key);
      key.fill(0);
      this.ks = ks;
      this.ctr = 0;
    });
    this.chain = p.catch(() => {});
    return p;
  }

  /**
   * Encrypts frame in place. A frame without a key, or a VP8 key frame
   * too short for its clear header, is refused: nothing leaves in clear.
   * @param {EncodedFrame} frame
   * @param {string} codec
   * @returns {Promise<boolean>} whether to send the frame
   */
  async seal(frame, codec) {
    const t0 = performance.now();
    const data = new Uint8Array(frame.data);
    if (data.length === 0) return true;
    const ks = this.ks;
    const n = clearPrefixLength(codec, data);
    if (!ks || (codec === Codec.VP8 && isVP8KeyFrame(data) && n < vp8KeyPrefix)) {
      this.dropped++;
      return false;
    }
    const ctr = this.ctr++; // taken before any await: every frame gets its own
    const hdr = encodeHeader(ks.kid, ctr);
    const aad = new Uint8Array(hdr.length + n);
    aad.set(hdr, 0);
    aad.set(data.subarray(0, n), hdr.length);
    const ct = await aeadEncrypt(ks.aead, formNonce(ks.salt, ctr), aad, data.subarray(n));
    const out = new Uint8Array(n + hdr.length + ct.length);
    out.set(aad.subarray(hdr.length), 0);
    out.set(hdr, n);
    out.set(ct, n + hdr.length);
    frame.data = out.buffer;
    this.frames++;
    this.bytes += out.length;
    this.overheadBytes += out.length - data.length;
    const ms = performance.now() - t0;
    this.busyMs += ms;
    if (codec === Codec.OPUS) this.audioBusyMs += ms;
    return true;
  }
}

/**
 * Per-sender receive counters (see worker.js's stats).
 * @typedef {object} RecvCounters
 * @property {number} frames decrypted and handed to the decoder
 * @property {number} failures authentication failures
 * @property {number} unknownKid frames that arrived before their key
 * @property {number} held of those, frames whose key came within holdMs
 * @property {number} replayed frames whose counter was accepted before, or is too old
 * @property {number} foreign frames under a sender key other than the receiver's bound sender
 * @property {number} dropped frames not handed to the decoder, for any reason
 */

/**
 * What a RecvPipe needs from the worker.
 * @typedef {object} RecvContext
 * @property {import('./keystore.js').KeyStore} store
 * @property {() => boolean} passthrough the negative-control mode: no decryption
 * @property {(index: number) => RecvCounters} counters
 * @property {(e: import('./keystore.js').KeyEntry) => void} keyUsed
 * @property {(message: string) => void} error
 * @property {(id: string) => number | undefined} bound the sender index a receiver id may carry
 * @property {{recvMs: number, recvAudioMs: number}} cpu milliseconds spent decrypting, all and audio
 */

/**
 * One receiver transform: frames are decrypted in arrival order; a frame
 * waiting for its key holds back the ones behind it, which keep their own
 * arrival time for the holdMs limit.
 */
export class RecvPipe {
  /**
   * @param {RecvContext} ctx
   * @param {TransformOptions} o
   * @param {{sendKeyFrameRequest?: () => Promise<void>} | null} transformer
   * @param {WritableStreamDefaultWriter} writer
   */
  constructor(ctx, o, transformer, writer) {
    this.ctx = ctx;
    this.kind = o.kind;
    this.codec = new CodecTracker(o);
    this.transformer = transformer;
    this.writer = writer;
    /** @type {{frame: EncodedFrame, t: number}[]} */
    this.queue = [];
    this.busy = false;
    this.newest = 0; // seq of the newest key this pipe decrypted with
    this.id = o.id; // with an id, only frames of the bound sender pass
    this.index = o.index; // the binding known at attach time, until bind() says otherwise
  }

  /** @param {EncodedFrame} frame */
  push(frame) {
    this.queue.push({ frame, t: performance.now() });
    if (!this.busy) this.pump();
  }

  async pump() {
    this.busy = true;
    try {
      while (this.queue.length > 0) {
        const item = this.queue[0];
        const deliver = await this.open(item.frame, item.t);
        this.queue.shift();
        if (deliver) this.writer.write(item.frame).catch((e) => this.ctx.error(`write: ${e}`));
      }
    } catch (e) {
      this.ctx.error(`receive: ${e}`);
      this.queue.length = 0;
    } finally {
      this.busy = false;
    }
  }

  /**
   * Decrypts frame in place.
   * @param {EncodedFrame} frame
   * @param {number} arrived
   * @returns {Promise<boolean>} whether to hand it to the decoder
   */
  async open(frame, arrived) {
    const data = new Uint8Array(frame.data);
    if (data.length === 0 || this.ctx.passthrough()) return true;
    const n = clearPrefixLength(this.codec.of(frame), data);
    let hdr;
    try {
      hdr = parseHeader(data.subarray(n));
    } catch {
      this.ctx.counters(0).dropped++;
      return false;
    }
    const kid = hdr.kid < 1n << 14n ? Number(hdr.kid) : 0;
    const c = this.ctx.counters(kid >> 6);
    if (this.id !== undefined && (this.ctx.bound(this.id) ?? this.index) !== kid >> 6) {
      // Not the sender the server said this track is from (or not known yet).
      c.foreign++;
      c.dropped++;
      return false;
    }
    const e = await this.key(kid, arrived, c);
    if (!e) {
      c.dropped++;
      return false;
    }
    if (!e.win.check(hdr.ctr)) {
      c.replayed++;
      c.dropped++;
      return false;
    }
    const t0 = performance.now();
    const start = n + hdr.length;
    const aad = new Uint8Array(start);
    aad.set(data.subarray(n, start), 0);
    aad.set(data.subarray(0, n), hdr.length);
    let pt;
    try {
      pt = await aeadDecrypt(e.ks.aead, formNonce(e.ks.salt, hdr.ctr), aad, data.subarray(start));
    } catch (err) {
      const code = /** @type {{code?: string}} */ (err).code;
      if (code !== ErrorCode.AUTH && code !== ErrorCode.HEADER) throw err;
      c.failures++;
      c.dropped++;
      return false;
    }
    if (!e.win.accept(hdr.ctr)) {
      c.replayed++;
      c.dropped++;
      return false;
    }
    this.ctx.store.commit(e); // a ratchet candidate becomes the newest step
    if (n === 0) {
      frame.data = /** @type {ArrayBuffer} */ (pt.buffer);
    } else {
      const out = new Uint8Array(n + pt.length);
      out.set(data.subarray(0, n), 0);
      out.set(pt, n);
      frame.data = out.buffer;
    }
    const ms = performance.now() - t0;
    this.ctx.cpu.recvMs += ms;
    if (this.kind === 'audio') this.ctx.cpu.recvAudioMs += ms;
    c.frames++;
    this.switched(e, frame);
    return true;
  }

  /**
   * The key of kid: cached, ratcheted, or waited for until holdMs after
   * the frame arrived.
   * @param {number} kid
   * @param {number} arrived
   * @param {RecvCounters} c
   */
  async key(kid, arrived, c) {
    const index = kid >> 6;
    if (index === 0) return null;
    const store = this.ctx.store;
    let e = store.get(kid) ?? (await store.resolve(kid));
    if (e) return e;
    c.unknownKid++;
    for (;;) {
      const left = arrived + holdMs - performance.now();
      if (left <= 0) return null;
      await store.waitFor(index, left);
      e = store.get(kid) ?? (await store.resolve(kid));
      if (e) {
        c.held++;
        return e;
      }
    }
  }

  /**
   * After the first frame of a key: tells the page, and on video asks the
   * sender for a key frame unless this one is, since the delta frames
   * around a switch may have been dropped (Chromium cannot generateKeyFrame
   * on the sender, so the receiver asks).
   * @param {import('./keystore.js').KeyEntry} e
   * @param {EncodedFrame} frame
   */
  switched(e, frame) {
    if (!e.used) {
      e.used = true;
      this.ctx.keyUsed(e);
    }
    if (e.seq <= this.newest) return;
    this.newest = e.seq;
    const t = this.transformer;
    if (this.kind === 'video' && frame.type !== 'key' && t && typeof t.sendKeyFrameRequest === 'function') {
      t.sendKeyFrameRequest().catch(() => {}); // refused while the track is not decoding: nothing to do
    }
  }
}

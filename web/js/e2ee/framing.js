// @ts-check
/**
 * Conclave's encrypted media frame (E2EE.md, "Frame format"):
 *
 *   out = P ‖ SFrame(metadata = P, plaintext = frame[|P|..])
 *
 * P is the clear codec prefix that browsers' packetizers and the SFU read:
 * for VP8 the 10-byte key-frame header or the 1 byte holding the inter bit
 * of a delta frame; nothing for VP9 and Opus, whose RTP payload
 * descriptors carry what the SFU needs. The receiver computes |P| from P
 * itself, so there is no trailer. P is the SFrame metadata, hence
 * authenticated. Pure functions: usable in the E2EE worker.
 */

import { ErrorCode, Receiver, SFrameError, Sender } from './sframe.js';

/** Codecs with a framing rule. H.264 and AV1 need codec-aware rules not written yet. */
export const Codec = Object.freeze({ VP8: 'vp8', VP9: 'vp9', OPUS: 'opus' });

/** Clear bytes of a VP8 key frame: frame tag (3), start code (3), width and height (4). */
export const vp8KeyPrefix = 10;

/** Clear bytes of a VP8 delta frame: the byte with the P (inter) bit. */
export const vp8DeltaPrefix = 1;

/**
 * Maps a MIME type ("video/VP8") or codec name to a Codec value.
 * @param {string} mime
 * @returns {string | null} null for a codec without a rule
 */
export function codecFromMime(mime) {
  const name = mime.toLowerCase().replace(/^(audio|video)\//, '');
  return /** @type {string[]} */ (Object.values(Codec)).includes(name) ? name : null;
}

/**
 * Whether a VP8 frame is a key frame: bit 0 of the frame tag is 0 (RFC 6386 section 9.1).
 * @param {Uint8Array} frame
 * @returns {boolean}
 */
export function isVP8KeyFrame(frame) {
  return frame.length > 0 && (frame[0] & 1) === 0;
}

/**
 * The length of the clear prefix P of a frame, clamped to its length.
 * The same function gives |P| on the sender's plain frame and on the
 * receiver's encrypted one, because P's first byte is the same.
 * @param {string} codec a Codec value
 * @param {Uint8Array} frame
 * @returns {number}
 */
export function clearPrefixLength(codec, frame) {
  switch (codec) {
    case Codec.VP8:
      if (frame.length === 0) return 0;
      return Math.min(isVP8KeyFrame(frame) ? vp8KeyPrefix : vp8DeltaPrefix, frame.length);
    case Codec.VP9:
    case Codec.OPUS:
      return 0;
  }
  throw new SFrameError(ErrorCode.INVALID, `no framing rule for codec ${codec}`);
}

/**
 * @param {Uint8Array | ArrayBuffer} b
 * @returns {Uint8Array}
 */
function asBytes(b) {
  return b instanceof Uint8Array ? b : new Uint8Array(b);
}

/**
 * Encrypts one encoded frame into P ‖ SFrame ciphertext. An empty frame
 * (DTX, a dropped layer) passes as is. A VP8 key frame shorter than its
 * 10-byte header is refused (code INVALID): the receiver could not find
 * where P ends, and no decoder accepts such a frame anyway.
 * @param {Sender} sender
 * @param {string} codec a Codec value
 * @param {Uint8Array | ArrayBuffer} frame
 * @returns {Promise<Uint8Array>}
 */
export async function encryptFrame(sender, codec, frame) {
  const f = asBytes(frame);
  if (f.length === 0) return f;
  const n = clearPrefixLength(codec, f);
  if (codec === Codec.VP8 && isVP8KeyFrame(f) && n < vp8KeyPrefix) {
    throw new SFrameError(ErrorCode.INVALID, `VP8 key frame of ${f.length} bytes is shorter than its header`);
  }
  const prefix = f.subarray(0, n);
  const ct = await sender.encrypt(f.subarray(n), prefix);
  const out = new Uint8Array(n + ct.length);
  out.set(prefix, 0);
  out.set(ct, n);
  return out;
}

/**
 * Decrypts P ‖ SFrame ciphertext back into the encoded frame P ‖ plaintext.
 * An empty frame passes as is. Throws SFrameError (HEADER, UNKNOWN_KID,
 * AUTH); the caller drops the frame and never hands it to the decoder.
 * @param {Receiver} receiver
 * @param {string} codec a Codec value
 * @param {Uint8Array | ArrayBuffer} data
 * @returns {Promise<{kid: bigint | null, ctr: bigint | null, frame: Uint8Array}>}
 *   kid and ctr are null for an empty frame
 */
export async function decryptFrame(receiver, codec, data) {
  const d = asBytes(data);
  if (d.length === 0) return { kid: null, ctr: null, frame: d };
  const n = clearPrefixLength(codec, d);
  const prefix = d.subarray(0, n);
  const { kid, ctr, plaintext } = await receiver.decrypt(d.subarray(n), prefix);
  const out = new Uint8Array(n + plaintext.length);
  out.set(prefix, 0);
  out.set(plaintext, n);
  return { kid, ctr, frame: out };
}

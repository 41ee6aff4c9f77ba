// @ts-check
/**
 * Simulcast of our camera (docs/protocol.md, "Simulcast"): the encodings
 * a camera is published with when the server offers the feature, and the
 * server's `layers` messages, which say which of them anyone receives, so
 * that the encoder stops producing the others. No DOM.
 */

/**
 * The camera's encodings, smallest first, as docs/protocol.md pins them:
 * a quarter, half and the full resolution. libwebrtc leaves out layers
 * its input is too small for, so the camera is asked for 1280×720.
 * @returns {RTCRtpEncodingParameters[]}
 */
export function cameraEncodings() {
  return [
    { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150_000 },
    { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000 },
    { rid: 'f', maxBitrate: 1_500_000 },
  ];
}

/**
 * Reads a `layers` message; null when it is not well formed.
 * @param {unknown} msg
 * @returns {{ trackId: string, active: string[] } | null}
 */
export function parseLayers(msg) {
  const m = /** @type {Record<string, unknown> | null} */ (msg);
  if (typeof m?.trackId !== 'string' || !Array.isArray(m.active)) return null;
  return { trackId: m.trackId, active: m.active.filter((r) => typeof r === 'string') };
}

/**
 * The wanted state of one simulcast sender's encodings. Changes go to the
 * sender one at a time: setParameters needs the transactionId of the
 * getParameters just before it, so two overlapping calls would fail.
 * Each step reads the parameters afresh and applies the newest wish, so a
 * burst of messages costs at most one call per message and usually fewer.
 */
export class SenderLayers {
  #sender;
  #log;
  /** @type {Set<string> | null} the RIDs to send; null: all (no layers message yet) */
  #active = null;
  #queue = Promise.resolve();

  /**
   * @param {RTCRtpSender} sender
   * @param {(...args: unknown[]) => void} log for diagnostics
   * @param {string[] | null} [active] a state to start from (the track's last layers message)
   */
  constructor(sender, log, active = null) {
    this.#sender = sender;
    this.#log = log;
    this.#active = active === null ? null : new Set(active);
  }

  /** The RIDs last asked for; null when every encoding is wanted. */
  get active() {
    return this.#active === null ? null : [...this.#active];
  }

  /**
   * Sends only the listed encodings (an empty list pauses them all).
   * @param {string[]} active RIDs
   * @returns {Promise<void>} settles once applied (never rejects)
   */
  set(active) {
    this.#active = new Set(active);
    return this.apply();
  }

  /**
   * Applies the wanted state again, as after a replaced track or a
   * negotiation, which may have changed the sender's parameters.
   * @returns {Promise<void>} settles once applied (never rejects)
   */
  apply() {
    this.#queue = this.#queue.then(() => this.#step()).catch((err) => {
      // A stopped sender (the track was unpublished) refuses; nothing to do.
      this.#log('layers: cannot set the encodings', err);
    });
    return this.#queue;
  }

  async #step() {
    const params = this.#sender.getParameters();
    let changed = false;
    for (const e of params.encodings ?? []) {
      // An encoding without a RID is not simulcast (the answer refused it): left alone.
      if (!e.rid) continue;
      const want = this.#active === null || this.#active.has(e.rid);
      if (e.active !== want) {
        e.active = want;
        changed = true;
      }
    }
    if (changed) await this.#sender.setParameters(params);
  }
}

/**
 * @typedef {object} SentLayer
 * @property {string} trackId the published track
 * @property {string} rid
 * @property {boolean} active whether the encoding is asked for (RTCRtpEncodingParameters.active)
 * @property {number} framesEncoded so far
 * @property {number} frameWidth of the last frame; 0 before the first
 * @property {number} frameHeight
 */

/**
 * What a simulcast sender sends, encoding by encoding: for tests through
 * the real server, which check that the encodings nobody receives pause.
 * @param {string} trackId
 * @param {RTCRtpSender} sender
 * @returns {Promise<SentLayer[]>}
 */
export async function sentLayers(trackId, sender) {
  /** @type {Map<string, any>} */
  const byRID = new Map();
  (await sender.getStats()).forEach((s) => {
    if (s.type === 'outbound-rtp' && s.rid) byRID.set(s.rid, s);
  });
  return (sender.getParameters().encodings ?? []).map((e) => {
    const s = byRID.get(e.rid ?? '');
    return { trackId, rid: e.rid ?? '', active: e.active !== false, framesEncoded: s?.framesEncoded ?? 0,
      frameWidth: s?.frameWidth ?? 0, frameHeight: s?.frameHeight ?? 0 };
  });
}

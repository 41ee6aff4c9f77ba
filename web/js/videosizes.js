// @ts-check
/**
 * What size each received video is shown at, for large meetings (issue
 * #7 item 7): the server can then forward only the video of tiles on
 * screen, at the resolution they need, and none for tiles off the page.
 * This module decides which `video-size` messages to send; the meeting
 * sends them only to a server whose welcome lists the feature (another
 * would answer each with an `unknown-type` error). With simulcast the
 * server also picks each video's encoding by them.
 *
 * Message: {"type":"video-size","trackId":…,"width":…,"height":…} in
 * CSS pixels; 0×0 for a track whose tile is not shown. No DOM.
 */

/** A change smaller than this share of the last size sent is not worth a message. */
const MIN_CHANGE = 0.15;

/**
 * @typedef {{ trackId: string, width: number, height: number }} VideoSize
 */

export class VideoSizes {
  /** @type {Map<string, VideoSize>} trackId → last size sent */
  #sent = new Map();

  /**
   * Returns the messages to send for the sizes tracks are shown at now;
   * tracks that are gone are forgotten.
   * @param {VideoSize[]} shown every received video track, 0×0 if hidden
   * @returns {{ type: 'video-size', trackId: string, width: number, height: number }[]}
   */
  update(shown) {
    const out = [];
    /** @type {Map<string, VideoSize>} */
    const next = new Map();
    for (const s of shown) {
      const size = { trackId: s.trackId, width: Math.max(0, Math.round(s.width)), height: Math.max(0, Math.round(s.height)) };
      const last = this.#sent.get(s.trackId);
      if (!last || changed(last, size)) {
        out.push({ type: /** @type {const} */ ('video-size'), ...size });
        next.set(s.trackId, size);
      } else {
        next.set(s.trackId, last);
      }
    }
    this.#sent = next;
    return out;
  }
}

/**
 * @param {VideoSize} a the size sent before
 * @param {VideoSize} b the size now
 */
function changed(a, b) {
  if ((a.width === 0) !== (b.width === 0) || (a.height === 0) !== (b.height === 0)) return true;
  if (a.width === 0) return false;
  return Math.abs(b.width - a.width) / a.width > MIN_CHANGE || Math.abs(b.height - a.height) / a.height > MIN_CHANGE;
}

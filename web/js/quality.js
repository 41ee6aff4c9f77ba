// @ts-check
/**
 * Connection quality per participant, from the receivers' statistics:
 * the share of packets lost and the jitter since the last sample, as the
 * three bars of a tile show them. No DOM.
 */

/** @typedef {'' | 'good' | 'fair' | 'poor'} Quality */

/**
 * Rates one interval of a participant's media.
 * @param {number} received packets received in the interval
 * @param {number} lost packets lost in the interval
 * @param {number} jitter the largest jitter among its tracks, in seconds
 * @returns {Quality}
 */
export function rate(received, lost, jitter) {
  if (received + lost === 0) return '';
  const loss = lost / (received + lost);
  if (loss > 0.1 || jitter > 0.1) return 'poor';
  if (loss > 0.02 || jitter > 0.03) return 'fair';
  return 'good';
}

export class QualityMeter {
  /** @type {Map<string, Quality>} participant ID → quality of the last interval */
  levels = new Map();
  /** @type {Map<string, { received: number, lost: number }>} per mid, the previous totals */
  #prev = new Map();

  /**
   * Takes a new sample of every received track (peer.js inboundStats);
   * returns whether any participant's quality changed.
   * @param {{ mid: string, participantId: string, packetsReceived: number, packetsLost?: number, jitter?: number }[]} stats
   * @returns {boolean}
   */
  sample(stats) {
    const before = JSON.stringify([...this.levels]);
    /** @type {Map<string, { received: number, lost: number, jitter: number }>} */
    const sums = new Map();
    /** @type {Map<string, { received: number, lost: number }>} */
    const next = new Map();
    for (const s of stats) {
      const now = { received: s.packetsReceived, lost: Math.max(0, s.packetsLost ?? 0) };
      next.set(s.mid, now);
      const before = this.#prev.get(s.mid);
      if (!before) continue;
      const sum = sums.get(s.participantId) ?? { received: 0, lost: 0, jitter: 0 };
      sum.received += Math.max(0, now.received - before.received);
      sum.lost += Math.max(0, now.lost - before.lost);
      sum.jitter = Math.max(sum.jitter, s.jitter ?? 0);
      sums.set(s.participantId, sum);
    }
    this.#prev = next;
    this.levels = new Map([...sums].map(([id, s]) => [id, rate(s.received, s.lost, s.jitter)]));
    return JSON.stringify([...this.levels]) !== before;
  }
}

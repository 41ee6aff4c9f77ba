// @ts-check
/**
 * The anti-replay window of the SFrame Receiver. RFC 9605 section 9.3
 * leaves replay protection to the application; Conclave's media crosses
 * the SFU, which could re-send old frames, so a receiver accepts each
 * counter of a key once, and none too far behind the highest. The same
 * rule as the Go sframe package (sframe/replay.go), so bots and browsers
 * behave alike.
 */

/**
 * How many counters behind the highest accepted one are still accepted
 * (once each). A participant's single counter advances ~150 times a
 * second across audio, video and simulcast layers: several seconds of
 * reordering.
 */
export const replayWindow = 1024;

const size = BigInt(replayWindow);

/** A sliding window over one key's counters (RFC 3711 section 3.3.2), a ring of bits. */
export class ReplayWindow {
  constructor() {
    /** @type {bigint | null} highest accepted counter */
    this.max = null;
    this.bits = new Uint32Array(replayWindow / 32);
  }

  /**
   * @param {bigint} ctr
   * @returns {[number, number]} word index and mask of ctr's bit
   */
  bit(ctr) {
    const i = Number(ctr % size);
    return [i >>> 5, 1 << (i & 31)];
  }

  /**
   * Whether ctr may still be accepted; check before decrypting.
   * @param {bigint} ctr
   * @returns {boolean}
   */
  check(ctr) {
    if (this.max === null || ctr > this.max) return true;
    if (this.max - ctr >= size) return false;
    const [w, m] = this.bit(ctr);
    return (this.bits[w] & m) === 0;
  }

  /**
   * Records an authenticated ctr; false if it was not acceptable (a
   * concurrent decryption of the same counter won).
   * @param {bigint} ctr
   * @returns {boolean}
   */
  accept(ctr) {
    if (!this.check(ctr)) return false;
    if (this.max === null) {
      this.max = ctr;
    } else if (ctr > this.max) {
      if (ctr - this.max >= size) {
        this.bits.fill(0);
      } else {
        for (let c = this.max + 1n; c <= ctr; c++) {
          const [w, m] = this.bit(c);
          this.bits[w] &= ~m;
        }
      }
      this.max = ctr;
    }
    const [w, m] = this.bit(ctr);
    this.bits[w] |= m;
    return true;
  }
}

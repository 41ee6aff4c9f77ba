// @ts-check
/**
 * Messages that arrived before the key that opens them: a sealed chat that
 * overtook its sender's key message, say. Each waits a bounded time, and
 * each sender may park only a few, so a flood from one sender (or from a
 * server inventing senders) cannot crowd out the others or grow memory.
 */

/** How long a message waits for its key. */
export const HOLD_MS = 5000;
/** Messages one sender may have waiting. */
const PER_SENDER = 32;
/** Messages waiting in all. */
const TOTAL = 256;

/** @typedef {{ from: string, data: Record<string, unknown>, until: number }} Held */

export class HeldMessages {
  /** @type {Map<string, Held[]>} */
  #by = new Map();
  #count = 0;

  /**
   * Parks a message until `until` (performance clock); false when it is
   * already too late or there is no room.
   * @param {string} from @param {Record<string, unknown>} data @param {number} until
   */
  add(from, data, until) {
    const list = this.#by.get(from) ?? [];
    if (performance.now() >= until || list.length >= PER_SENDER || this.#count >= TOTAL) return false;
    list.push({ from, data, until });
    this.#by.set(from, list);
    this.#count++;
    return true;
  }

  /** @param {string} from @returns {Held[]} the sender's messages still in time, removed */
  take(from) {
    const list = this.#by.get(from) ?? [];
    this.#by.delete(from);
    this.#count -= list.length;
    const now = performance.now();
    return list.filter((h) => h.until > now);
  }

  /** Forgets the messages whose time is up. */
  expire() {
    const now = performance.now();
    for (const [from, list] of this.#by) {
      const keep = list.filter((h) => h.until > now);
      this.#count -= list.length - keep.length;
      if (keep.length === 0) this.#by.delete(from);
      else this.#by.set(from, keep);
    }
  }

  /** Whether anything waits. */
  get size() {
    return this.#count;
  }

  clear() {
    this.#by.clear();
    this.#count = 0;
  }
}

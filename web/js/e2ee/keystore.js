// @ts-check
/**
 * The receive keys of the E2EE worker (docs/e2ee.md, "Sender keys"): per
 * sender index the newest two generations; per generation the newest
 * ratchet step, whose base key is kept to follow the sender forward, and
 * up to three older steps for two seconds, so frames in flight still
 * decrypt. Keys are found only from the KID
 * (index << 6 | (gen mod 4) << 4 | (step mod 16)); a KID whose step is 1–8
 * ahead of the newest step of its generation ratchets the copy forward,
 * never backwards. CryptoKeys are imported once per KID and cached.
 * No DOM and no worker globals: the page tests load it directly.
 */

import { ReplayWindow } from './replay.js';
import { CipherSuite, importBaseKey, ratchet } from './sframe.js';

/** The suite of every Conclave media frame. */
export const mediaSuite = CipherSuite.AES_128_GCM_SHA256_128;

/** How many ratchet steps a receiver follows on its own (sframe.MaxStepsAhead in Go). */
export const maxStepsAhead = 8;

/** Older steps kept per generation, and for how long after they were superseded. */
export const keptOldSteps = 3;
export const oldStepMs = 2000;

/** Generations kept per sender. */
export const keptGenerations = 2;

/**
 * The KID of a sender's key.
 * @param {number} index 1–255
 * @param {number} gen
 * @param {number} step
 * @returns {number}
 */
export function packKID(index, gen, step) {
  return (index << 6) | ((gen & 3) << 4) | (step & 15);
}

/**
 * One imported key, ready for frames.
 * @typedef {object} KeyEntry
 * @property {number} kid
 * @property {number} index
 * @property {number} gen
 * @property {number} step the full step, not reduced mod 16
 * @property {import('./sframe.js').KeyState} ks
 * @property {ReplayWindow} win
 * @property {boolean} used whether a frame decrypted with it yet
 * @property {number} seq order of creation in the store: higher is newer
 * @property {number} expires time (of `now`) after which it is dropped; Infinity for a newest step
 * @property {Generation | null} pending for a ratchet candidate, the generation it would advance
 * @property {Uint8Array | null} base a candidate's base key
 */

/**
 * @typedef {object} Generation
 * @property {number} gen
 * @property {number} step newest step
 * @property {Uint8Array} base base key of the newest step
 * @property {KeyEntry} current
 * @property {KeyEntry[]} olds superseded steps, oldest first
 */

/** @param {unknown} v @param {number} lo @param {number} hi */
function isInt(v, lo, hi) {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= lo && v <= hi;
}

/**
 * Whether (index, gen, step, key) is a well-formed sender key: index
 * 1–255, gen and step non-negative integers, key 16 or 32 bytes.
 * @param {unknown} index
 * @param {unknown} gen
 * @param {unknown} step
 * @param {unknown} key
 * @returns {boolean}
 */
export function validKey(index, gen, step, key) {
  return isInt(index, 1, 255) && isInt(gen, 0, 2 ** 32) && isInt(step, 0, 2 ** 32) &&
    key instanceof Uint8Array && (key.length === 16 || key.length === 32);
}

export class KeyStore {
  /** @param {() => number} [now] clock in milliseconds */
  constructor(now = () => performance.now()) {
    this.now = now;
    /** @type {Map<number, KeyEntry>} */
    this.byKID = new Map();
    /** @type {Map<number, KeyEntry>} ratchet candidates not yet committed, by KID */
    this.candidates = new Map();
    /** @type {Map<number, Generation[]>} per index, newest generation first */
    this.senders = new Map();
    /** @type {Map<number, Set<() => void>>} */
    this.waiters = new Map();
    this.seq = 0;
    /**
     * Every change runs on this chain, one at a time: imports are async,
     * and a ratchet and a key message for the same sender must not interleave.
     * @type {Promise<unknown>}
     */
    this.chain = Promise.resolve();
  }

  /**
   * @template T
   * @param {() => Promise<T> | T} fn
   * @returns {Promise<T>}
   */
  serial(fn) {
    const p = this.chain.then(fn);
    this.chain = p.catch(() => {});
    return p;
  }

  /**
   * The key of kid if the store holds it now; the per-frame fast path.
   * @param {number} kid
   * @returns {KeyEntry | undefined}
   */
  get(kid) {
    const e = this.byKID.get(kid);
    if (e && e.expires <= this.now()) {
      this.byKID.delete(kid);
      return undefined;
    }
    return e;
  }

  /**
   * Installs a key of sender index. A step at or behind the newest step of
   * its generation, or a generation older than both kept ones, is ignored.
   * @param {number} index
   * @param {number} gen
   * @param {number} step
   * @param {Uint8Array} key 16 or 32 bytes
   * @returns {Promise<boolean>} whether it was installed
   */
  add(index, gen, step, key) {
    if (!validKey(index, gen, step, key)) {
      return Promise.reject(new Error(`keystore: bad key ${index}/${gen}/${step}`));
    }
    const copy = key.slice();
    return this.serial(async () => {
      const installed = await this.install(index, gen, step, copy);
      if (!installed) copy.fill(0);
      this.wake(index);
      return installed;
    });
  }

  /**
   * @param {number} index
   * @param {number} gen
   * @param {number} step
   * @param {Uint8Array} key
   */
  async install(index, gen, step, key) {
    const gens = this.senders.get(index) ?? [];
    const g = gens.find((x) => x.gen === gen);
    if (g) {
      if (step <= g.step) return false;
      const e = await this.entry(index, gen, step, key);
      if (step <= g.step) return false; // a ratchet candidate was committed meanwhile
      this.advance(g, e, key);
      return true;
    }
    if (gens.length >= keptGenerations && gen < gens[gens.length - 1].gen) return false;
    const current = await this.entry(index, gen, step, key);
    // Two kept generations must differ mod 4, the part the KID carries.
    const kept = gens.filter((x) => (x.gen & 3) !== (gen & 3) || !this.dropGen(x));
    kept.push({ gen, step, base: key, current, olds: [] });
    kept.sort((a, b) => b.gen - a.gen);
    while (kept.length > keptGenerations) this.dropGen(/** @type {Generation} */ (kept.pop()));
    this.senders.set(index, kept);
    this.byKID.set(current.kid, current);
    return true;
  }

  /**
   * Finds the key of kid. When kid is 1–8 steps ahead of the newest step
   * of its generation, the key is ratcheted forward as a candidate: the
   * caller commits it only once a frame authenticated with it, so a late
   * frame 8 steps behind (which looks 8 ahead, mod 16) or a forged KID
   * never moves the receiver.
   * @param {number} kid
   * @returns {Promise<KeyEntry | null>}
   */
  resolve(kid) {
    return this.serial(async () => {
      const have = this.get(kid) ?? this.candidates.get(kid);
      if (have) return have;
      const index = kid >> 6;
      const g = this.senders.get(index)?.find((x) => (x.gen & 3) === ((kid >> 4) & 3));
      if (!g) return null;
      const ahead = (kid - g.step) & 15;
      if (ahead < 1 || ahead > maxStepsAhead) return null;
      let key = g.base;
      for (let i = 0; i < ahead; i++) key = await ratchet(key, mediaSuite);
      const e = await this.entry(index, g.gen, g.step + ahead, key);
      e.pending = g;
      e.base = key;
      this.candidates.set(kid, e);
      return e;
    });
  }

  /**
   * Makes a candidate of resolve the newest step of its generation, after
   * a frame authenticated with it; does nothing for other keys. Synchronous,
   * so that the next frame finds the key with get.
   * @param {KeyEntry} e
   */
  commit(e) {
    const g = e.pending;
    if (!g || !e.base) return;
    this.candidates.delete(e.kid);
    e.pending = null;
    const key = e.base;
    e.base = null;
    if (e.step <= g.step || !this.senders.get(e.index)?.includes(g)) {
      key.fill(0);
      return;
    }
    this.advance(g, e, key);
  }

  /**
   * Drops every key of sender index.
   * @param {number} index
   * @returns {Promise<void>}
   */
  forget(index) {
    return this.serial(() => {
      for (const g of this.senders.get(index) ?? []) this.dropGen(g);
      this.senders.delete(index);
      this.dropCandidates(index);
      this.wake(index);
    });
  }

  /**
   * Resolves when a key of index arrives or after ms, whichever is first.
   * @param {number} index
   * @param {number} ms
   * @returns {Promise<void>}
   */
  waitFor(index, ms) {
    return new Promise((resolve) => {
      let set = this.waiters.get(index);
      if (!set) this.waiters.set(index, (set = new Set()));
      const waiters = set;
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      waiters.add(done);
    });
  }

  /**
   * What the store holds, for tests and debugging: per index, its
   * generations with the newest step and the older steps not yet expired.
   * @returns {Record<number, {gen: number, step: number, olds: number[]}[]>}
   */
  describe() {
    /** @type {Record<number, {gen: number, step: number, olds: number[]}[]>} */
    const out = {};
    for (const [index, gens] of this.senders) {
      out[index] = gens.map((g) => ({
        gen: g.gen, step: g.step,
        olds: g.olds.filter((e) => this.get(e.kid) === e).map((e) => e.step),
      }));
    }
    return out;
  }

  /** @param {number} index */
  wake(index) {
    for (const w of this.waiters.get(index) ?? []) w();
  }

  /**
   * @param {number} index
   * @param {number} gen
   * @param {number} step
   * @param {Uint8Array} key
   * @returns {Promise<KeyEntry>}
   */
  async entry(index, gen, step, key) {
    const kid = packKID(index, gen, step);
    const ks = await importBaseKey(mediaSuite, kid, key);
    return {
      kid, index, gen, step, ks, win: new ReplayWindow(), used: false, seq: ++this.seq, expires: Infinity,
      pending: null, base: null,
    };
  }

  /**
   * Makes e the newest step of g; the previous newest step is kept for
   * oldStepMs, with at most keptOldSteps others.
   * @param {Generation} g
   * @param {KeyEntry} e
   * @param {Uint8Array} key e's base key
   */
  advance(g, e, key) {
    const prev = g.current;
    prev.expires = this.now() + oldStepMs;
    g.olds.push(prev);
    while (g.olds.length > keptOldSteps) this.unmap(/** @type {KeyEntry} */ (g.olds.shift()));
    this.dropCandidates(e.index);
    g.base.fill(0);
    g.base = key;
    g.step = e.step;
    g.current = e;
    this.byKID.set(e.kid, e);
  }

  /**
   * Removes a generation's keys from the KID map; always true, so that it
   * can sit in a filter.
   * @param {Generation} g
   * @returns {boolean}
   */
  dropGen(g) {
    for (const e of g.olds) this.unmap(e);
    this.unmap(g.current);
    g.base.fill(0);
    return true;
  }

  /** @param {number} index */
  dropCandidates(index) {
    for (const [kid, e] of this.candidates) {
      if (e.index === index) {
        this.candidates.delete(kid);
        e.base?.fill(0);
      }
    }
  }

  /** @param {KeyEntry} e */
  unmap(e) {
    if (this.byKID.get(e.kid) === e) this.byKID.delete(e.kid);
  }
}

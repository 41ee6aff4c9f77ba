// @ts-check
/**
 * One participant's side of the E2EE key protocol (docs/e2ee.md): the
 * verified roster, our sender key and when it changes, the keys others sent
 * us, and sealed messages. It talks to the server only through `send` (the
 * opaque relay) and to the media worker only through `media`. Every input
 * runs through one queue, so the state changes in arrival order.
 *
 * Events (CustomEvent): `roster` (someone was verified, refused or left),
 * `message` (detail {from, body}: a chat, reaction or hand that opened),
 * `keys` (detail {from}: we hold someone's sender key now).
 */
import * as k from './keys.js';

/** @typedef {import('./keys.js').Entry} Entry */
/**
 * @typedef {object} MediaKeys the worker's side (transform.js)
 * @property {(index: number, gen: number, step: number, key: Uint8Array) => void} setSendKey
 * @property {(index: number, gen: number, step: number, key: Uint8Array) => void} addReceiveKey
 * @property {(index: number) => void} forget
 */
/**
 * @typedef {object} Peer a verified roster entry and what we share with it
 * @property {string} pid @property {number} index @property {Uint8Array} ecdh
 * @property {CryptoKey} out key wrap towards them @property {CryptoKey} in key wrap from them
 * @property {Map<number, { step: number, key: Uint8Array<ArrayBuffer> }>} keys their sender keys by generation
 */

/** Newcomers verified within this window share one ratchet step. */
const RATCHET_BATCH_MS = 50;
/** A leave starts a new generation after this long without another leave. */
const LEAVE_DEBOUNCE_MS = 1000;
/** A new generation is used after all acked, or after this long. */
const SWITCH_AFTER_MS = 1500;
/** Periodic rotation. */
const ROTATE_MS = 10 * 60 * 1000;
/** A message whose key has not arrived waits this long. */
const HOLD_MS = 5000;
/** How far a message's step may run ahead of the key we hold. */
const MAX_STEPS_AHEAD = 8;

export class E2EESession extends EventTarget {
  #room;
  #secret;
  #send;
  #media;
  /** @type {k.RoomKeys | null} */ #keys = null;
  /** @type {k.Identity | null} */ #id = null;
  #self = { pid: '', index: 0 };
  /** @type {{ gen: number, step: number, key: Uint8Array<ArrayBuffer> }} */
  #sendKey = { gen: 0, step: 0, key: new Uint8Array(16) };
  /** @type {{ gen: number, key: Uint8Array<ArrayBuffer>, acks: Set<string>, timer: ReturnType<typeof setTimeout> } | null} */
  #pending = null;
  /** @type {Map<string, Peer>} */ #peers = new Map();
  /** Participants whose announce failed: a different or stale link. */
  #mismatch = new Set();
  /** Participants present before our welcome: they get our key unratcheted. */
  #before = new Set();
  /** @type {Set<string>} newcomers waiting for the next ratchet step */
  #newcomers = new Set();
  /** @type {{ from: string, data: Record<string, unknown>, until: number }[]} */
  #held = [];
  /** @type {Map<string, CryptoKey>} msg keys by "pid/gen/step" */
  #msgKeys = new Map();
  #queue = Promise.resolve();
  /** @type {Record<string, ReturnType<typeof setTimeout> | undefined>} */
  #timers = {};
  #closed = false;

  /**
   * @param {object} opts
   * @param {string} opts.room
   * @param {Uint8Array<ArrayBuffer>} opts.secret the 32-byte room secret
   * @param {(to: string | null, data: object) => void} opts.send relays data (null: everyone else)
   * @param {MediaKeys} opts.media
   */
  constructor({ room, secret, send, media }) {
    super();
    this.#room = room;
    this.#secret = secret;
    this.#send = send;
    this.#media = media;
  }

  /** Our participant ID and sender index. */
  get self() { return { ...this.#self }; }

  /**
   * What we know of a participant: 'verified' (same link, keys exchanged or
   * on the way), 'mismatch' (a different or stale link), or 'waiting'.
   * @param {string} pid
   */
  status(pid) {
    if (this.#peers.has(pid)) return 'verified';
    return this.#mismatch.has(pid) ? 'mismatch' : 'waiting';
  }

  /** @param {string} pid @returns {boolean} whether we hold pid's sender key */
  hasKeyOf(pid) {
    return (this.#peers.get(pid)?.keys.size ?? 0) > 0;
  }

  /** @returns {Entry[]} the verified roster including ourselves, for the safety code */
  roster() {
    if (!this.#id) return [];
    return [{ pid: this.#self.pid, index: this.#self.index, ecdh: this.#id.publicRaw }, ...[...this.#peers.values()].map((p) => ({ pid: p.pid, index: p.index, ecdh: p.ecdh }))];
  }

  /**
   * Starts or resumes after a welcome.
   * @param {string} pid our participant ID @param {number} index our sender index
   * @param {string[]} present who else is in the room
   * @param {boolean} resumed the server kept our session
   */
  welcome(pid, index, present, resumed) {
    return this.#enqueue(async () => {
      if (resumed && pid === this.#self.pid && this.#id) {
        // Relays of the gap are lost: say who we are and send our key again.
        for (const p of present) if (!this.#peers.has(p) && !this.#before.has(p)) this.#newcomers.add(p);
        this.#send(null, await this.#announce());
        for (const peer of this.#peers.values()) await this.#sendKeyTo(peer);
        return;
      }
      this.#reset();
      this.#keys ??= await k.roomKeys(this.#secret);
      this.#id = await k.newIdentity();
      this.#self = { pid, index };
      this.#sendKey = { gen: 0, step: 0, key: randomKey() };
      this.#media.setSendKey(index, 0, 0, this.#sendKey.key);
      for (const p of present) this.#before.add(p);
      this.#send(null, await this.#announce());
      this.#timers.rotate = setInterval(() => this.#enqueue(() => this.#newGeneration()), ROTATE_MS);
    });
  }

  /** @param {string} pid someone joined after us */
  joined(pid) {
    return this.#enqueue(async () => {
      if (!this.#id) return;
      this.#before.delete(pid);
      this.#send(pid, await this.#announce());
    });
  }

  /** @param {string} pid someone left or was removed */
  left(pid) {
    return this.#enqueue(async () => {
      const peer = this.#peers.get(pid);
      this.#drop(pid);
      this.dispatchEvent(new CustomEvent('roster'));
      if (!peer) return;
      clearTimeout(this.#timers.leave);
      this.#timers.leave = setTimeout(() => this.#enqueue(() => this.#newGeneration()), LEAVE_DEBOUNCE_MS);
    });
  }

  /**
   * Handles relay data from another participant.
   * @param {string} from @param {unknown} data
   */
  receive(from, data) {
    return this.#enqueue(async () => {
      if (!this.#id || !data || typeof data !== 'object' || Array.isArray(data)) return;
      const d = /** @type {Record<string, unknown>} */ (data);
      if (d.v !== k.E2EE_VERSION) return;
      switch (d.t) {
        case 'announce': return this.#onAnnounce(from, d);
        case 'key': return this.#onKey(from, d);
        case 'ack': return this.#onAck(from, d);
        case 'msg': return this.#onMsg(from, d, performance.now() + HOLD_MS);
      }
    });
  }

  /**
   * Seals and sends a message body (chat, reaction, hand) with our sender key.
   * @param {object} body @param {string | null} [to] one participant, or everyone else
   */
  sendMessage(body, to = null) {
    return this.#enqueue(async () => {
      if (!this.#id) return;
      const { gen, step, key } = this.#sendKey;
      const f = { room: this.#room, from: this.#self.pid, index: this.#self.index, gen, step };
      this.#send(to, await k.sealMsg(await k.msgKey(key), f, body));
    });
  }

  /** Stops the timers; the session is not reusable. */
  close() {
    this.#closed = true;
    this.#reset();
  }

  /** @param {() => Promise<void>} fn */
  #enqueue(fn) {
    const run = this.#queue.then(() => (this.#closed ? undefined : fn()));
    this.#queue = run.catch((err) => console.error('e2ee:', err));
    return this.#queue;
  }

  #reset() {
    for (const t of Object.values(this.#timers)) { clearTimeout(t); clearInterval(t); }
    this.#timers = {};
    if (this.#pending) clearTimeout(this.#pending.timer);
    this.#pending = null;
    for (const pid of [...this.#peers.keys()]) this.#drop(pid);
    this.#mismatch.clear();
    this.#before.clear();
    this.#newcomers.clear();
    this.#held = [];
  }

  /** @param {string} pid */
  #drop(pid) {
    const peer = this.#peers.get(pid);
    if (peer) this.#media.forget(peer.index);
    this.#peers.delete(pid);
    this.#mismatch.delete(pid);
    this.#before.delete(pid);
    this.#newcomers.delete(pid);
    this.#pending?.acks.delete(pid);
    for (const key of this.#msgKeys.keys()) if (key.startsWith(`${pid}/`)) this.#msgKeys.delete(key);
    this.#held = this.#held.filter((h) => h.from !== pid);
  }

  #announce() {
    const id = /** @type {k.Identity} */ (this.#id);
    return k.announce(/** @type {k.RoomKeys} */ (this.#keys), this.#room, this.#self.pid, this.#self.index, id.publicRaw);
  }

  /** @param {string} from @param {Record<string, unknown>} d */
  async #onAnnounce(from, d) {
    const keys = /** @type {k.RoomKeys} */ (this.#keys);
    const entry = await k.verifyAnnounce(keys, this.#room, from, d);
    const known = this.#peers.get(from);
    if (known && entry && sameBytes(known.ecdh, entry.ecdh) && known.index === entry.index) return;
    if (known) this.#drop(from);
    const clash = entry && (entry.index === this.#self.index || [...this.#peers.values()].find((p) => p.index === entry.index));
    if (!entry || clash) {
      // A second claim of one index makes both untrustworthy.
      if (clash && typeof clash === 'object') { this.#drop(clash.pid); this.#mismatch.add(clash.pid); }
      this.#mismatch.add(from);
      this.dispatchEvent(new CustomEvent('roster'));
      return;
    }
    const id = /** @type {k.Identity} */ (this.#id);
    const me = this.#self.pid;
    /** @type {Peer} */
    const peer = {
      ...entry,
      out: await k.aesKey(await k.pairKeyBytes(id.privateKey, entry.ecdh, keys, this.#room, me, from)),
      in: await k.aesKey(await k.pairKeyBytes(id.privateKey, entry.ecdh, keys, this.#room, from, me)),
      keys: new Map(),
    };
    this.#peers.set(from, peer);
    this.dispatchEvent(new CustomEvent('roster'));
    if (this.#before.has(from)) {
      await this.#sendKeyTo(peer);
      return;
    }
    // A newcomer must not read what we sent before it came: ratchet first.
    this.#newcomers.add(from);
    this.#timers.ratchet ??= setTimeout(() => this.#enqueue(() => this.#ratchetForNewcomers()), RATCHET_BATCH_MS);
  }

  async #ratchetForNewcomers() {
    this.#timers.ratchet = undefined;
    const s = this.#sendKey;
    this.#sendKey = { gen: s.gen, step: s.step + 1, key: await k.ratchet(s.key) };
    this.#media.setSendKey(this.#self.index, s.gen, s.step + 1, this.#sendKey.key);
    for (const pid of this.#newcomers) {
      const peer = this.#peers.get(pid);
      if (peer) await this.#sendKeyTo(peer);
    }
    this.#newcomers.clear();
  }

  /** Sends our current key, and a pending generation's, to one peer. @param {Peer} peer */
  async #sendKeyTo(peer) {
    const s = this.#sendKey;
    await this.#wrapTo(peer, s.gen, s.step, s.key);
    if (this.#pending) await this.#wrapTo(peer, this.#pending.gen, 0, this.#pending.key);
  }

  /** @param {Peer} peer @param {number} gen @param {number} step @param {Uint8Array<ArrayBuffer>} key */
  async #wrapTo(peer, gen, step, key) {
    const f = { room: this.#room, from: this.#self.pid, to: peer.pid, index: this.#self.index, gen, step };
    this.#send(peer.pid, await k.wrapKey(peer.out, f, key));
  }

  async #newGeneration() {
    if (!this.#id) return;
    if (this.#pending) clearTimeout(this.#pending.timer);
    const gen = (this.#pending?.gen ?? this.#sendKey.gen) + 1;
    const key = randomKey();
    const timer = setTimeout(() => this.#enqueue(async () => this.#switch(gen)), SWITCH_AFTER_MS);
    this.#pending = { gen, key, acks: new Set(), timer };
    for (const peer of this.#peers.values()) await this.#wrapTo(peer, gen, 0, key);
    if (this.#peers.size === 0) this.#switch(gen);
  }

  /** @param {number} gen */
  #switch(gen) {
    const p = this.#pending;
    if (!p || p.gen !== gen) return;
    clearTimeout(p.timer);
    this.#pending = null;
    this.#sendKey = { gen, step: 0, key: p.key };
    this.#media.setSendKey(this.#self.index, gen, 0, p.key);
  }

  /** @param {string} from @param {Record<string, unknown>} d */
  async #onKey(from, d) {
    const peer = this.#peers.get(from);
    const { gen, step } = d;
    if (!peer || d.index !== peer.index || !counter(gen) || !counter(step)) return;
    const newest = Math.max(-1, ...peer.keys.keys());
    if (gen < newest - 1) return;
    const f = { room: this.#room, from, to: this.#self.pid, index: peer.index, gen, step };
    const key = await k.unwrapKey(peer.in, f, d);
    if (!key) return;
    const had = peer.keys.get(gen);
    if (!had || had.step <= step) peer.keys.set(gen, { step, key });
    for (const g of peer.keys.keys()) if (g < gen - 1) peer.keys.delete(g);
    this.#media.addReceiveKey(peer.index, gen, step, key);
    this.#send(from, { t: 'ack', v: k.E2EE_VERSION, gen, step });
    this.dispatchEvent(new CustomEvent('keys', { detail: { from } }));
    await this.#flushHeld(from);
  }

  /** @param {string} from @param {Record<string, unknown>} d */
  async #onAck(from, d) {
    const p = this.#pending;
    if (!p || d.gen !== p.gen || !this.#peers.has(from)) return;
    p.acks.add(from);
    if ([...this.#peers.keys()].every((pid) => p.acks.has(pid))) this.#switch(p.gen);
  }

  /** @param {string} from @param {Record<string, unknown>} d @param {number} until */
  async #onMsg(from, d, until) {
    const peer = this.#peers.get(from);
    const { gen, step } = d;
    if (!peer || d.index !== peer.index || !counter(gen) || !counter(step)) {
      if (!this.#mismatch.has(from)) this.#hold(from, d, until);
      return;
    }
    const key = await this.#msgKeyOf(peer, gen, step);
    if (!key) {
      this.#hold(from, d, until);
      return;
    }
    const body = await k.openMsg(key, { room: this.#room, from, index: peer.index, gen, step }, d);
    if (body) this.dispatchEvent(new CustomEvent('message', { detail: { from, body } }));
  }

  /** @param {string} from @param {Record<string, unknown>} data @param {number} until */
  #hold(from, data, until) {
    if (performance.now() >= until || this.#held.length >= 256) return;
    this.#held.push({ from, data, until });
    this.#timers.held ??= setTimeout(() => this.#enqueue(async () => {
      this.#timers.held = undefined;
      const now = performance.now();
      this.#held = this.#held.filter((h) => h.until > now);
    }), HOLD_MS);
  }

  /** @param {string} from */
  async #flushHeld(from) {
    const mine = this.#held.filter((h) => h.from === from);
    this.#held = this.#held.filter((h) => h.from !== from);
    for (const h of mine) await this.#onMsg(h.from, h.data, h.until);
  }

  /**
   * The msg key of a sender's (gen, step), ratcheting our copy forward when
   * the message is ahead of the newest key we hold.
   * @param {Peer} peer @param {number} gen @param {number} step
   */
  async #msgKeyOf(peer, gen, step) {
    const id = `${peer.pid}/${gen}/${step}`;
    const cached = this.#msgKeys.get(id);
    if (cached) return cached;
    const have = peer.keys.get(gen);
    if (!have || step < have.step || step - have.step > MAX_STEPS_AHEAD) return null;
    let key = have.key;
    for (let s = have.step; s < step; s++) key = await k.ratchet(key);
    peer.keys.set(gen, { step, key });
    const mk = await k.msgKey(key);
    if (this.#msgKeys.size > 64) this.#msgKeys.delete(/** @type {string} */ (this.#msgKeys.keys().next().value));
    this.#msgKeys.set(id, mk);
    return mk;
  }
}

/** @param {unknown} n @returns {n is number} */
function counter(n) {
  return Number.isInteger(n) && /** @type {number} */ (n) >= 0 && /** @type {number} */ (n) < 2 ** 31;
}

/** @returns {Uint8Array<ArrayBuffer>} a fresh 16-byte base key */
function randomKey() {
  return crypto.getRandomValues(new Uint8Array(16));
}

/** @param {Uint8Array} a @param {Uint8Array} b */
function sameBytes(a, b) {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

// @ts-check
/**
 * One participant's side of the E2EE key protocol (docs/e2ee.md): the
 * verified roster, our sender key and when it changes, the keys others sent
 * us, and sealed messages. It talks to the server only through `send` (the
 * opaque relay) and to the media worker only through `media`. Every input
 * runs through one queue, so the state changes in arrival order.
 *
 * The server relays everything and names who is in the room, so nothing it
 * says is trusted beyond that: only participants the signalling roster shows
 * (visible tiles, no ghosts) can be verified, a participant who left is never
 * verified again, and every roster entry must carry the room secret's MAC.
 *
 * Events (CustomEvent): `roster` (someone was verified, refused or left),
 * `message` (detail {from, body}: a chat, reaction or hand that opened),
 * `keys` (detail {from}: we hold someone's sender key now).
 */
import * as k from './keys.js';
import { HeldMessages, HOLD_MS } from './held.js';

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
 * @property {number} resent when we last re-sent them our keys (performance clock)
 * @property {boolean} hadOurKey whether they got a key of ours (then their leave rotates)
 */

/** Key messages made within this window leave together, as one relay (docs/protocol.md, each). */
const KEY_BATCH_MS = 50;
/** Newcomers verified within this window share one ratchet step. */
const RATCHET_BATCH_MS = 50;
/**
 * Ratchet steps per generation: a silent receiver follows at most 8 steps
 * (docs/e2ee.md), so past this a newcomer gets a new generation instead.
 */
const MAX_STEP = 7;
/** A leave starts a new generation after this long without another leave. */
const LEAVE_DEBOUNCE_MS = 1000;
/** A new generation is used this long after its keys went out (sooner if every receiver acked, as old clients do). */
const SWITCH_AFTER_MS = 1500;
/** Periodic rotation. */
const ROTATE_MS = 10 * 60 * 1000;
/**
 * Those listed in our welcome get our key unratcheted only this soon after
 * it: later, the server could pass a newcomer off as an old member.
 */
const BEFORE_TRUST_MS = 10_000;
/** A verified peer whose key has not come by then gets our announce again. */
const REANNOUNCE_MS = 3000;
/** Least time between two re-sends of our keys to one peer. */
const RESEND_MIN_MS = 2000;
/** How far a message's step may run ahead of the key we hold. */
const MAX_STEPS_AHEAD = 8;
/** Departed participants remembered, so that none is verified again. */
const MAX_GONE = 4096;

export class E2EESession extends EventTarget {
  #room;
  #secret;
  #send;
  #sendEach;
  #media;
  /** @type {Map<string, object[]>} key messages waiting to leave, by recipient */
  #outbox = new Map();
  /** @type {k.RoomKeys | null} */ #keys = null;
  /** @type {k.Identity | null} */ #id = null;
  #self = { pid: '', index: 0 };
  /** @type {{ gen: number, step: number, key: Uint8Array<ArrayBuffer> }} */
  #sendKey = { gen: 0, step: 0, key: new Uint8Array(16) };
  /** @type {{ gen: number, key: Uint8Array<ArrayBuffer>, acks: Set<string>, timer: ReturnType<typeof setTimeout> } | null} */
  #pending = null;
  /** @type {Map<string, Peer>} */ #peers = new Map();
  /** Who the server says is in the room besides us. */
  #present = new Set();
  /** Who left; never verified again. */
  #gone = new Set();
  /** Participants whose announce failed: a different or stale link. */
  #mismatch = new Set();
  /** @type {Map<number, Set<string>>} sender indexes claimed twice, and by whom */
  #disputed = new Map();
  /** Participants listed in our welcome, and when it came. */
  #before = new Set();
  #welcomedAt = 0;
  /** @type {Set<string>} newcomers waiting for the next ratchet step */
  #newcomers = new Set();
  #held = new HeldMessages();
  /** @type {Map<string, CryptoKey>} msg keys by "pid/gen/step" */
  #msgKeys = new Map();
  #queue = Promise.resolve();
  /** @type {Record<string, ReturnType<typeof setTimeout> | undefined>} */
  #timers = {};
  /** @type {Map<string, number>} when we last answered a pid's hello */
  #helloAnswered = new Map();
  /** @type {Map<string, ReturnType<typeof setTimeout>>} re-announce checks by pid */
  #reannounce = new Map();
  #closed = false;

  /**
   * @param {object} opts
   * @param {string} opts.room
   * @param {Uint8Array<ArrayBuffer>} opts.secret the 32-byte room secret
   * @param {(to: string | null, data: object) => void} opts.send relays data (null: everyone else)
   * @param {(each: Record<string, object>) => void} opts.sendEach relays one datum per recipient in one message
   * @param {MediaKeys} opts.media
   */
  constructor({ room, secret, send, sendEach, media }) {
    super();
    this.#room = room;
    this.#secret = secret;
    this.#send = send;
    this.#sendEach = sendEach;
    this.#media = media;
  }

  /** Our participant ID and sender index. */
  get self() { return { ...this.#self }; }

  /** The generation and ratchet step we encrypt with now (for tests and diagnostics). */
  get sending() { return { gen: this.#sendKey.gen, step: this.#sendKey.step }; }

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

  /** @param {string} pid @returns {number | undefined} the verified sender index of pid */
  indexOf(pid) {
    return this.#peers.get(pid)?.index;
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
      if (resumed && pid === this.#self.pid && index === this.#self.index && this.#id) {
        await this.#resumed(present);
        return;
      }
      this.#reset();
      this.#keys ??= await k.roomKeys(this.#secret);
      this.#id = await k.newIdentity();
      this.#self = { pid, index };
      this.#sendKey = { gen: 0, step: 0, key: randomKey() };
      this.#media.setSendKey(index, 0, 0, this.#sendKey.key);
      for (const p of present) {
        this.#present.add(p);
        this.#before.add(p);
      }
      this.#welcomedAt = performance.now();
      this.#send(null, await this.#announce());
      this.#timers.rotate = setInterval(() => this.#enqueue(() => this.#newGeneration()), ROTATE_MS);
    });
  }

  /**
   * After a resume the relays of the gap are lost: who left meanwhile is
   * dropped (and our key changes), who came is a newcomer, and everyone
   * hears our announce and gets our key again.
   * @param {string[]} present
   */
  async #resumed(present) {
    const now = new Set(present);
    let rotate = false;
    for (const pid of [...this.#present]) {
      if (now.has(pid)) continue;
      rotate = this.#forget(pid) || rotate;
      this.#gone.add(pid);
    }
    for (const pid of now) this.#present.add(pid);
    // hello: the announces sent to us in the gap are lost, so ask for them again.
    this.#send(null, { ...(await this.#announce()), hello: true });
    for (const peer of this.#peers.values()) await this.#sendKeyTo(peer);
    if (rotate) this.#scheduleNewGeneration();
    this.dispatchEvent(new CustomEvent('roster'));
  }

  /** @param {string} pid someone joined after us */
  joined(pid) {
    return this.#enqueue(async () => {
      if (!this.#id || this.#gone.has(pid)) return;
      this.#present.add(pid);
      this.#before.delete(pid);
      this.#send(pid, await this.#announce());
    });
  }

  /** @param {string} pid someone left or was removed */
  left(pid) {
    return this.#enqueue(async () => {
      this.#present.delete(pid);
      this.#remember(pid);
      if (this.#forget(pid)) this.#scheduleNewGeneration();
      this.dispatchEvent(new CustomEvent('roster'));
    });
  }

  /**
   * Handles relay data from another participant. Only participants the
   * server shows in the room are heard.
   * @param {string} from @param {unknown} data
   */
  receive(from, data) {
    return this.#enqueue(async () => {
      if (!this.#id || !this.#present.has(from) || !data || typeof data !== 'object' || Array.isArray(data)) return;
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
    for (const t of this.#reannounce.values()) clearTimeout(t);
    this.#reannounce.clear();
    this.#outbox.clear();
    if (this.#pending) clearTimeout(this.#pending.timer);
    this.#pending = null;
    for (const pid of [...this.#peers.keys()]) this.#forget(pid);
    this.#present.clear();
    this.#mismatch.clear();
    this.#disputed.clear();
    this.#before.clear();
    this.#newcomers.clear();
    this.#held.clear();
  }

  /**
   * Forgets a participant's keys and state.
   * @param {string} pid
   * @returns {boolean} whether they held a key of ours (then ours must change)
   */
  #forget(pid) {
    const peer = this.#peers.get(pid);
    if (peer) this.#media.forget(peer.index);
    this.#peers.delete(pid);
    this.#mismatch.delete(pid);
    this.#before.delete(pid);
    this.#newcomers.delete(pid);
    this.#helloAnswered.delete(pid);
    this.#pending?.acks.delete(pid);
    clearTimeout(this.#reannounce.get(pid));
    this.#reannounce.delete(pid);
    for (const [index, claims] of this.#disputed) {
      claims.delete(pid);
      if (claims.size <= 1) this.#disputed.delete(index);
    }
    for (const key of this.#msgKeys.keys()) if (key.startsWith(`${pid}/`)) this.#msgKeys.delete(key);
    this.#held.take(pid);
    return !!peer?.hadOurKey;
  }

  /** @param {string} pid */
  #remember(pid) {
    this.#gone.add(pid);
    if (this.#gone.size > MAX_GONE) this.#gone.delete(/** @type {string} */ (this.#gone.values().next().value));
  }

  #scheduleNewGeneration() {
    clearTimeout(this.#timers.leave);
    this.#timers.leave = setTimeout(() => this.#enqueue(() => this.#newGeneration()), LEAVE_DEBOUNCE_MS);
  }

  #announce() {
    const id = /** @type {k.Identity} */ (this.#id);
    return k.announce(/** @type {k.RoomKeys} */ (this.#keys), this.#room, this.#self.pid, this.#self.index, id.publicRaw);
  }

  /** @param {string} from @param {Record<string, unknown>} d */
  async #onAnnounce(from, d) {
    if (this.#gone.has(from)) return;
    if (d.hello === true && performance.now() - (this.#helloAnswered.get(from) ?? -Infinity) >= RESEND_MIN_MS) {
      // Our announce is no secret: answering a forged hello costs one message.
      this.#helloAnswered.set(from, performance.now());
      this.#send(from, await this.#announce());
    }
    const keys = /** @type {k.RoomKeys} */ (this.#keys);
    const entry = await k.verifyAnnounce(keys, this.#room, from, d);
    const known = this.#peers.get(from);
    if (!entry) {
      // Anyone can relay garbage in a verified participant's name: that
      // changes nothing about them.
      if (!known) this.#refuse(from);
      return;
    }
    if (known && sameBytes(known.ecdh, entry.ecdh) && known.index === entry.index) {
      // Said again (they resumed, or lost ours): they may lack our key.
      if (performance.now() - known.resent >= RESEND_MIN_MS) {
        known.resent = performance.now();
        await this.#sendKeyTo(known);
      }
      return;
    }
    if (known && this.#forget(from)) this.#scheduleNewGeneration();
    if (this.#claim(from, entry.index)) return;
    await this.#verified(from, entry);
  }

  /**
   * Records pid's claim of index; true when the index is claimed by someone
   * else too, which makes every claimant untrustworthy until one leaves.
   * @param {string} pid @param {number} index
   */
  #claim(pid, index) {
    const holder = [...this.#peers.values()].find((p) => p.index === index);
    const disputed = this.#disputed.get(index);
    if (index !== this.#self.index && !holder && !disputed) return false;
    const claims = disputed ?? new Set();
    claims.add(pid);
    if (holder) {
      claims.add(holder.pid);
      if (this.#forget(holder.pid)) this.#scheduleNewGeneration();
      this.#mismatch.add(holder.pid);
    }
    this.#disputed.set(index, claims);
    this.#refuse(pid);
    return true;
  }

  /** @param {string} pid */
  #refuse(pid) {
    this.#mismatch.add(pid);
    this.dispatchEvent(new CustomEvent('roster'));
  }

  /** @param {string} from @param {Entry} entry */
  async #verified(from, entry) {
    const keys = /** @type {k.RoomKeys} */ (this.#keys);
    const id = /** @type {k.Identity} */ (this.#id);
    const me = this.#self.pid;
    /** @type {Peer} */
    const peer = {
      ...entry,
      out: await k.aesKey(await k.pairKeyBytes(id.privateKey, entry.ecdh, keys, this.#room, me, from)),
      in: await k.aesKey(await k.pairKeyBytes(id.privateKey, entry.ecdh, keys, this.#room, from, me)),
      keys: new Map(),
      resent: performance.now(),
      hadOurKey: false,
    };
    this.#peers.set(from, peer);
    this.#mismatch.delete(from);
    this.#watchKeyOf(from, 3);
    this.dispatchEvent(new CustomEvent('roster'));
    if (this.#before.has(from) && performance.now() - this.#welcomedAt < BEFORE_TRUST_MS) {
      await this.#sendKeyTo(peer);
      return;
    }
    // A newcomer must not read what we sent before it came: ratchet first.
    this.#newcomers.add(from);
    this.#timers.ratchet ??= setTimeout(() => this.#enqueue(() => this.#ratchetForNewcomers()), RATCHET_BATCH_MS);
  }

  /**
   * Sends our announce to a verified peer again if its key does not come:
   * it may never have had our announce (lost in a reconnect).
   * @param {string} pid @param {number} tries
   */
  #watchKeyOf(pid, tries) {
    clearTimeout(this.#reannounce.get(pid));
    this.#reannounce.set(pid, setTimeout(() => this.#enqueue(async () => {
      this.#reannounce.delete(pid);
      if (!this.#peers.has(pid) || this.hasKeyOf(pid)) return;
      this.#send(pid, await this.#announce());
      if (tries > 1) this.#watchKeyOf(pid, tries - 1);
    }), REANNOUNCE_MS));
  }

  async #ratchetForNewcomers() {
    this.#timers.ratchet = undefined;
    if (this.#newcomers.size === 0) return;
    const s = this.#sendKey;
    if (s.step >= MAX_STEP) {
      // A new generation reaches everyone, newcomers included, and none of
      // them can read the old one.
      this.#newcomers.clear();
      await this.#newGeneration();
      return;
    }
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
    peer.hadOurKey = true;
    const list = this.#outbox.get(peer.pid) ?? [];
    list.push(await k.wrapKey(peer.out, f, key));
    this.#outbox.set(peer.pid, list);
    this.#timers.flush ??= setTimeout(() => this.#enqueue(async () => this.#flush()), KEY_BATCH_MS);
  }

  /**
   * Sends the waiting key messages: a whole room's in one relay (each), not
   * one message per member, which a big meeting's rate limit would refuse.
   */
  #flush() {
    this.#timers.flush = undefined;
    while (this.#outbox.size > 0) {
      /** @type {Record<string, object>} */
      const each = {};
      for (const [pid, list] of this.#outbox) {
        each[pid] = /** @type {object} */ (list.shift());
        if (list.length === 0) this.#outbox.delete(pid);
      }
      const to = Object.keys(each);
      if (to.length === 1) this.#send(to[0], each[to[0]]);
      else this.#sendEach(each);
    }
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
    // No ack: a room's worth of acks after every leave would run into the
    // rate limit, and the sender switches 1.5 s after a new generation anyway.
    this.dispatchEvent(new CustomEvent('keys', { detail: { from } }));
    for (const h of this.#held.take(from)) await this.#onMsg(h.from, h.data, h.until);
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
    const found = await this.#msgKeyOf(peer, gen, step);
    if (!found) {
      this.#hold(from, d, until);
      return;
    }
    const body = await k.openMsg(found.key, { room: this.#room, from, index: peer.index, gen, step }, d);
    if (!body) return;
    // Only a message that opened moves our copy of their key forward.
    found.commit();
    this.dispatchEvent(new CustomEvent('message', { detail: { from, body } }));
  }

  /** @param {string} from @param {Record<string, unknown>} data @param {number} until */
  #hold(from, data, until) {
    if (!this.#held.add(from, data, until)) return;
    this.#timers.held ??= setTimeout(() => this.#enqueue(async () => {
      this.#timers.held = undefined;
      this.#held.expire();
    }), HOLD_MS);
  }

  /**
   * The msg key of a sender's (gen, step), ratcheting a copy of the newest
   * key we hold when the message is ahead of it; commit() keeps the copy.
   * @param {Peer} peer @param {number} gen @param {number} step
   * @returns {Promise<{ key: CryptoKey, commit: () => void } | null>}
   */
  async #msgKeyOf(peer, gen, step) {
    const id = `${peer.pid}/${gen}/${step}`;
    const cached = this.#msgKeys.get(id);
    if (cached) return { key: cached, commit: () => {} };
    const have = peer.keys.get(gen);
    if (!have || step < have.step || step - have.step > MAX_STEPS_AHEAD) return null;
    let key = have.key;
    for (let s = have.step; s < step; s++) key = await k.ratchet(key);
    const mk = await k.msgKey(key);
    return {
      key: mk,
      commit: () => {
        if (peer.keys.get(gen) === have) peer.keys.set(gen, { step, key });
        if (this.#msgKeys.size > 64) this.#msgKeys.delete(/** @type {string} */ (this.#msgKeys.keys().next().value));
        this.#msgKeys.set(id, mk);
      },
    };
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

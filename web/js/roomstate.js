// @ts-check
/**
 * What the meeting knows besides media: roles, what each participant may
 * do (school mode), the room's lock and school mode, raised hands, the
 * lobby's knocks and who speaks. Plain data and rules, no DOM and no
 * network, so that the rules (who may act on whom, hand order) are
 * testable alone.
 */

/**
 * @typedef {object} Member
 * @property {string} id
 * @property {string} name
 * @property {'moderator' | 'participant'} role
 * @property {boolean} canUnmute
 * @property {boolean} canShare
 */

/** The reactions we send and accept; anything else is ignored. */
export const REACTIONS = Object.freeze(['👍', '👏', '😂', '❤️', '🎉', '😮', '🤔', '👋']);

/**
 * @param {any} p a participant object of docs/protocol.md
 * @returns {Member}
 */
export function memberOf(p) {
  return {
    id: String(p?.id ?? ''),
    name: String(p?.name ?? ''),
    role: p?.role === 'moderator' ? 'moderator' : 'participant',
    canUnmute: p?.canUnmute !== false,
    canShare: p?.canShare !== false,
  };
}

export class RoomState {
  /** @type {Member} */
  self = memberOf({});
  locked = false;
  schoolMode = false;
  /** Whether the server speaks the room state of docs/protocol.md (lock, school mode). */
  hasRoomState = false;
  /** @type {Map<string, Member>} everyone else */
  members = new Map();
  /** @type {Map<string, number>} participant ID → when the hand went up (ms since the epoch) */
  hands = new Map();
  /** @type {Map<string, string>} lobby: participant ID → name, in knock order */
  knocks = new Map();
  /** @type {string[]} the participants speaking now, most recent first */
  active = [];
  dominant = '';

  /**
   * Takes the room part of a welcome.
   * @param {any} w
   * @param {string} selfId
   * @param {string} selfName
   */
  welcome(w, selfId, selfName) {
    this.self = memberOf({ ...(w.self ?? {}), id: selfId, name: selfName });
    this.hasRoomState = typeof w.room === 'object' && w.room !== null;
    this.setRoom(w.room ?? {});
    this.members.clear();
    this.knocks.clear();
    for (const p of w.participants ?? []) this.upsert(p);
    // Hands of people who left while we were away are stale.
    for (const id of this.hands.keys()) if (id !== selfId && !this.members.has(id)) this.hands.delete(id);
  }

  /**
   * Applies a room object; returns what changed.
   * @param {any} room
   * @returns {{ locked: boolean, schoolMode: boolean }}
   */
  setRoom(room) {
    const locked = room?.locked === true;
    const schoolMode = room?.schoolMode === true;
    const changed = { locked: locked !== this.locked, schoolMode: schoolMode !== this.schoolMode };
    this.locked = locked;
    this.schoolMode = schoolMode;
    return changed;
  }

  /**
   * Adds or updates a participant; our own ID updates self.
   * @param {any} p
   * @returns {{ promoted: boolean }} whether this made us a moderator
   */
  upsert(p) {
    const m = memberOf(p);
    if (m.id === this.self.id) {
      const promoted = m.role === 'moderator' && this.self.role !== 'moderator';
      this.self = { ...m, name: this.self.name };
      return { promoted };
    }
    this.members.set(m.id, m);
    return { promoted: false };
  }

  /** @param {string} id */
  remove(id) {
    this.members.delete(id);
    this.hands.delete(id);
  }

  /** Whether we moderate. */
  get moderator() {
    return this.self.role === 'moderator';
  }

  /** Whether we may turn our microphone on now. */
  get mayUnmute() {
    return !this.schoolMode || this.moderator || this.self.canUnmute;
  }

  /** Whether we may share our screen now. */
  get mayShare() {
    return !this.schoolMode || this.moderator || this.self.canShare;
  }

  /**
   * Whether we may act (mute, remove, …) on a participant: moderators may,
   * on anyone but themselves.
   * @param {string} id
   */
  mayModerate(id) {
    return this.moderator && id !== this.self.id && this.members.has(id);
  }

  /**
   * Records a hand message; returns whether it changed anything.
   * @param {string} id
   * @param {boolean} raised
   * @param {number} ts when it went up
   */
  setHand(id, raised, ts) {
    if (!raised) return this.hands.delete(id);
    if (this.hands.get(id) === ts) return false;
    this.hands.set(id, ts);
    return true;
  }

  /**
   * Raised hands in the order they went up (ties by participant ID, so that
   * everyone sees the same order).
   * @returns {string[]}
   */
  handOrder() {
    return [...this.hands.entries()]
      .sort(([a, ta], [b, tb]) => ta - tb || (a < b ? -1 : a > b ? 1 : 0))
      .map(([id]) => id);
  }

  /**
   * Position of a raised hand, 1-based; 0 when the hand is down.
   * @param {string} id
   */
  handNumber(id) {
    return this.handOrder().indexOf(id) + 1;
  }

  /**
   * Takes a speakers message.
   * @param {any} m
   */
  setSpeakers(m) {
    this.active = Array.isArray(m?.active) ? m.active.filter((/** @type {unknown} */ id) => typeof id === 'string') : [];
    this.dominant = typeof m?.dominant === 'string' ? m.dominant : '';
  }

  /** Who the speaker view shows: the dominant speaker, else the latest active one. */
  get speaker() {
    return this.dominant || this.active[0] || '';
  }
}

// @ts-check
/**
 * The social side of a meeting: roles and moderation, the lobby's knocks,
 * lock and school mode (docs/protocol.md), and the end-to-end encrypted
 * messages other than chat: raised hands, reactions and a moderator's
 * request to unmute (docs/e2ee.md bodies). It keeps a RoomState, turns
 * server messages and opened E2EE messages into it, and turns clicks of
 * the participants panel into protocol messages. Besides the bodies of
 * docs/e2ee.md it sends and obeys `{"kind":"ask-unmute"}` and
 * `{"kind":"lower-hand"}`, each honoured only from a moderator (to one
 * participant, or lower-hand to everyone: "lower all hands"). The Meeting owns it and
 * redraws after each change (onChange).
 */
import { REACTIONS, RoomState } from './roomstate.js';
import { t } from './i18n.js';

/**
 * @typedef {object} RoomControlOptions
 * @property {(msg: import('./signal.js').Message) => boolean} send a signaling message
 * @property {(body: object, to?: string | null) => Promise<void>} seal an E2EE message to everyone or one
 * @property {() => void} onChange redraw
 * @property {() => void} forceMute mute our microphone (a moderator did, or school mode)
 * @property {(text: string) => void} toast
 * @property {(text: string) => void} announce a live region announcement
 * @property {(participantId: string, emoji: string) => void} showReaction
 */

export class RoomControl {
  state = new RoomState();
  /** When our hand went up (ms since the epoch), 0 while down. */
  #handTs = 0;
  #o;

  /** @param {RoomControlOptions} o */
  constructor(o) {
    this.#o = o;
  }

  /**
   * Subscribes to the signaling events this part handles.
   * @param {(type: string, fn: (detail: any) => void) => void} on
   */
  listen(on) {
    const s = this.state;
    on('knock', (m) => {
      const p = m.participant;
      if (typeof p?.id !== 'string') return;
      s.knocks.set(p.id, String(p.name ?? ''));
      this.#o.announce(t('knockFrom', { name: String(p.name ?? '') }));
      this.#o.onChange();
    });
    on('knock-ended', (m) => {
      if (s.knocks.delete(m.participantId)) this.#o.onChange();
    });
    on('room-updated', (m) => {
      const changed = s.setRoom(m.room);
      s.hasRoomState = true;
      if (changed.locked) this.#o.toast(t(s.locked ? 'roomLocked' : 'roomUnlocked'));
      if (changed.schoolMode) this.#o.toast(t(s.schoolMode ? 'schoolOn' : 'schoolOff'));
      if (changed.schoolMode && s.schoolMode && !s.mayUnmute) this.#o.forceMute();
      this.#o.onChange();
    });
    on('speakers', (m) => {
      s.setSpeakers(m);
      this.#o.onChange();
    });
    on('muted-by-moderator', () => {
      this.#o.forceMute();
      this.#o.toast(t('mutedByModerator'));
    });
    on('unmute-allowed', () => {
      // In school mode this is the teacher giving the word: the hand has
      // done its job. Elsewhere it is a request to unmute.
      if (s.schoolMode && !s.moderator) {
        s.self.canUnmute = true;
        this.setHand(false);
        this.#o.toast(t('unmuteAllowed'));
      } else {
        this.#o.toast(t('askedToUnmute'));
      }
      this.#o.onChange();
    });
    on('screen-allowed', () => {
      s.self.canShare = true;
      this.#o.toast(t('screenAllowed'));
      this.#o.onChange();
    });
  }

  /**
   * Takes a welcome (first or after a resume).
   * @param {import('./signal.js').Welcome} w
   * @param {string} selfName
   */
  welcome(w, selfName) {
    this.state.welcome(w, w.participantId, selfName);
    if (this.#handTs) this.state.hands.set(w.participantId, this.#handTs);
    // After a resume, everyone else may have missed our hand.
    if (this.#handTs) this.#sendHand(null);
  }

  /**
   * A participant object from the server (joined or updated).
   * @param {any} p
   */
  upsert(p) {
    const { promoted } = this.state.upsert(p);
    if (promoted) this.#o.toast(t('promoted'));
  }

  /** @param {string} id */
  left(id) {
    this.state.remove(id);
  }

  /**
   * Someone's sender key arrived: they are new, or came back; tell them
   * our hand.
   * @param {string} from
   */
  keysFrom(from) {
    if (this.#handTs) this.#sendHand(from);
  }

  /** Whether our hand is up. */
  get handRaised() {
    return this.#handTs !== 0;
  }

  /**
   * Raises or lowers our hand and tells everyone.
   * @param {boolean} up
   */
  setHand(up) {
    if (up === this.handRaised) return;
    this.#handTs = up ? Date.now() : 0;
    this.state.setHand(this.state.self.id, up, this.#handTs);
    this.#sendHand(null);
    this.#o.onChange();
  }

  /** @param {string} emoji */
  react(emoji) {
    if (!REACTIONS.includes(emoji)) return;
    this.#o.seal({ kind: 'reaction', emoji });
    this.#o.showReaction(this.state.self.id, emoji);
  }

  /**
   * An E2EE message that opened, other than chat.
   * @param {string} from
   * @param {string} name the sender's name
   * @param {Record<string, unknown>} body
   */
  message(from, name, body) {
    const s = this.state;
    if (body.kind === 'hand' && typeof body.raised === 'boolean') {
      const ts = typeof body.ts === 'number' && Number.isFinite(body.ts) ? body.ts : Date.now();
      if (s.setHand(from, body.raised, ts)) {
        this.#o.announce(t(body.raised ? 'handRaisedBy' : 'handLoweredBy', { name }));
        this.#o.onChange();
      }
    } else if (body.kind === 'reaction' && typeof body.emoji === 'string' && REACTIONS.includes(body.emoji)) {
      this.#o.showReaction(from, body.emoji);
      this.#o.announce(t('reactionAnnounce', { name, emoji: body.emoji }));
    } else if (body.kind === 'ask-unmute' && s.members.get(from)?.role === 'moderator') {
      this.#o.toast(t('askedToUnmute'));
    } else if (body.kind === 'lower-hand' && s.members.get(from)?.role === 'moderator' && this.handRaised) {
      this.setHand(false);
      this.#o.toast(t('handLoweredByModerator'));
    }
  }

  /**
   * Carries out a click of the participants panel.
   * @param {string} type the panel's event type
   * @param {any} d its detail
   */
  command(type, d) {
    const s = this.state;
    switch (type) {
      case 'moderate':
        if (s.mayModerate(d.id)) this.#o.send({ type: 'moderate', action: d.action, participantId: d.id });
        break;
      case 'ask-unmute':
      case 'lower-hand':
        if (s.mayModerate(d.id)) this.#o.seal({ kind: type }, d.id);
        break;
      case 'lower-all':
        // One message to everyone: whoever has a hand up lowers it.
        if (s.moderator) this.#o.seal({ kind: 'lower-hand' });
        break;
      case 'admit':
      case 'deny':
        if (s.moderator) this.#o.send({ type, participantId: d.id });
        break;
      case 'mute-all':
        for (const m of s.members.values()) {
          if (m.role !== 'moderator') this.#o.send({ type: 'moderate', action: 'mute', participantId: m.id });
        }
        break;
      case 'lock':
        if (s.moderator) this.#o.send({ type: 'lock-room', locked: !!d.locked });
        break;
      case 'school':
        if (s.moderator) this.#o.send({ type: 'set-school-mode', on: !!d.on });
        break;
      case 'end-all':
        if (s.moderator) this.#o.send({ type: 'end-meeting' });
        break;
    }
  }

  /**
   * What the participants panel shows.
   * @param {{ id: string, name: string, self: boolean, role: string, hand: number,
   *   tracks: import('./signal.js').TrackInfo[] }[]} participants ourselves first
   * @param {boolean} selfMicOff whether our microphone is off
   * @returns {import('./ui/people.js').PeopleModel}
   */
  peopleModel(participants, selfMicOff) {
    const s = this.state;
    return {
      people: participants.map((p) => {
        const m = p.self ? s.self : s.members.get(p.id);
        return { id: p.id, name: p.name, self: p.self, role: m?.role ?? 'participant', hand: p.hand,
          micOff: p.self ? selfMicOff : !p.tracks.some((tr) => tr.source === 'microphone' && !tr.muted),
          canUnmute: m?.canUnmute ?? true, canShare: m?.canShare ?? true };
      }),
      moderator: s.moderator, hasRoomState: s.hasRoomState, locked: s.locked, schoolMode: s.schoolMode, knocks: s.knocks,
    };
  }

  /** @param {string | null} to */
  #sendHand(to) {
    this.#o.seal({ kind: 'hand', raised: this.#handTs !== 0, ts: this.#handTs || Date.now() }, to);
  }
}

// @ts-check
/**
 * A meeting in progress: the signaling session, the peer connection, the
 * roster, and what we publish. It turns protocol events into a model that
 * the stage renders, and control clicks into protocol messages.
 * The E2EE session turns the link's secret into keys and opens what
 * others send through the relay (chat and key messages).
 *
 * Events: `lobby` (the join waits for a moderator), `update` (after every
 * redraw), `closed` (CustomEvent, detail {reason, code}).
 */
import { Signal, signalURL } from './signal.js';
import { E2EESession } from './e2ee/session.js';
import { safetyCode } from './e2ee/safety.js';
import { CHAT_MAX } from './ui/chat.js';
import { Peer, inboundStats } from './peer.js';
import { canShareScreen, openScreen } from './media.js';
import { mediaErrorText, serverErrorText } from './ui/text.js';
import { t } from './i18n.js';
import { renderStage, videoSizes } from './ui/stage.js';
import { RoomControl } from './roomcontrol.js';
import { QualityMeter } from './quality.js';
import { checkNetwork } from './netcheck.js';
import { showNetCheck } from './ui/netview.js';
import { ViewState } from './ui/viewstate.js';
import { VideoSizes } from './videosizes.js';
import { parseLayers } from './layers.js';

/** @typedef {import('./signal.js').ParticipantInfo} ParticipantInfo */
/** @typedef {import('./signal.js').TrackInfo} TrackInfo */
/** @typedef {import('./signal.js').Welcome} Welcome */
/** @typedef {'joining' | 'joined' | 'reconnecting' | 'ended'} MeetingState */

/**
 * @typedef {object} MeetingUI
 * @property {import('./ui/grid.js').Grid} grid
 * @property {import('./ui/stage.js').AudioSinks} audio
 * @property {import('./ui/controls.js').Controls} controls
 * @property {import('./ui/status.js').Status} status
 * @property {HTMLElement} count the participant counter
 * @property {import('./ui/chat.js').ChatPanel} chat
 * @property {import('./ui/security.js').SecurityView} security
 * @property {import('./ui/people.js').PeoplePanel} people
 * @property {import('./ui/more.js').MoreSheet} more
 * @property {import('./ui/reactions.js').ReactionPicker} reactions
 */

/** How long to wait for the server's first offer before publishing anyway. */
const FIRST_OFFER_WAIT_MS = 1500;
/** Least time between two replacements of a failed peer connection. */
const REPLACE_MIN_MS = 10_000;
/** How often the connection quality of each tile is measured. */
const QUALITY_EVERY_MS = 2000;

export class Meeting extends EventTarget {
  /** @type {MeetingState} */ state = 'joining';
  /** Milestones in ms on the performance clock, for tests and diagnostics. */
  timings = { joinClicked: 0, welcome: 0, firstRemoteFrame: 0 };
  /** @type {import('./peer.js').ICEMode} */
  #ice = '';
  #name;
  #local;
  #ui;
  #signal;
  /** @type {Peer | null} */ #peer = null;
  #selfId = '';
  /** @type {Map<string, { id: string, name: string, tracks: Map<string, TrackInfo> }>} */
  #roster = new Map();
  /** @type {{ audio?: string, video?: string, screen?: string }} published track IDs on the current peer */
  #published = {};
  /** @type {MediaStreamTrack | null} */ #screen = null;
  /** When a failed peer connection was last replaced, on the performance clock. */
  #lastReplace = -Infinity;
  #roomName;
  /** @type {import('./e2ee/transform.js').E2EEWorker} */ #media;
  /** @type {E2EESession} */ #e2ee;
  /** @type {Map<string, number>} receivers bound in the E2EE worker, by name */
  #bound = new Map();
  #securitySeq = 0;
  /** @type {import('./ui/security.js').SecurityState} */
  security = { state: 'waiting', emoji: '', digits: '', mismatched: [] };
  /** @type {RoomControl} */ #room;
  #view = new ViewState();
  #sizes = new VideoSizes();
  /** Whether the server takes video-size messages (it says so in its welcome). */
  #serverSizes = false;
  /** @type {RTCIceServer[]} the welcome's, for the connection check */
  #iceServers = [];
  #quality = new QualityMeter();
  /** @type {ReturnType<typeof setInterval> | undefined} */ #qualityTimer;

  /**
   * @param {object} opts
   * @param {string} opts.room
   * @param {string} opts.name
   * @param {import('./media.js').LocalDevices} opts.local
   * @param {MeetingUI} opts.ui
   * @param {import('./peer.js').ICEMode} [opts.ice] forces TURN when set (?ice=)
   * @param {Uint8Array<ArrayBuffer>} opts.secret the room secret from the link
   * @param {import('./e2ee/transform.js').E2EEWorker} opts.media the page's E2EE worker
   * @param {string} [opts.password] the room password, if it has one
   */
  constructor({ room, name, local, ui, ice = '', secret, media, password = '' }) {
    super();
    this.#ice = ice;
    this.#roomName = room;
    this.#media = media;
    this.#e2ee = new E2EESession({
      room, secret, media,
      send: (to, data) => this.#signal.send(to ? { type: 'relay', to, data } : { type: 'relay', data }),
      sendEach: (each) => this.#signal.send({ type: 'relay', each }),
    });
    this.#e2ee.addEventListener('roster', () => this.#render());
    this.#e2ee.addEventListener('keys', (ev) => {
      this.#room.keysFrom(/** @type {CustomEvent} */ (ev).detail.from);
      this.#render();
    });
    this.#e2ee.addEventListener('message', (ev) => this.#onMessage(/** @type {CustomEvent} */ (ev).detail));
    this.#name = name;
    this.#local = local;
    this.#ui = ui;
    this.#signal = new Signal({ url: signalURL(location), room, name, password });
    this.#room = new RoomControl({
      send: (m) => this.#signal.send(m),
      seal: (body, to) => this.#e2ee.sendMessage(body, to),
      onChange: () => this.#render(),
      forceMute: () => this.#setMic(false),
      toast: (text) => ui.status.toast(text),
      announce: (text) => ui.status.announce(text),
      showReaction: (pid, emoji) => ui.grid.react(pid, emoji),
    });
    this.#listen();
  }

  /** The current peer connection, for tests; null before the welcome. */
  get pc() { return this.#peer?.pc ?? null; }

  /**
   * Joins; resolves once the server welcomed us.
   * @returns {Promise<void>} rejects with a SignalError
   */
  async join() {
    await this.#signal.join();
    // Only a meeting that was joined takes the page's controls: a refused
    // join leaves them to the next attempt.
    this.#ui.grid.onFirstFrame((key) => {
      if (!this.timings.firstRemoteFrame && !key.startsWith('self')) this.timings.firstRemoteFrame = performance.now();
    });
    const c = this.#ui.controls;
    c.addEventListener('mic', () => this.#toggleMic());
    c.addEventListener('camera', () => this.#toggleCamera());
    c.addEventListener('screen', () => this.#toggleScreen());
    c.addEventListener('leave', () => this.leave());
    c.addEventListener('hand', () => this.#room.setHand(!this.#room.handRaised));
    this.#ui.chat.addEventListener('send', (ev) => this.#sendChat(/** @type {CustomEvent} */ (ev).detail.text));
    this.#wireViews();
    this.#qualityTimer = setInterval(async () => {
      if (this.#peer && this.state === 'joined' && this.#quality.sample(await inboundStats(this.#peer))) this.#render();
    }, QUALITY_EVERY_MS);
    this.#render();
  }

  /** Connects the panels and sheets to the meeting. */
  #wireViews() {
    const ui = this.#ui;
    /** @type {(target: EventTarget, type: string, fn: (detail: any) => void) => void} */
    const on = (target, type, fn) => target.addEventListener(type, (ev) => fn(/** @type {CustomEvent} */ (ev).detail));
    for (const type of ['moderate', 'ask-unmute', 'lower-hand', 'lower-all', 'admit', 'deny', 'mute-all', 'lock', 'school', 'end-all']) {
      on(ui.people, type, (d) => this.#room.command(type, d));
    }
    on(ui.reactions, 'react', (d) => this.#room.react(d.emoji));
    this.#view.listen(ui.more, ui.grid, ui.audio, () => this.#render());
    on(ui.more, 'device', (d) => this.#switchDevice(d.kind, d.deviceId));
    on(ui.grid, 'visible', () => this.#sendSizes());
    on(ui.more, 'netcheck', () => showNetCheck(checkNetwork(this.#iceServers, this.pc)));
  }

  /**
   * Turns our microphone on or off, as the button does (school mode may refuse).
   * @param {boolean} on
   */
  setMicOn(on) {
    if (on !== this.#local.micOn) this.#toggleMic();
  }

  /**
   * Turns our camera on or off, as the button does.
   * @param {boolean} on
   */
  setCameraOn(on) {
    if (on !== this.#local.camOn) this.#toggleCamera();
  }

  /**
   * Raises or lowers our hand.
   * @param {boolean} up
   */
  setHand(up) {
    this.#room.setHand(up);
  }

  /** Draws the meeting again, as after a change of language. */
  redraw() {
    this.#render();
  }

  /** Loses the signaling socket as a network failure would; the session resumes. */
  dropSocket() {
    this.#signal.reconnect();
  }

  /** Leaves the meeting for good. */
  leave() {
    this.#signal.leave();
  }

  /** The E2EE worker's counters (frames encrypted, decrypted, dropped) and our sending key's generation and step. */
  async e2eeStats() {
    return { ...(await this.#media.stats()), sending: this.#e2ee.sending };
  }

  /** Inbound media statistics per received track. */
  stats() {
    return this.#peer ? inboundStats(this.#peer) : Promise.resolve([]);
  }

  /** What our simulcast camera sends, encoding by encoding. */
  sentLayers() {
    return this.#peer ? this.#peer.sentLayers() : Promise.resolve([]);
  }

  /**
   * Everyone in the meeting as plain data, ourselves first.
   * @returns {{ id: string, name: string, self: boolean, tracks: TrackInfo[] }[]}
   */
  participants() {
    const st = this.#room.state;
    const self = { id: this.#selfId, name: this.#name, self: true, tracks: this.#ownTracks(),
      role: st.self.role, hand: st.handNumber(this.#selfId) };
    const others = [...this.#roster.values()].map((p) => ({ id: p.id, name: p.name, self: false, tracks: [...p.tracks.values()],
      role: st.members.get(p.id)?.role ?? 'participant', hand: st.handNumber(p.id) }));
    return [self, ...others];
  }

  /** The size we show each received video at (0×0 off screen), for tests. */
  videoSizes() {
    return videoSizes(this.#ui.grid, this.#peer?.remoteTracks() ?? []);
  }

  /** The room's state as plain data, for tests and the embedding API. */
  room() {
    const st = this.#room.state;
    return { name: this.#roomName, locked: st.locked, schoolMode: st.schoolMode, moderator: st.moderator, mayUnmute: st.mayUnmute,
      mayShare: st.mayShare, hands: st.handOrder(), knocks: [...st.knocks.keys()], speaker: st.speaker,
      layout: this.#view.layout, shown: [...this.#ui.grid.shown] };
  }

  #listen() {
    const s = this.#signal;
    /** @type {(type: string, fn: (detail: any) => void) => void} */
    const on = (type, fn) => s.addEventListener(type, (ev) => fn(/** @type {CustomEvent} */ (ev).detail));
    on('welcome', (w) => this.#onWelcome(w));
    on('offer', (m) => this.#peer?.handleOffer(m));
    on('answer', (m) => this.#peer?.handleAnswer(m));
    on('candidate', (m) => this.#peer?.handleCandidate(m));
    on('layers', (m) => {
      const l = parseLayers(m);
      if (l) this.#peer?.setLayers(l.trackId, l.active);
    });
    on('participant-joined', (m) => {
      this.#upsert(m.participant);
      if (m.participant?.id) this.#e2ee.joined(m.participant.id);
      if (m.participant?.name) this.#ui.status.announce(t('joinedAnnounce', { name: m.participant.name }));
    });
    on('participant-updated', (m) => this.#upsert(m.participant));
    on('participant-left', (m) => {
      const name = this.#roster.get(m.participantId)?.name;
      this.#roster.delete(m.participantId);
      this.#room.left(m.participantId);
      this.#e2ee.left(m.participantId);
      if (name) this.#ui.status.announce(t('leftAnnounce', { name }));
      this.#render();
    });
    on('lobby', () => this.dispatchEvent(new Event('lobby')));
    this.#room.listen(on);
    on('relay', (m) => this.#e2ee.receive(m.from, m.data));
    on('track-published', (m) => {
      this.#roster.get(m.participantId)?.tracks.set(m.track.trackId, m.track);
      this.#render();
    });
    on('track-unpublished', (m) => {
      this.#roster.get(m.participantId)?.tracks.delete(m.trackId);
      this.#render();
    });
    on('mute', (m) => {
      const t = this.#roster.get(m.participantId)?.tracks.get(m.trackId);
      if (t) t.muted = !!m.muted;
      this.#render();
    });
    on('error', (m) => {
      if (!m.fatal) this.#ui.status.toast(serverErrorText(m.code));
    });
    on('reconnecting', () => {
      this.state = 'reconnecting';
      this.#ui.status.banner(t('reconnecting'));
    });
    on('closed', (d) => this.#onClosed(d));
    window.addEventListener('pagehide', () => this.#signal.leave());
  }

  /** @param {Welcome} w */
  #onWelcome(w) {
    this.timings.welcome ||= performance.now();
    this.state = 'joined';
    this.#ui.status.banner('');
    this.#selfId = w.participantId;
    this.#room.welcome(w, this.#name);
    this.#iceServers = /** @type {RTCIceServer[]} */ (w.iceServers ?? []);
    const features = w.features;
    this.#serverSizes = Array.isArray(features) && features.includes('video-size');
    // Each welcome starts a new server session, whose layers start all active.
    const simulcast = Array.isArray(features) && features.includes('simulcast');
    this.#sizes = new VideoSizes();
    // School mode holds our microphone: start muted rather than be refused.
    if (!this.#room.state.mayUnmute) this.#local.setMic(false);
    this.#roster.clear();
    for (const p of w.participants ?? []) this.#upsert(p, false);
    this.#e2ee.welcome(w.participantId, w.index, (w.participants ?? []).map((p) => p.id), !!w.resumed);
    // A welcome, first or after a resume, starts a new peer connection: the
    // server dropped the old session, and we publish everything again.
    this.#peer?.close();
    const peer = new Peer({ iceServers: w.iceServers ?? [], ice: this.#ice, send: (m) => this.#signal.send(m), log: console.debug, e2ee: this.#media,
      indexOf: (pid) => this.#e2ee.indexOf(pid), simulcast });
    this.#peer = peer;
    this.#published = {};
    peer.addEventListener('remotetracks', () => this.#render());
    peer.addEventListener('failed', () => {
      // A new connection that fails as well gets ICE restarts, not a loop
      // of resumes.
      const now = performance.now();
      if (now - this.#lastReplace < REPLACE_MIN_MS) return;
      this.#lastReplace = now;
      this.#signal.reconnect();
    });
    peer.addEventListener('connectionstatechange', (ev) => {
      const state = /** @type {CustomEvent} */ (ev).detail.state;
      if (this.state !== 'joined') return;
      if (state === 'disconnected' || state === 'failed') this.#ui.status.banner(t('mediaReconnecting'));
      else if (state === 'connected') this.#ui.status.banner('');
    });
    // When others publish, the server offers them to us at once; we publish
    // after that offer rather than collide with it (see Peer.afterFirstOffer).
    const expectOffer = (w.participants ?? []).some((p) => (p.tracks ?? []).length > 0);
    if (expectOffer) peer.afterFirstOffer(FIRST_OFFER_WAIT_MS).then(() => this.#publishAll(peer));
    else this.#publishAll(peer);
    this.#render();
  }

  /**
   * Publishes our microphone, camera and screen on a new peer connection.
   * @param {Peer} peer
   */
  #publishAll(peer) {
    if (this.#peer !== peer || this.state === 'ended') return;
    const l = this.#local;
    if (l.audio) this.#published.audio = peer.publish(l.audio, 'microphone', !l.micOn);
    if (l.video) this.#published.video = peer.publish(l.video, 'camera', false);
    if (this.#screen) this.#published.screen = peer.publish(this.#screen, 'screen', false);
    this.#render();
  }

  /**
   * @param {ParticipantInfo} p
   * @param {boolean} [render]
   */
  #upsert(p, render = true) {
    if (!p) return;
    this.#room.upsert(p);
    if (p.id === this.#selfId) {
      if (render) this.#render();
      return;
    }
    this.#roster.set(p.id, { id: p.id, name: p.name, tracks: new Map((p.tracks ?? []).map((t) => [t.trackId, t])) });
    if (render) this.#render();
  }

  /** @param {{ reason: string, error: { code: string } | null }} d */
  #onClosed({ reason, error }) {
    this.state = 'ended';
    this.dispatchEvent(new CustomEvent('closed', { detail: { reason, code: error?.code ?? '' } }));
    clearInterval(this.#qualityTimer);
    this.#e2ee.close();
    this.#peer?.close();
    this.#peer = null;
    // Never welcomed: join() rejects, and its caller tells the person.
    if (this.#selfId === '') return;
    this.#screen?.stop();
    this.#local.stop();
    this.#ui.audio.retain(new Set());
    const status = this.#ui.status;
    if (reason === 'left') status.ended(t('leftTitle'), '');
    else if (reason === 'timeout') status.ended(t('endedTitle'), t('timeout'));
    else status.ended(t('endedTitle'), serverErrorText(error?.code ?? 'closed'));
  }

  async #toggleMic() {
    const on = !this.#local.micOn;
    if (on && !this.#room.state.mayUnmute) {
      this.#ui.status.toast(t('schoolHeld'));
      return;
    }
    this.#setMic(on);
  }

  /** @param {boolean} on */
  #setMic(on) {
    this.#local.setMic(on);
    if (this.#published.audio) this.#peer?.setMuted(this.#published.audio, !on);
    this.#render();
  }

  /**
   * Switches camera or microphone during the call, keeping what the others
   * receive on the same published track.
   * @param {'audio' | 'video'} kind
   * @param {string} deviceId
   */
  async #switchDevice(kind, deviceId) {
    try {
      const track = await this.#local.useDevice(kind, deviceId);
      const id = this.#published[kind];
      if (track && id) await this.#peer?.replace(id, track);
    } catch {
      this.#ui.status.toast(t('deviceSwitchFailed'));
    }
    this.#render();
  }

  /**
   * Tells the server the size of each video we show, so that it may send
   * only those. Only a server that says it takes video-size messages gets
   * them (docs/protocol.md answers unknown types with an error).
   */
  #sendSizes() {
    if (this.#serverSizes) for (const m of this.#sizes.update(this.videoSizes())) this.#signal.send(m);
  }

  async #toggleCamera() {
    const on = !this.#local.camOn;
    /** @type {MediaStreamTrack | null} */
    let track;
    try {
      track = await this.#local.setCamera(on);
    } catch (err) {
      this.#ui.status.toast(mediaErrorText('video', err instanceof Error ? err : undefined));
      this.#render();
      return;
    }
    const peer = this.#peer;
    if (peer && this.#published.video) {
      await peer.replace(this.#published.video, track);
      peer.setMuted(this.#published.video, !on);
    } else if (peer && track) {
      this.#published.video = peer.publish(track, 'camera', false);
    }
    this.#render();
  }

  async #toggleScreen() {
    if (this.#screen) {
      this.#stopScreen();
      return;
    }
    if (!this.#room.state.mayShare) {
      this.#ui.status.toast(t('schoolHeldScreen'));
      return;
    }
    /** @type {MediaStreamTrack} */
    let track;
    try {
      track = await openScreen();
    } catch (err) {
      // Cancelling the picker is a choice, not an error.
      if (!(err instanceof Error && err.name === 'NotAllowedError')) this.#ui.status.toast(t('screenFailed'));
      return;
    }
    this.#screen = track;
    // The browser's own "Stop sharing" button ends the track.
    track.addEventListener('ended', () => this.#stopScreen());
    if (this.#peer) this.#published.screen = this.#peer.publish(track, 'screen', false);
    this.#render();
  }

  #stopScreen() {
    const track = this.#screen;
    if (!track) return;
    this.#screen = null;
    if (this.#published.screen) this.#peer?.unpublish(this.#published.screen);
    delete this.#published.screen;
    track.stop();
    this.#render();
  }

  /** @returns {TrackInfo[]} what we publish, as the server sees it */
  #ownTracks() {
    const l = this.#local;
    /** @type {TrackInfo[]} */
    const out = [];
    const p = this.#published;
    if (p.audio) out.push({ trackId: p.audio, kind: 'audio', source: 'microphone', muted: !l.micOn });
    if (p.video) out.push({ trackId: p.video, kind: 'video', source: 'camera', muted: !l.camOn });
    if (p.screen) out.push({ trackId: p.screen, kind: 'video', source: 'screen', muted: false });
    return out;
  }

  /** @param {string} text */
  async #sendChat(text) {
    const body = { kind: 'chat', id: crypto.randomUUID(), text: text.slice(0, CHAT_MAX), ts: Date.now() };
    await this.#e2ee.sendMessage(body);
    this.#ui.chat.add({ name: this.#name, text: body.text, ts: body.ts, self: true });
  }

  /** @param {{ from: string, body: Record<string, unknown> }} m a message that opened */
  #onMessage({ from, body }) {
    const p = this.#roster.get(from);
    if (!p) return;
    if (body.kind === 'chat' && typeof body.text === 'string' && body.text.length <= CHAT_MAX) {
      const ts = typeof body.ts === 'number' && Number.isFinite(body.ts) ? body.ts : Date.now();
      this.#ui.chat.add({ name: p.name, text: body.text, ts, self: false });
      // An open chat's log is itself a live region.
      if (!this.#ui.chat.open) this.#ui.status.announce(t('chatAnnounce', { name: p.name, text: body.text.slice(0, 200) }));
      return;
    }
    this.#room.message(from, p.name, body);
  }

  /**
   * What we know of a participant's keys, for the tiles.
   * @param {string} pid
   * @returns {'verified' | 'mismatch' | 'waiting'}
   */
  #trust(pid) {
    const s = this.#e2ee.status(pid);
    if (s === 'verified' && !this.#e2ee.hasKeyOf(pid)) return 'waiting';
    return s;
  }

  /** Recomputes the lock state and the safety code. */
  async #updateSecurity() {
    const others = [...this.#roster.keys()];
    const mismatched = others.filter((id) => this.#trust(id) === 'mismatch');
    const waiting = others.some((id) => this.#trust(id) === 'waiting');
    const roster = this.#e2ee.roster();
    const seq = ++this.#securitySeq;
    const code = roster.length > 0 ? await safetyCode(this.#roomName, roster) : null;
    // Renders overtake each other here: only the newest may write.
    if (seq !== this.#securitySeq) return;
    this.security = {
      state: mismatched.length > 0 ? 'warning' : waiting || !code ? 'waiting' : 'secure',
      emoji: code?.emoji ?? '',
      digits: code?.digits ?? '',
      mismatched: mismatched.map((id) => this.#roster.get(id)?.name ?? id),
    };
    if (this.state !== 'ended') this.#ui.security.set(this.security);
  }

  /**
   * Binds each received track's decryption to the sender index of the
   * participant the server says it belongs to, once that participant is
   * verified: frames under anyone else's key are then dropped.
   * @param {import('./peer.js').RemoteTrack[]} remote
   */
  #bindReceivers(remote) {
    for (const r of remote) {
      const index = this.#e2ee.indexOf(r.info.participantId);
      if (index === undefined || this.#bound.get(r.e2eeId) === index) continue;
      this.#bound.set(r.e2eeId, index);
      this.#media.bind(r.e2eeId, index);
    }
  }

  #render() {
    if (this.state === 'ended') return;
    this.#bindReceivers(this.#peer?.remoteTracks() ?? []);
    const l = this.#local;
    const st = this.#room.state;
    renderStage(this.#ui, {
      self: { id: this.#selfId, name: this.#name, video: l.camOn ? l.video : null, micOff: !l.micOn || !l.audio, screen: this.#screen },
      roster: [...this.#roster.values()],
      remote: this.#peer?.remoteTracks() ?? [],
      trust: (pid) => this.#trust(pid),
      hand: (pid) => st.handNumber(pid),
      speaker: st.speaker,
      quality: this.#quality.levels,
      layout: this.#view.layout,
      pinned: this.#view.pinned,
      hideSelf: this.#view.hideSelf,
    });
    this.#updateSecurity();
    this.#ui.controls.set({
      mic: l.micOn && !!l.audio, micAvailable: !!l.audio, camera: l.camOn && !!l.video,
      screen: !!this.#screen, screenAvailable: canShareScreen(),
      hand: this.#room.handRaised, micHeld: !st.mayUnmute, screenHeld: !st.mayShare,
    });
    this.#ui.more.set({ layout: this.#view.layout, screen: !!this.#screen, screenAvailable: canShareScreen() && st.mayShare });
    this.#ui.status.flags(st.locked, st.schoolMode);
    this.#sendSizes();
    // Views outside the page (the embedding API) redraw from this.
    this.dispatchEvent(new Event('update'));
    this.#ui.people.render(this.#room.peopleModel(this.participants(), !l.micOn || !l.audio));
  }
}

// @ts-check
/**
 * Renders the meeting model onto the page: which tiles exist and what they
 * show, which remote audio plays, and the participant counter. It is a
 * function of the model, called after every change, so the page cannot
 * drift from the roster.
 */
import { t } from '../i18n.js';

/**
 * @typedef {object} StageModel
 * @property {{ id: string, name: string, video: MediaStreamTrack | null, micOff: boolean, screen: MediaStreamTrack | null }} self
 * @property {{ id: string, name: string, tracks: Map<string, import('../signal.js').TrackInfo> }[]} roster
 * @property {import('../peer.js').RemoteTrack[]} remote
 * @property {(participantId: string) => 'verified' | 'mismatch' | 'waiting'} trust
 *   what the E2EE session knows of a participant ('verified' also means we hold their key)
 * @property {(participantId: string) => number} hand position of a raised hand, 0 when down
 * @property {string} speaker the active speaker's participant ID, '' for none
 * @property {Map<string, '' | 'good' | 'fair' | 'poor'>} quality per participant, from getStats
 * @property {'grid' | 'speaker'} layout the layout chosen
 * @property {string} pinned key of the pinned tile, '' for none
 * @property {boolean} hideSelf whether to leave out our own camera's tile ("hide self view")
 */

/**
 * @param {{ grid: import('./grid.js').Grid, audio: AudioSinks, count: HTMLElement }} ui
 * @param {StageModel} m
 */
export function renderStage(ui, m) {
  const keep = new Set();
  /**
   * @param {string} key
   * @param {import('./grid.js').TileState} s
   */
  const tile = (key, s) => {
    keep.add(key);
    ui.grid.set(key, s);
  };
  const selfId = m.self.id || 'self';
  if (!m.hideSelf) tile(`self:${selfId}`, { participantId: m.self.id, name: `${m.self.name} ${t('you')}`, self: true,
    source: 'camera', video: m.self.video, micOff: m.self.micOff, hand: m.hand(m.self.id),
    speaking: m.speaker !== '' && m.speaker === m.self.id });
  if (m.self.screen) {
    tile(`self:${selfId}:screen`, { participantId: m.self.id, name: t('yourScreen'), self: true,
      source: 'screen', video: m.self.screen, micOff: false });
  }

  const byParticipant = groupRemote(m.remote);
  /** @type {Map<string, MediaStreamTrack>} */
  const audio = new Map();
  for (const p of m.roster) {
    const received = byParticipant.get(p.id) ?? [];
    const infos = [...p.tracks.values()];
    const mic = infos.find((t) => t.source === 'microphone');
    const cam = received.find((r) => r.info.kind === 'video' && r.info.source !== 'screen');
    const camMuted = cam ? p.tracks.get(cam.info.trackId)?.muted ?? false : true;
    const trust = m.trust(p.id);
    const notice = trust === 'mismatch' ? t('differentLink') : trust === 'waiting' ? t('waitingForKeys') : '';
    tile(p.id, { participantId: p.id, name: p.name, self: false, source: 'camera',
      video: cam && !camMuted && trust === 'verified' ? cam.track : null, micOff: !mic || mic.muted,
      notice, mismatch: trust === 'mismatch', hand: m.hand(p.id), speaking: m.speaker === p.id,
      quality: m.quality.get(p.id) ?? '' });
    const screen = received.find((r) => r.info.source === 'screen');
    if (screen && trust === 'verified') {
      tile(`${p.id}:screen`, { participantId: p.id, name: t('screenOf', { name: p.name }), self: false,
        source: 'screen', video: screen.track, micOff: false });
    }
    for (const r of received) if (r.info.kind === 'audio') audio.set(r.mid, r.track);
  }
  ui.grid.retain(keep);
  const screen = [...keep].find((k) => k.endsWith(':screen') && !k.startsWith('self:'));
  const main = keep.has(m.pinned) ? m.pinned : screen ?? (keep.has(m.speaker) ? m.speaker : m.roster[0]?.id ?? '');
  ui.grid.focus(m.layout === 'speaker' || keep.has(m.pinned) || !!screen ? 'speaker' : 'grid', main);
  ui.audio.play(audio);
  ui.count.textContent = t('participants', { n: m.roster.length + 1 });
}

/**
 * The size each received video is shown at (0×0 when its tile is off
 * screen): what the server need send us.
 * @param {import('./grid.js').Grid} grid
 * @param {import('../peer.js').RemoteTrack[]} remote
 * @returns {import('../videosizes.js').VideoSize[]}
 */
export function videoSizes(grid, remote) {
  return remote.filter((r) => r.info.kind === 'video').map((r) => ({
    trackId: r.info.trackId,
    ...grid.tileSize(r.info.source === 'screen' ? `${r.info.participantId}:screen` : r.info.participantId),
  }));
}

/**
 * @param {import('../peer.js').RemoteTrack[]} remote
 * @returns {Map<string, import('../peer.js').RemoteTrack[]>}
 */
function groupRemote(remote) {
  const out = new Map();
  for (const r of remote) {
    const list = out.get(r.info.participantId) ?? [];
    list.push(r);
    out.set(r.info.participantId, list);
  }
  return out;
}

/**
 * Plays remote audio, one <audio> element per received track. Video
 * elements stay muted so that they may always autoplay; only audio can be
 * blocked by the browser's autoplay policy, and then we ask for a click.
 */
export class AudioSinks {
  #root;
  #onBlocked;
  /** @type {Map<string, { el: HTMLAudioElement, track: MediaStreamTrack }>} */
  #sinks = new Map();
  #sinkId = '';

  /**
   * @param {HTMLElement} root where the audio elements live
   * @param {() => void} onBlocked called when the browser refuses to play
   */
  constructor(root, onBlocked) {
    this.#root = root;
    this.#onBlocked = onBlocked;
  }

  /**
   * Plays exactly these tracks, keyed by mid.
   * @param {Map<string, MediaStreamTrack>} tracks
   */
  play(tracks) {
    for (const [key, track] of tracks) {
      const sink = this.#sinks.get(key);
      if (sink?.track === track) continue;
      const el = sink?.el ?? document.createElement('audio');
      el.autoplay = true;
      el.srcObject = new MediaStream([track]);
      if (!sink) {
        this.#root.append(el);
        if (this.#sinkId) this.#applySink(el);
      }
      this.#sinks.set(key, { el, track });
      this.#start(el);
    }
    this.retain(new Set(tracks.keys()));
  }

  /**
   * Removes the sinks whose key is not in keep.
   * @param {Set<string>} keep
   */
  retain(keep) {
    for (const [key, sink] of this.#sinks) {
      if (keep.has(key)) continue;
      sink.el.srcObject = null;
      sink.el.remove();
      this.#sinks.delete(key);
    }
  }

  /**
   * Plays every sink on this audio output ('' for the system's default),
   * where the browser can choose (HTMLMediaElement.setSinkId).
   * @param {string} deviceId
   */
  setSink(deviceId) {
    this.#sinkId = deviceId;
    for (const { el } of this.#sinks.values()) this.#applySink(el);
  }

  /** @param {HTMLAudioElement} el */
  #applySink(el) {
    const media = /** @type {HTMLAudioElement & { setSinkId?: (id: string) => Promise<void> }} */ (el);
    media.setSinkId?.(this.#sinkId).catch(() => {});
  }

  /** Starts every sink again, from a user gesture. */
  resume() {
    for (const { el } of this.#sinks.values()) this.#start(el);
  }

  /** @param {HTMLAudioElement} el */
  #start(el) {
    el.play().catch((err) => {
      if (err instanceof Error && err.name === 'NotAllowedError') this.#onBlocked();
    });
  }
}

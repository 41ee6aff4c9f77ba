// @ts-check
/**
 * The participant's one RTCPeerConnection to the SFU (docs/protocol.md,
 * "Negotiation"). We are the polite peer of perfect negotiation: when the
 * server's offer collides with ours, ours is rolled back (implicitly, by
 * setRemoteDescription) and offered again once the connection is stable.
 * No DOM: the UI learns about remote media through events.
 *
 * Events (CustomEvent):
 * - `remotetracks`: the set of received tracks changed; call remoteTracks();
 * - `connectionstatechange`: `detail.state` is the RTCPeerConnectionState;
 * - `failed`: the connection did not come up or recover (no candidate
 *   gathered, or ICE restarts did not help); the caller should resume the
 *   whole session, which brings a new peer connection.
 */

import { cameraEncodings, SenderLayers, sentLayers } from './layers.js';

/** @typedef {import('./signal.js').MidTrack} MidTrack */
/** @typedef {import('./signal.js').TrackSource} TrackSource */
/** @typedef {import('./signal.js').Message} Message */

/**
 * @typedef {object} RemoteTrack
 * @property {string} mid
 * @property {MediaStreamTrack} track
 * @property {RTCRtpReceiver} receiver
 * @property {MidTrack} info whose track it is, from the server's offer
 * @property {string} e2eeId the receiver's name in the E2EE worker, for E2EEWorker.bind
 */

/**
 * The RTCRtpTransceiver header extension control API (Chrome 123+), which
 * TypeScript's DOM types do not have yet.
 * @typedef {{ uri: string, direction: RTCRtpTransceiverDirection }} HeaderExtension
 * @typedef {{
 *   getHeaderExtensionsToNegotiate(): HeaderExtension[],
 *   setHeaderExtensionsToNegotiate(exts: HeaderExtension[]): void,
 * }} ExtensionControl
 */

/** How long ICE may stay disconnected before we restart it. */
const DISCONNECTED_RESTART_MS = 4000;
/**
 * How long after the first complete negotiation the connection must be up
 * before we restart ICE. On loopback it connects in well under a second.
 */
const FIRST_CONNECT_MS = 5000;
/**
 * How long after the first negotiation a connection may have gathered no
 * local candidate at all. Host candidates take milliseconds.
 */
const NO_CANDIDATE_MS = 1500;
/** How long after a restart ICE must be back before we give up. */
const RESTART_GIVE_UP_MS = 8000;

/** One peer connection. Close it with close(); it is not reusable. */
export class Peer extends EventTarget {
  /** @type {RTCPeerConnection} */ pc;
  #send;
  #log;
  /** Signaling work, one message at a time, in arrival order. */
  #queue = Promise.resolve();
  /** @type {Map<string, MidTrack>} mid -> track, from server offers */
  #mids = new Map();
  /** @type {Map<string, RTCRtpSender>} published trackId -> sender */
  #senders = new Map();
  /** Whether the camera is published as simulcast (the server's welcome lists the feature). */
  #simulcast;
  /** @type {Map<string, SenderLayers>} published simulcast trackId -> its encodings' state */
  #layers = new Map();
  /**
   * @type {Map<string, string[]>} trackId -> the RIDs of the last layers message, kept
   * after an unpublish so that the track, published again, starts from them
   */
  #wanted = new Map();
  /** @type {() => void} resolves firstOffer */
  #answered = () => {};
  /** Settles once the first server offer has been answered. */
  #firstOffer = new Promise((resolve) => { this.#answered = () => resolve(undefined); });
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #iceTimer;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #giveUpTimer;
  #closed = false;
  #connectWatch = false;
  /** Local ICE candidates gathered so far. */
  #gathered = 0;
  /** @type {import('./e2ee/transform.js').E2EEWorker | null} */
  #e2ee;
  /** @type {(participantId: string) => number | undefined} */
  #indexOf;
  /** Prefix of this connection's receiver names in the E2EE worker (one worker serves every connection of the page). */
  #scope = crypto.randomUUID();

  /**
   * @param {object} opts
   * @param {RTCIceServer[]} opts.iceServers from the welcome
   * @param {ICEMode} [opts.ice] '' for every path; 'relay' for TURN only; 'turns' for TURN over TLS only
   * @param {(msg: Message) => void} opts.send sends a signaling message
   * @param {(...args: unknown[]) => void} [opts.log] for diagnostics
   * @param {import('./e2ee/transform.js').E2EEWorker | null} [opts.e2ee] encrypts
   *   what we send and decrypts what we receive (docs/e2ee.md)
   * @param {(participantId: string) => number | undefined} [opts.indexOf] the verified
   *   sender index of a participant, to bind its tracks' receivers to it
   * @param {boolean} [opts.simulcast] publish the camera as three encodings (docs/protocol.md, "Simulcast")
   */
  constructor({ iceServers, ice = '', send, log = () => {}, e2ee = null, indexOf = () => undefined, simulcast = false }) {
    super();
    this.#simulcast = simulcast;
    this.#send = send;
    this.#log = log;
    this.#e2ee = e2ee;
    this.#indexOf = indexOf;
    this.pc = new RTCPeerConnection({
      iceServers: ice === 'turns' ? onlyTURNS(iceServers) : iceServers,
      iceTransportPolicy: ice === '' ? 'all' : 'relay',
      bundlePolicy: 'max-bundle',
      rtcpMuxPolicy: 'require',
      ...(e2ee?.pcConfig() ?? {}),
    });
    this.pc.addEventListener('negotiationneeded', () => this.#enqueue(() => this.#offer()));
    this.pc.addEventListener('icecandidate', (ev) => {
      if (ev.candidate) this.#gathered++;
      this.#send({ type: 'candidate', candidate: ev.candidate ? ev.candidate.toJSON() : null });
    });
    this.pc.addEventListener('track', (ev) => {
      // Before any frame reaches the decoder (E2EE.md: attach in ontrack).
      const kind = /** @type {'audio' | 'video'} */ (ev.track.kind);
      const mid = ev.transceiver.mid ?? '';
      const owner = this.#mids.get(mid)?.participantId;
      this.#e2ee?.attachReceiver(ev.receiver, { kind, codec: kind === 'audio' ? 'opus' : 'vp8',
        id: `${this.#scope}/${mid}`, index: owner === undefined ? undefined : this.#indexOf(owner) });
      this.#changed();
    });
    this.pc.addEventListener('iceconnectionstatechange', () => this.#onICEState());
    this.pc.addEventListener('connectionstatechange', () => {
      this.dispatchEvent(new CustomEvent('connectionstatechange', { detail: { state: this.pc.connectionState } }));
    });
  }

  /**
   * Publishes a local track: announces it, then adds it, which starts a
   * negotiation (protocol.md: `publish` comes before the offer).
   * @param {MediaStreamTrack} track
   * @param {TrackSource} source
   * @param {boolean} muted
   * @returns {string} the published track ID, for mute, replace and unpublish
   */
  publish(track, source, muted) {
    const kind = /** @type {'audio' | 'video'} */ (track.kind);
    this.#send({ type: 'publish', trackId: track.id, kind, source, muted });
    const stream = new MediaStream([track]);
    // Screen shares and audio stay single encodings (docs/protocol.md).
    const simulcast = this.#simulcast && source === 'camera' && kind === 'video';
    const tr = this.pc.addTransceiver(track, { direction: 'sendonly', streams: [stream],
      ...(simulcast ? { sendEncodings: cameraEncodings() } : {}) });
    // One transform per sender: it sees the frames of every encoding.
    this.#e2ee?.attachSender(tr.sender, { kind, codec: kind === 'audio' ? 'opus' : 'vp8' });
    if (this.#e2ee && kind === 'video') preferCodec(tr, 'video/VP8');
    if (source === 'screen' && 'contentHint' in track) track.contentHint = 'detail';
    this.#senders.set(track.id, tr.sender);
    if (simulcast) {
      const layers = new SenderLayers(tr.sender, this.#log, this.#wanted.get(track.id) ?? null);
      this.#layers.set(track.id, layers);
      if (layers.active !== null) layers.apply();
    }
    return track.id;
  }

  /**
   * Sends only the listed encodings of a published simulcast track (the
   * server's `layers` message); other tracks are ignored.
   * @param {string} trackId
   * @param {string[]} active RIDs; [] pauses every encoding
   * @returns {Promise<void>} settles once applied
   */
  setLayers(trackId, active) {
    const layers = this.#layers.get(trackId);
    if (!layers) return Promise.resolve();
    this.#wanted.set(trackId, active);
    return layers.set(active);
  }

  /**
   * What each published simulcast track sends, encoding by encoding.
   * @returns {Promise<import('./layers.js').SentLayer[]>}
   */
  async sentLayers() {
    const out = [];
    for (const trackId of this.#layers.keys()) {
      const sender = this.#senders.get(trackId);
      if (sender) out.push(...(await sentLayers(trackId, sender)));
    }
    return out;
  }

  /**
   * Stops sending a published track and tells the server.
   * @param {string} trackId
   */
  unpublish(trackId) {
    const sender = this.#senders.get(trackId);
    if (!sender) return;
    this.#senders.delete(trackId);
    this.#layers.delete(trackId);
    this.#send({ type: 'unpublish', trackId });
    this.pc.removeTrack(sender);
  }

  /**
   * Swaps what a published track sends without renegotiating (device
   * change, camera off). The track keeps its published ID.
   * @param {string} trackId
   * @param {MediaStreamTrack | null} track
   */
  async replace(trackId, track) {
    await this.#senders.get(trackId)?.replaceTrack(track);
    // The encodings keep their state; asking again costs nothing if so.
    await this.#layers.get(trackId)?.apply();
  }

  /**
   * Tells the server, and so everyone, that a published track is muted.
   * @param {string} trackId
   * @param {boolean} muted
   */
  setMuted(trackId, muted) {
    if (this.#senders.has(trackId)) this.#send({ type: 'mute', trackId, muted });
  }

  /**
   * Resolves once the server's first offer has been answered, or after ms.
   * Publishing only then keeps our first offer from colliding with the
   * server's: Chrome 156 rolls the collision back as it should, but then
   * may never gather candidates for the connection (seen in the browser
   * tests, loopback only).
   * @param {number} ms
   * @returns {Promise<void>}
   */
  afterFirstOffer(ms) {
    return Promise.race([this.#firstOffer, new Promise((resolve) => { setTimeout(resolve, ms); })]).then(() => {});
  }

  /** @param {{ sdp: string, tracks?: Record<string, MidTrack> }} msg */
  handleOffer(msg) {
    this.#enqueue(async () => {
      for (const [mid, info] of Object.entries(msg.tracks ?? {})) this.#mids.set(mid, info);
      // Polite peer: our colliding offer is rolled back (explicitly, though
      // setRemoteDescription would do it too, so that it shows in the log);
      // negotiationneeded fires again once stable. Our offers go through
      // the same queue, so none is half made meanwhile.
      if (this.pc.signalingState === 'have-local-offer') {
        this.#log('peer: offer collision, rolling ours back');
        await this.pc.setLocalDescription({ type: 'rollback' });
      }
      this.#log('peer: server offer in', this.pc.signalingState, Object.keys(msg.tracks ?? {}).join(','));
      await this.pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
      await this.pc.setLocalDescription();
      this.#send({ type: 'answer', sdp: this.pc.localDescription?.sdp ?? '' });
      this.#answered();
      this.#watchFirstConnect();
      this.#applyLayers();
      this.#changed();
    });
  }

  /** @param {{ sdp: string }} msg */
  handleAnswer(msg) {
    this.#enqueue(async () => {
      if (this.pc.signalingState !== 'have-local-offer') {
        this.#log('peer: answer in state', this.pc.signalingState, 'ignored');
        return;
      }
      this.#log('peer: answer');
      await this.pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
      this.#watchFirstConnect();
      this.#applyLayers();
    });
  }

  /** @param {{ candidate: RTCIceCandidateInit | null }} msg */
  handleCandidate(msg) {
    // null ends the server's candidates; the browser needs no word of it.
    if (!msg.candidate) return;
    const c = msg.candidate;
    this.#enqueue(async () => {
      try {
        await this.pc.addIceCandidate(c);
      } catch (err) {
        // A candidate for a description we rolled back: harmless.
        this.#log('peer: candidate refused', err);
      }
    });
  }

  /**
   * The tracks we currently receive, each with whose it is.
   * @returns {RemoteTrack[]}
   */
  remoteTracks() {
    /** @type {RemoteTrack[]} */
    const out = [];
    for (const t of this.pc.getTransceivers()) {
      const info = t.mid === null ? undefined : this.#mids.get(t.mid);
      const receiving = t.currentDirection === 'recvonly' || t.currentDirection === 'sendrecv';
      if (!info || !receiving || t.receiver.track.readyState !== 'live') continue;
      out.push({ mid: /** @type {string} */ (t.mid), track: t.receiver.track, receiver: t.receiver, info, e2eeId: `${this.#scope}/${t.mid}` });
    }
    return out;
  }

  /** Closes the connection; no event follows. */
  close() {
    this.#closed = true;
    clearTimeout(this.#iceTimer);
    clearTimeout(this.#giveUpTimer);
    this.pc.close();
  }

  async #offer() {
    if (this.pc.signalingState !== 'stable') return; // negotiationneeded fires again once stable
    this.#limitExtensions();
    await this.pc.setLocalDescription();
    this.#log('peer: our offer');
    this.#send({ type: 'offer', sdp: this.pc.localDescription?.sdp ?? '' });
  }

  /**
   * Offers on new transceivers only the RTP header extensions the server
   * already negotiated. When the server offered first, its extension IDs
   * hold for the whole BUNDLE group, and Chrome gives the extensions it
   * adds for a new m-line (playout-delay, video-content-type, …) its own
   * default IDs even when the server's use them: setLocalDescription then
   * fails with "BUNDLE group contains a codec collision for header
   * extension id=N". Extensions the server did not offer are of no use to
   * it anyway. Browsers without the extension control API keep their
   * defaults.
   */
  #limitExtensions() {
    const remote = this.pc.currentRemoteDescription?.sdp;
    if (!remote) return; // our offer comes first: our IDs will hold
    const known = new Set(Array.from(remote.matchAll(/^a=extmap:\d+(?:\/\w+)? (\S+)/gm), (m) => m[1]));
    for (const t of this.pc.getTransceivers()) {
      const tr = /** @type {ExtensionControl} */ (/** @type {unknown} */ (t));
      if (t.mid !== null || typeof tr.setHeaderExtensionsToNegotiate !== 'function') continue;
      /** @type {HeaderExtension[]} */
      const exts = tr.getHeaderExtensionsToNegotiate().map((e) => (known.has(e.uri) ? e : { ...e, direction: 'stopped' }));
      try {
        tr.setHeaderExtensionsToNegotiate(exts);
      } catch (err) {
        this.#log('peer: cannot limit header extensions', err);
      }
    }
  }

  /**
   * Applies the layers state again after a negotiation. Chromium sets
   * each encoding's active flag from the remote description's simulcast
   * attribute whenever it applies one (RFC 8853: a RID marked ~ is paused,
   * the others active; our own offers mark the paused ones so), so an
   * answer that lists the RIDs plainly, as after an ICE restart, would
   * resume every encoding the server paused.
   */
  #applyLayers() {
    for (const layers of this.#layers.values()) layers.apply();
  }

  /** @param {() => Promise<void>} task */
  #enqueue(task) {
    this.#queue = this.#queue.then(task).catch((err) => {
      if (!this.#closed) this.#log('peer: negotiation step failed', err);
    });
  }

  #changed() {
    this.dispatchEvent(new CustomEvent('remotetracks'));
  }

  /**
   * Restarts ICE if the connection is not up soon after the first
   * negotiation. ICE that never starts has no state change to react to:
   * Chrome 156 sometimes gathers no candidate at all after an offer
   * collision on a new connection.
   */
  #watchFirstConnect() {
    if (this.#connectWatch) return;
    this.#connectWatch = true;
    const up = () => this.#closed || this.pc.connectionState === 'connected';
    // A connection that gathered no candidate at all will not recover by an
    // ICE restart (tried: it stays stuck); only a new one helps.
    setTimeout(() => {
      if (!up() && this.#gathered === 0) {
        this.#log('peer: no ICE candidate gathered; the connection must be replaced');
        this.dispatchEvent(new CustomEvent('failed'));
      }
    }, NO_CANDIDATE_MS);
    setTimeout(() => {
      if (!up()) this.#restart();
    }, FIRST_CONNECT_MS);
  }

  /** Restarts ICE when it fails or stays disconnected; gives up later. */
  #onICEState() {
    const state = this.pc.iceConnectionState;
    clearTimeout(this.#iceTimer);
    if (state === 'connected' || state === 'completed' || state === 'closed') {
      clearTimeout(this.#giveUpTimer);
      this.#giveUpTimer = undefined;
      return;
    }
    if (state === 'failed') {
      this.#restart();
    } else if (state === 'disconnected') {
      this.#iceTimer = setTimeout(() => this.#restart(), DISCONNECTED_RESTART_MS);
    }
  }

  #restart() {
    if (this.#closed) return;
    this.#log('peer: restarting ICE');
    this.pc.restartIce();
    if (this.#giveUpTimer !== undefined) return; // the first restart's deadline stands
    this.#giveUpTimer = setTimeout(() => {
      if (!this.#closed) this.dispatchEvent(new CustomEvent('failed'));
    }, RESTART_GIVE_UP_MS);
  }
}

/**
 * @typedef {object} InboundStats
 * @property {string} mid
 * @property {string} participantId
 * @property {string} trackId
 * @property {string} kind
 * @property {string} source
 * @property {number} packetsReceived
 * @property {number} bytesReceived
 * @property {number} framesDecoded video only, else 0
 * @property {number} frameWidth video only, else 0: the size of the last decoded frame, which
 *   tells which simulcast encoding the server forwards
 * @property {number} frameHeight video only, else 0
 * @property {number} totalAudioEnergy audio only, else 0
 * @property {number} packetsLost
 * @property {number} jitter seconds
 */

/**
 * Returns the inbound-rtp statistics of each received track.
 * @param {Peer} peer
 * @returns {Promise<InboundStats[]>}
 */
export async function inboundStats(peer) {
  /** @type {InboundStats[]} */
  const out = [];
  for (const rt of peer.remoteTracks()) {
    const report = await rt.receiver.getStats();
    report.forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      out.push({
        mid: rt.mid, participantId: rt.info.participantId, trackId: rt.info.trackId,
        kind: rt.info.kind, source: rt.info.source,
        packetsReceived: s.packetsReceived ?? 0, bytesReceived: s.bytesReceived ?? 0,
        framesDecoded: s.framesDecoded ?? 0, frameWidth: s.frameWidth ?? 0, frameHeight: s.frameHeight ?? 0,
        totalAudioEnergy: s.totalAudioEnergy ?? 0,
        packetsLost: s.packetsLost ?? 0, jitter: s.jitter ?? 0,
      });
    });
  }
  return out;
}

/**
 * How a connection may reach the server: '' any way; 'relay' through TURN
 * only; 'turns' through TURN over TLS only, as from a network that lets
 * nothing but HTTPS through. The last two are diagnostics (?ice=).
 * @typedef {'' | 'relay' | 'turns'} ICEMode
 */

/**
 * Keeps only the turns: URLs of the servers.
 * @param {RTCIceServer[]} servers
 * @returns {RTCIceServer[]}
 */
function onlyTURNS(servers) {
  return servers
    .map((s) => ({ ...s, urls: [s.urls].flat().filter((u) => u.startsWith('turns:')) }))
    .filter((s) => s.urls.length > 0);
}

/**
 * Puts one codec first on a transceiver (keeping its RTX), where the
 * browser lets us choose: E2EE rooms send VP8 (docs/e2ee.md), whose clear
 * prefix the server and receivers rely on.
 * @param {RTCRtpTransceiver} tr
 * @param {string} mime
 */
function preferCodec(tr, mime) {
  // The spec checks preferences against the receiver's capabilities.
  const caps = RTCRtpReceiver.getCapabilities?.('video')?.codecs ?? [];
  const first = caps.filter((c) => c.mimeType.toLowerCase() === mime.toLowerCase());
  if (first.length === 0 || typeof tr.setCodecPreferences !== 'function') return;
  const rest = caps.filter((c) => c.mimeType.toLowerCase() !== mime.toLowerCase());
  try {
    tr.setCodecPreferences([...first, ...rest]);
  } catch {
    // Not fatal: the server's answer picks a codec of its own list.
  }
}

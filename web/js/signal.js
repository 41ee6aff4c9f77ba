// @ts-check
/**
 * Client of the Conclave signaling protocol, version 1 (docs/protocol.md).
 * No DOM: it speaks JSON over one WebSocket, and reports what the server
 * says as events, so the UI, the tests and later a worker can all use it.
 *
 * Events (all CustomEvent, the message or a small object as `detail`):
 * - `welcome`: the server accepted a join (also after a resume; see
 *   `detail.resumed`);
 * - one event per server message type: `offer`, `answer`, `candidate`,
 *   `participant-joined`, `participant-left`, `participant-updated`,
 *   `track-published`, `track-unpublished`, `mute`, `relay`, `error`,
 *   `lobby` (the join waits for a moderator; the welcome comes later),
 *   `knock`, `knock-ended`, `room-updated`, `speakers`,
 *   `muted-by-moderator`, `unmute-allowed`, `screen-allowed`;
 * - `reconnecting`: the socket was lost and the client is resuming
 *   (`detail.attempt`, `detail.deadline` in ms since the epoch);
 * - `closed`: the session is over (`detail.reason`: `left`, `fatal`,
 *   `timeout`; `detail.error` for a fatal server error).
 */

/** Protocol version we speak. */
export const PROTOCOL_VERSION = 1;

/** How long after losing the socket a resume token stays good (protocol.md). */
export const RESUME_WINDOW_MS = 30_000;

/** Delays between reconnection attempts; the last one repeats. */
const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 5000];

/**
 * @typedef {'audio' | 'video'} TrackKind
 * @typedef {'microphone' | 'camera' | 'screen'} TrackSource
 * @typedef {{ trackId: string, kind: TrackKind, source: TrackSource, muted: boolean }} TrackInfo
 * @typedef {{ id: string, name: string, index?: number, role?: string, tracks: TrackInfo[] }} ParticipantInfo
 * @typedef {{ urls: string | string[], username?: string, credential?: string }} IceServer
 * @typedef {{
 *   type: 'welcome', v: number, participantId: string, index: number, resumeToken: string, resumed: boolean,
 *   iceServers: IceServer[], participants: ParticipantInfo[],
 *   limits?: { maxParticipants?: number, maxTracks?: number, maxMessageBytes?: number },
 *   features?: string[]
 * }} Welcome
 * @typedef {{ participantId: string, trackId: string, kind: TrackKind, source: TrackSource }} MidTrack
 * @typedef {{ type: 'offer', sdp: string, tracks?: Record<string, MidTrack> }} OfferMessage
 * @typedef {{ type: 'error', code: string, message?: string, fatal?: boolean }} ErrorMessage
 * @typedef {{ type: string } & Record<string, any>} Message
 */

/** A fatal error from the server, or a join that could not be made. */
export class SignalError extends Error {
  /**
   * @param {string} code protocol error code, or `connect-failed`, `closed`
   * @param {string} message
   */
  constructor(code, message) {
    super(message);
    this.name = 'SignalError';
    this.code = code;
  }
}

/**
 * @typedef {object} SignalOptions
 * @property {string} url WebSocket URL, normally `wss://HOST/ws`
 * @property {string} room
 * @property {string} name display name
 * @property {string} [password] the room password, sent with every join (a resume too)
 * @property {(url: string) => WebSocket} [socket] opens a socket (tests)
 * @property {() => number} [now] clock in ms (tests)
 */

/**
 * One participant's signaling session. It joins once and then resumes by
 * itself, with backoff, whenever the socket is lost, until the resume
 * window closes. Not safe to share between meetings: make a new one.
 */
export class Signal extends EventTarget {
  /** @type {WebSocket | null} */ #ws = null;
  #opts;
  /** @type {'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed'} */
  #state = 'idle';
  #participantId = '';
  #resumeToken = '';
  /** @type {number | null} when the socket was lost, null while connected */
  #lostAt = null;
  #attempt = 0;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #retryTimer;
  /** @type {{ resolve: (w: Welcome) => void, reject: (e: Error) => void } | null} */
  #pendingJoin = null;

  /** @param {SignalOptions} opts */
  constructor(opts) {
    super();
    this.#opts = { socket: (/** @type {string} */ u) => new WebSocket(u), now: () => Date.now(), ...opts };
  }

  /** Connection state. */
  get state() { return this.#state; }

  /** Our participant ID from the last welcome, '' before. */
  get participantId() { return this.#participantId; }

  /**
   * Opens the socket and joins. Resolves with the first welcome; rejects
   * with a SignalError when the server refuses the join or the socket
   * closes before a welcome.
   * @returns {Promise<Welcome>}
   */
  join() {
    if (this.#state !== 'idle') return Promise.reject(new Error('signal: join called twice'));
    return new Promise((resolve, reject) => {
      this.#pendingJoin = { resolve, reject };
      this.#state = 'connecting';
      this.#open();
    });
  }

  /**
   * Sends a message. While reconnecting it is dropped and false returned:
   * after a resume the peer connection starts afresh, so nothing queued
   * for the old one would make sense.
   * @param {Message} msg
   * @returns {boolean}
   */
  send(msg) {
    if (this.#state !== 'open' || this.#ws?.readyState !== WebSocket.OPEN) return false;
    this.#ws.send(JSON.stringify(msg));
    return true;
  }

  /** Leaves the meeting and closes the socket for good. */
  leave() {
    if (this.#state === 'closed') return;
    this.send({ type: 'leave' });
    this.#finish('left', null);
  }

  /**
   * Drops the current socket and resumes on a new one, as after a loss.
   * Used when the media connection failed and could not be restarted.
   */
  reconnect() {
    if (this.#state !== 'open') return;
    const ws = this.#ws;
    this.#detach();
    ws?.close(1000);
    this.#lost();
  }

  #open() {
    const ws = this.#opts.socket(this.#opts.url);
    this.#ws = ws;
    ws.addEventListener('open', () => {
      /** @type {Message} */
      const join = { type: 'join', v: PROTOCOL_VERSION, room: this.#opts.room, name: this.#opts.name };
      if (this.#resumeToken !== '') join.resume = this.#resumeToken;
      if (this.#opts.password) join.password = this.#opts.password;
      ws.send(JSON.stringify(join));
    });
    ws.addEventListener('message', (ev) => this.#onMessage(ev.data));
    ws.addEventListener('close', () => {
      if (this.#ws === ws) this.#onClose();
    });
  }

  /** @param {unknown} data */
  #onMessage(data) {
    /** @type {Message} */
    let msg;
    try {
      msg = JSON.parse(String(data));
    } catch {
      return; // The server sends only JSON; ignore anything else.
    }
    if (typeof msg !== 'object' || msg === null || typeof msg.type !== 'string') return;
    if (msg.type === 'welcome') {
      this.#onWelcome(/** @type {Welcome} */ (/** @type {unknown} */ (msg)));
      return;
    }
    if (msg.type === 'error' && msg.fatal) {
      this.dispatchEvent(new CustomEvent('error', { detail: msg }));
      this.#finish('fatal', /** @type {ErrorMessage} */ (msg));
      return;
    }
    this.dispatchEvent(new CustomEvent(msg.type, { detail: msg }));
  }

  /** @param {Welcome} w */
  #onWelcome(w) {
    this.#participantId = w.participantId;
    this.#resumeToken = w.resumeToken ?? '';
    this.#lostAt = null;
    this.#attempt = 0;
    this.#state = 'open';
    this.dispatchEvent(new CustomEvent('welcome', { detail: w }));
    this.#pendingJoin?.resolve(w);
    this.#pendingJoin = null;
  }

  #onClose() {
    this.#detach();
    if (this.#state === 'closed') return;
    if (this.#resumeToken === '') {
      // Never welcomed: there is nothing to resume.
      this.#finish('fatal', { type: 'error', code: 'connect-failed', fatal: true });
      return;
    }
    this.#lost();
  }

  #lost() {
    this.#lostAt ??= this.#opts.now();
    this.#state = 'reconnecting';
    const deadline = this.#lostAt + RESUME_WINDOW_MS;
    const remaining = deadline - this.#opts.now();
    if (remaining <= 0) {
      this.#finish('timeout', null);
      return;
    }
    const base = BACKOFF_MS[Math.min(this.#attempt, BACKOFF_MS.length - 1)];
    // Jitter, so that a room that lost the server together does not come
    // back in lock step.
    const delay = Math.min(remaining, base * (0.8 + 0.4 * Math.random()));
    this.#attempt++;
    this.dispatchEvent(new CustomEvent('reconnecting', { detail: { attempt: this.#attempt, deadline } }));
    this.#retryTimer = setTimeout(() => {
      if (this.#state === 'reconnecting') this.#open();
    }, delay);
  }

  /** Forgets the current socket, so that its late events are ignored. */
  #detach() {
    this.#ws = null;
  }

  /**
   * @param {'left' | 'fatal' | 'timeout'} reason
   * @param {ErrorMessage | null} error
   */
  #finish(reason, error) {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    clearTimeout(this.#retryTimer);
    const ws = this.#ws;
    this.#detach();
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(1000);
    if (this.#pendingJoin) {
      const code = error?.code ?? 'closed';
      this.#pendingJoin.reject(new SignalError(code, error?.message ?? code));
      this.#pendingJoin = null;
    }
    this.dispatchEvent(new CustomEvent('closed', { detail: { reason, error } }));
  }
}

/**
 * Returns the signaling URL for a page at `location`.
 * @param {{ protocol: string, host: string }} loc
 * @returns {string}
 */
export function signalURL(loc) {
  return `${loc.protocol === 'http:' ? 'ws' : 'wss'}://${loc.host}/ws`;
}

// @ts-check
/**
 * The embedding API (docs/embed.md): when the meeting page runs in an
 * iframe of a site the admin allows (frame-ancestors), the parent page
 * drives it with postMessage and hears what happens.
 *
 * Commands, parent → meeting: {conclave: 1, command: 'join', name},
 * {conclave: 1, command: 'mute', muted}, {conclave: 1, command: 'camera',
 * on}, {conclave: 1, command: 'hand', raised}, {conclave: 1, command:
 * 'leave'}. Events, meeting → parent: {conclave: 1, event: 'ready' |
 * 'joined' | 'left' | 'participants' | 'hands' | 'error', …}.
 *
 * Only the parent window is listened to, and events (which name people)
 * go only to the origin the first command came from, never to '*'.
 */

/** Version of the message format. */
export const EMBED_VERSION = 1;

/**
 * @typedef {object} EmbedTarget what the API drives
 * @property {(name: string) => void} join joins from the pre-join screen
 * @property {(muted: boolean) => void} mute
 * @property {(on: boolean) => void} camera
 * @property {(raised: boolean) => void} hand
 * @property {() => void} leave
 */

export class Embed {
  #parent;
  /** The embedding page's origin, learnt from its first command. */
  #origin = '';
  /** @type {EmbedTarget} */
  #target;
  /** @type {Record<string, string>} the last event of each kind, to send only changes */
  #last = {};

  /**
   * Starts listening when the page is framed; returns null when it is not.
   * @param {EmbedTarget} target
   * @returns {Embed | null}
   */
  static start(target) {
    if (window.parent === window) return null;
    return new Embed(window.parent, target);
  }

  /**
   * @param {Window} parent
   * @param {EmbedTarget} target
   */
  constructor(parent, target) {
    this.#parent = parent;
    this.#target = target;
    window.addEventListener('message', (ev) => this.#onMessage(ev));
    // 'ready' holds nothing, so it may go to whoever frames us; browsers
    // that name the ancestors let us be precise.
    const ancestor = /** @type {any} */ (location).ancestorOrigins?.[0];
    parent.postMessage({ conclave: EMBED_VERSION, event: 'ready' }, ancestor ?? '*');
  }

  /**
   * Tells the parent something happened; an event equal to the last of its
   * kind is not sent again.
   * @param {string} event
   * @param {Record<string, unknown>} [data]
   */
  emit(event, data = {}) {
    if (this.#origin === '') return;
    const msg = { conclave: EMBED_VERSION, event, ...data };
    const key = JSON.stringify(msg);
    if (this.#last[event] === key) return;
    this.#last[event] = key;
    this.#parent.postMessage(msg, this.#origin);
  }

  /** @param {MessageEvent} ev */
  #onMessage(ev) {
    if (ev.source !== this.#parent) return;
    const m = ev.data;
    if (typeof m !== 'object' || m === null || m.conclave !== EMBED_VERSION || typeof m.command !== 'string') return;
    if (this.#origin === '') this.#origin = ev.origin;
    if (ev.origin !== this.#origin) return;
    const t = this.#target;
    switch (m.command) {
      case 'join':
        if (typeof m.name === 'string' && m.name.trim() !== '') t.join(m.name.trim().slice(0, 64));
        else this.emit('error', { code: 'bad-name' });
        break;
      case 'mute': t.mute(m.muted !== false); break;
      case 'camera': t.camera(m.on !== false); break;
      case 'hand': t.hand(m.raised !== false); break;
      case 'leave': t.leave(); break;
      default: this.emit('error', { code: 'unknown-command', command: m.command });
    }
  }
}

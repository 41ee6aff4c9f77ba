// @ts-check
/**
 * The control bar: microphone, camera, screen share, hand, and leave
 * (reactions, chat, participants and "More" open their own panels).
 *
 * Events (plain Event): `mic`, `camera`, `screen`, `hand`, `leave`, one per click.
 * The meeting decides what a click does and calls set() with the result,
 * so a button never shows a state that did not happen.
 */
import { byId, setToggle } from './dom.js';
import { t } from '../i18n.js';

export class Controls extends EventTarget {
  #mic = byId('mic-button', HTMLButtonElement);
  #cam = byId('cam-button', HTMLButtonElement);
  #screen = byId('screen-button', HTMLButtonElement);
  #leave = byId('leave-button', HTMLButtonElement);
  #hand = byId('hand-button', HTMLButtonElement);

  constructor() {
    super();
    for (const [button, type] of /** @type {const} */ ([
      [this.#mic, 'mic'], [this.#cam, 'camera'], [this.#screen, 'screen'], [this.#hand, 'hand'], [this.#leave, 'leave'],
    ])) {
      button.addEventListener('click', () => this.dispatchEvent(new Event(type)));
    }
  }

  /**
   * Shows the state of the local media.
   * @param {object} s
   * @param {boolean} s.mic microphone on
   * @param {boolean} s.micAvailable a microphone is open
   * @param {boolean} s.camera camera on
   * @param {boolean} s.screen sharing the screen
   * @param {boolean} s.screenAvailable the browser can share a screen
   * @param {boolean} s.hand our hand is up
   * @param {boolean} s.micHeld school mode: we may not unmute
   * @param {boolean} s.screenHeld school mode: we may not share
   */
  set(s) {
    setToggle(this.#mic, s.mic, 'microphone');
    this.#mic.disabled = !s.micAvailable;
    // Held, the button stays focusable and says why (a disabled one says nothing).
    this.#mic.classList.toggle('held', s.micHeld && !s.mic);
    if (s.micHeld && !s.mic) this.#mic.title = t('schoolHeldMic');
    this.#hand.setAttribute('aria-pressed', String(s.hand));
    this.#hand.title = t(s.hand ? 'lowerHand' : 'raiseHand');
    this.#hand.classList.toggle('nudge', s.micHeld && !s.hand);
    setToggle(this.#cam, s.camera, 'camera');
    this.#screen.setAttribute('aria-pressed', String(s.screen));
    this.#screen.title = t(s.screen ? 'stopShare' : 'shareScreen');
    this.#screen.hidden = !s.screenAvailable;
    this.#screen.classList.toggle('held', s.screenHeld && !s.screen);
    if (s.screenHeld && !s.screen) this.#screen.title = t('schoolHeldScreen');
  }
}

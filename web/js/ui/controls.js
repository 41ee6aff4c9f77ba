// @ts-check
/**
 * The control bar: microphone, camera, screen share and leave.
 *
 * Events (plain Event): `mic`, `camera`, `screen`, `leave`, one per click.
 * The meeting decides what a click does and calls set() with the result,
 * so a button never shows a state that did not happen.
 */
import { byId, setToggle } from './dom.js';

export class Controls extends EventTarget {
  #mic = byId('mic-button', HTMLButtonElement);
  #cam = byId('cam-button', HTMLButtonElement);
  #screen = byId('screen-button', HTMLButtonElement);
  #leave = byId('leave-button', HTMLButtonElement);

  constructor() {
    super();
    for (const [button, type] of /** @type {const} */ ([
      [this.#mic, 'mic'], [this.#cam, 'camera'], [this.#screen, 'screen'], [this.#leave, 'leave'],
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
   */
  set(s) {
    setToggle(this.#mic, s.mic, 'Microphone');
    this.#mic.disabled = !s.micAvailable;
    setToggle(this.#cam, s.camera, 'Camera');
    this.#screen.setAttribute('aria-pressed', String(s.screen));
    this.#screen.title = s.screen ? 'Stop sharing your screen' : 'Share your screen';
    this.#screen.hidden = !s.screenAvailable;
  }
}

// @ts-check
/**
 * What the meeting tells people besides the tiles: the reconnecting
 * banner, short notices (toasts), the "turn on sound" button when the
 * browser blocks autoplay, and the screen shown once the meeting is over.
 */
import { byId } from './dom.js';

/** How long a notice stays up. */
const TOAST_MS = 6000;

export class Status {
  #banner = byId('banner', HTMLElement);
  #toasts = byId('toasts', HTMLElement);
  #sound = byId('sound-button', HTMLButtonElement);
  /** @type {(() => void) | null} */
  #onSound = null;

  constructor() {
    this.#sound.addEventListener('click', () => {
      this.#sound.hidden = true;
      this.#onSound?.();
    });
  }

  /**
   * Shows a banner across the top, or hides it for ''.
   * @param {string} text
   */
  banner(text) {
    this.#banner.textContent = text;
    this.#banner.hidden = text === '';
  }

  /**
   * Shows a short notice that goes away by itself.
   * @param {string} text
   */
  toast(text) {
    const el = document.createElement('p');
    el.className = 'toast';
    el.textContent = text;
    this.#toasts.append(el);
    setTimeout(() => el.remove(), TOAST_MS);
  }

  /**
   * Shows the "turn on sound" button; fn runs on its click (a user
   * gesture, which lets audio play).
   * @param {() => void} fn
   */
  askForSound(fn) {
    this.#onSound = fn;
    this.#sound.hidden = false;
  }

  /**
   * Replaces the meeting with the end screen.
   * @param {string} title
   * @param {string} text
   */
  ended(title, text) {
    byId('meeting', HTMLElement).hidden = true;
    byId('prejoin', HTMLElement).hidden = true;
    byId('ended-title', HTMLElement).textContent = title;
    byId('ended-text', HTMLElement).textContent = text;
    byId('ended', HTMLElement).hidden = false;
    document.body.classList.remove('in-meeting');
  }
}

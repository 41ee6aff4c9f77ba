// @ts-check
/**
 * What the meeting tells people besides the tiles: the reconnecting
 * banner, short notices (toasts), announcements for screen readers, the
 * room's flags, the "turn on sound" button when the browser blocks
 * autoplay, the lobby's waiting screen and the screen shown once the
 * meeting is over.
 */
import { byId } from './dom.js';

/** How long a notice stays up. */
const TOAST_MS = 6000;

export class Status {
  #banner = byId('banner', HTMLElement);
  #toasts = byId('toasts', HTMLElement);
  #sound = byId('sound-button', HTMLButtonElement);
  #announcer = byId('announcer', HTMLElement);
  #locked = byId('room-locked', HTMLElement);
  #school = byId('room-school', HTMLElement);
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
   * Says something to screen reader users (a polite live region): who
   * joined, left, raised a hand, wrote in the chat.
   * @param {string} text
   */
  announce(text) {
    // A new text node is announced even when the words repeat.
    this.#announcer.replaceChildren(document.createTextNode(text));
  }

  /**
   * Shows the room's lock and school mode in the top bar.
   * @param {boolean} locked
   * @param {boolean} school
   */
  flags(locked, school) {
    this.#locked.hidden = !locked;
    this.#school.hidden = !school;
  }

  /**
   * Shows or hides the lobby's waiting screen.
   * @param {boolean} waiting
   */
  lobby(waiting) {
    byId('lobby', HTMLElement).hidden = !waiting;
    if (waiting) byId('prejoin', HTMLElement).hidden = true;
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
    byId('lobby', HTMLElement).hidden = true;
    byId('ended', HTMLElement).hidden = false;
    document.body.classList.remove('in-meeting');
  }
}

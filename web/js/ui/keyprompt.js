// @ts-check
/**
 * Asks for the meeting key when the link lacks it: someone copied the link
 * without the part after #, or typed the address by hand. The person pastes
 * the whole link (or just the key); a link to another room opens that room.
 */
import { byId } from './dom.js';
import { t } from '../i18n.js';
import { fromB64u, SECRET_BYTES } from '../e2ee/keys.js';
import { roomFromPath, secretFromFragment } from '../lib/roomlink.js';

/**
 * Returns the room secret of a b64u key, or null.
 * @param {string} key
 * @returns {Uint8Array<ArrayBuffer> | null}
 */
export function decodeSecret(key) {
  const bytes = fromB64u(key);
  return bytes && bytes.length === SECRET_BYTES ? /** @type {Uint8Array<ArrayBuffer>} */ (bytes) : null;
}

export class KeyPrompt {
  #form = byId('key-form', HTMLFormElement);
  #input = byId('key-input', HTMLInputElement);
  #error = byId('key-error', HTMLElement);
  #join = byId('join-form', HTMLFormElement);
  #room;

  /** @param {string} room the room of this page */
  constructor(room) {
    this.#room = room;
    byId('prejoin-room', HTMLElement).textContent = room;
    byId('key-title', HTMLElement).textContent = t('noKeyTitle');
    byId('key-text', HTMLElement).textContent = t('noKeyText');
  }

  /**
   * Shows the form and resolves with a valid secret for this room.
   * @returns {Promise<Uint8Array<ArrayBuffer>>}
   */
  ask() {
    byId('prejoin', HTMLElement).hidden = false;
    this.#form.hidden = false;
    this.#join.hidden = true;
    this.#input.focus();
    return new Promise((resolve) => {
      this.#form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const secret = this.#parse(this.#input.value.trim());
        if (!secret) {
          this.#error.textContent = t('badKey');
          return;
        }
        this.#form.hidden = true;
        this.#join.hidden = false;
        this.#input.value = '';
        resolve(secret);
      });
      this.#input.addEventListener('input', () => { this.#error.textContent = ''; });
    });
  }

  /**
   * @param {string} text a meeting link or a bare key
   * @returns {Uint8Array<ArrayBuffer> | null}
   */
  #parse(text) {
    let url = null;
    try {
      url = new URL(text);
    } catch {
      return decodeSecret(text);
    }
    const secret = decodeSecret(secretFromFragment(url.hash));
    const room = roomFromPath(url.pathname);
    if (secret && room !== '' && room !== this.#room && url.origin === location.origin) {
      location.assign(url.href);
      return null;
    }
    return secret;
  }
}

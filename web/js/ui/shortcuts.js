// @ts-check
/**
 * Keyboard shortcuts of the meeting, as in other meeting apps: M for the
 * microphone, V for the camera, H for the hand, ? for the list of
 * shortcuts, Escape to close a side panel. Keys typed into a field, or
 * with Ctrl, Alt or Meta, are left alone.
 *
 * A shortcut clicks the button it stands for, so that it does exactly
 * what the click does (school mode's holds included).
 */
import { byId } from './dom.js';

/** Buttons clicked by each key. */
const KEYS = /** @type {Record<string, string[]>} */ ({
  m: ['mic-button'], v: ['cam-button'], h: ['hand-button'], Escape: ['chat-close', 'people-close'],
});

export class Shortcuts {
  #help = byId('help-dialog', HTMLDialogElement);

  constructor() {
    document.addEventListener('keydown', (ev) => this.#onKey(ev));
  }

  /** Shows the list of shortcuts. */
  showHelp() {
    if (!this.#help.open) this.#help.showModal();
  }

  /** @param {KeyboardEvent} ev */
  #onKey(ev) {
    if (ev.ctrlKey || ev.altKey || ev.metaKey || ev.isComposing || ev.repeat) return;
    const target = /** @type {HTMLElement} */ (ev.target);
    if (target.closest('input, textarea, select, [contenteditable], dialog, [popover]')) return;
    if (byId('meeting', HTMLElement).hidden) return;
    const ids = KEYS[ev.key.length === 1 ? ev.key.toLowerCase() : ev.key];
    if (ev.key === '?') {
      ev.preventDefault();
      this.showHelp();
    } else if (ids) {
      ev.preventDefault();
      for (const id of ids) {
        const b = document.getElementById(id);
        if (b instanceof HTMLButtonElement && b.offsetParent !== null) b.click();
      }
    }
  }
}

// @ts-check
/**
 * Keyboard shortcuts of the meeting, as in other meeting apps: M for the
 * microphone, V for the camera, H for the hand, ? for the list of
 * shortcuts, Escape to close a side panel. Keys typed into a field, or
 * with Ctrl, Alt or Meta, are left alone.
 *
 * Events (plain Event): `mic`, `camera`, `hand`, `escape`.
 */
import { byId } from './dom.js';

export class Shortcuts extends EventTarget {
  #help = byId('help-dialog', HTMLDialogElement);

  constructor() {
    super();
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
    /** @type {Record<string, string>} */
    const keys = { m: 'mic', v: 'camera', h: 'hand', Escape: 'escape' };
    const type = keys[ev.key.length === 1 ? ev.key.toLowerCase() : ev.key];
    if (ev.key === '?') {
      ev.preventDefault();
      this.showHelp();
    } else if (type) {
      ev.preventDefault();
      this.dispatchEvent(new Event(type));
    }
  }
}

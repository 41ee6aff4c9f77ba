// @ts-check
/**
 * The reaction picker: a row of emoji in the "React" sheet (and in the
 * "More" sheet on phones). A click sends the reaction; it shows on the
 * sender's tile for everyone (Grid.react).
 *
 * Events: `react` (CustomEvent, detail {emoji}).
 */
import { REACTIONS } from '../roomstate.js';

/** Least time between two of our reactions, so a held key cannot flood the room. */
const REACT_GAP_MS = 300;

export class ReactionPicker extends EventTarget {
  #last = 0;

  constructor() {
    super();
    for (const row of document.querySelectorAll('.reaction-row')) {
      row.replaceChildren(...REACTIONS.map((emoji) => {
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'reaction';
        b.textContent = emoji;
        b.dataset.emoji = emoji;
        return b;
      }));
      row.addEventListener('click', (ev) => {
        const b = /** @type {HTMLElement} */ (ev.target).closest('button.reaction');
        if (!(b instanceof HTMLButtonElement)) return;
        const now = performance.now();
        if (now - this.#last < REACT_GAP_MS) return;
        this.#last = now;
        this.dispatchEvent(new CustomEvent('react', { detail: { emoji: b.dataset.emoji } }));
      });
    }
  }
}

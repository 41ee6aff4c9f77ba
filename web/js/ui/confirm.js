// @ts-check
/**
 * Asks before an action that cannot be undone (remove someone, end the
 * meeting for all), in a dialog of the page rather than window.confirm(),
 * which blocks the page and cannot be styled or translated.
 */
import { byId } from './dom.js';

/**
 * Shows the question; resolves true when the person confirms.
 * @param {string} text the question
 * @param {string} ok the label of the confirming button, such as "Remove"
 * @returns {Promise<boolean>}
 */
export function confirmAction(text, ok) {
  const dialog = byId('confirm-dialog', HTMLDialogElement);
  byId('confirm-text', HTMLElement).textContent = text;
  byId('confirm-ok', HTMLButtonElement).textContent = ok;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
  });
}

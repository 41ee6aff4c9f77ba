// @ts-check
/**
 * The encryption state in the top bar and its panel: a lock that says
 * whether everyone in the meeting shares our meeting link and keys, the
 * room-wide safety code (emoji and digits) to compare over the call, and
 * who joined with a different link.
 */
import { byId } from './dom.js';
import { t } from '../i18n.js';

/**
 * @typedef {object} SecurityState
 * @property {'secure' | 'waiting' | 'warning'} state secure: every other
 *   participant is verified and we hold their keys; waiting: keys are still
 *   being exchanged; warning: someone joined with a different link
 * @property {string} emoji the safety code as emoji, '' while unknown
 * @property {string} digits the safety code as digits
 * @property {string[]} mismatched names of participants with a different link
 */

export class SecurityView {
  #button = byId('security-button', HTMLButtonElement);
  #label = byId('security-label', HTMLElement);
  #emoji = byId('safety-emoji', HTMLElement);
  #digits = byId('safety-digits', HTMLElement);
  #summary = byId('security-summary', HTMLElement);
  #warnings = byId('security-warnings', HTMLElement);

  /** @param {SecurityState} s */
  set(s) {
    this.#button.dataset.state = s.state;
    this.#label.textContent = t(`securityLabel.${s.state}`);
    this.#summary.textContent = t(`securitySummary.${s.state}`);
    this.#emoji.textContent = s.emoji || '…';
    this.#digits.textContent = s.digits;
    this.#warnings.replaceChildren(...s.mismatched.map((name) => {
      const li = document.createElement('li');
      li.textContent = t('differentLinkOf', { name });
      return li;
    }));
    this.#warnings.hidden = s.mismatched.length === 0;
  }
}

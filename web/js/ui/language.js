// @ts-check
/**
 * The language choosers (on the pre-join screen and in the meeting's
 * "More" sheet): they list the languages we ship, switch the page at once
 * and remember the choice.
 */
import { language, LANGUAGES, load, translateDOM } from '../i18n.js';
import { saveLanguage } from '../lib/prefs.js';

export class LanguagePicker {
  /** @type {HTMLSelectElement[]} */
  #selects;
  #storage;
  #onChange;

  /**
   * @param {Storage | undefined} storage where the choice is kept
   * @param {() => void} onChange called after the page switched language,
   *   to redraw what views built from words
   */
  constructor(storage, onChange) {
    this.#storage = storage;
    this.#onChange = onChange;
    this.#selects = /** @type {HTMLSelectElement[]} */ ([...document.querySelectorAll('select.lang-select')]);
    for (const select of this.#selects) {
      select.replaceChildren(...Object.entries(LANGUAGES).map(([code, name]) => {
        const o = new Option(name, code);
        o.lang = code;
        return o;
      }));
      select.value = language();
      select.addEventListener('change', () => this.#switch(select.value));
    }
  }

  /** @param {string} lang */
  async #switch(lang) {
    if (lang === language()) return;
    saveLanguage(this.#storage, lang);
    await load(lang);
    translateDOM(document);
    for (const s of this.#selects) s.value = lang;
    this.#onChange();
  }
}

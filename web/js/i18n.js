// @ts-check
/**
 * Translations of the meeting page. Every word the page shows lives in
 * i18n/LANG.json (flat keys; a plural is an object of Intl.PluralRules
 * categories; "{name}" is a placeholder). The entry module loads one
 * catalogue before any view renders; t() then looks words up in it, and
 * translateDOM() fills the page's static text, marked in room.html with
 * data-i18n (text) and data-i18n-attr ("title:key;aria-label:key").
 *
 * The current catalogue is module state on purpose: words are needed by
 * every view, and threading a catalogue through each constructor would
 * add a parameter to every function that formats a sentence. It changes
 * only through use(), called by the entry module.
 */

/** The languages we ship, by code, each named in itself. */
export const LANGUAGES = Object.freeze({ en: 'English', de: 'Deutsch' });


/** @typedef {Record<string, string | Record<string, string>>} Strings */

/** @type {{ lang: string, strings: Strings, fallback: Strings, plural: Intl.PluralRules }} */
const current = { lang: 'en', strings: {}, fallback: {}, plural: new Intl.PluralRules('en') };

/**
 * Picks the language: the stored choice, else the first of the browser's
 * languages that we ship (by primary subtag, so de-AT gets German), else
 * English.
 * @param {readonly string[]} browser navigator.languages
 * @param {string} [stored]
 * @returns {string}
 */
export function chooseLanguage(browser, stored = '') {
  if (Object.hasOwn(LANGUAGES, stored)) return stored;
  for (const tag of browser) {
    const primary = tag.toLowerCase().split('-')[0];
    if (Object.hasOwn(LANGUAGES, primary)) return primary;
  }
  return 'en';
}

/**
 * Fetches the catalogue of one language from the static files.
 * @param {string} lang
 * @returns {Promise<Strings>}
 */
export async function fetchCatalogue(lang) {
  const res = await fetch(new URL(`../i18n/${lang}.json`, import.meta.url));
  if (!res.ok) throw new Error(`i18n: ${lang}.json: HTTP ${res.status}`);
  return /** @type {Strings} */ (await res.json());
}

/**
 * Loads a language (and English for words a translation lacks) and makes
 * it current.
 * @param {string} lang one of LANGUAGES
 */
export async function load(lang) {
  const [fallback, strings] = await Promise.all([
    fetchCatalogue('en'),
    lang === 'en' ? null : fetchCatalogue(lang),
  ]);
  use(lang, strings ?? fallback, fallback);
}

/**
 * Makes a catalogue current.
 * @param {string} lang
 * @param {Strings} strings
 * @param {Strings} [fallback] used for keys strings lacks
 */
export function use(lang, strings, fallback = strings) {
  current.lang = lang;
  current.strings = strings;
  current.fallback = fallback;
  current.plural = new Intl.PluralRules(lang);
  document.documentElement.lang = lang;
}

/** The current language code. */
export function language() {
  return current.lang;
}

/**
 * Returns the words for key, with {placeholders} filled from vars. A
 * plural entry picks its form by vars.n. An unknown key returns the key,
 * so a missing word shows up in tests rather than as an empty button.
 * @param {string} key
 * @param {Record<string, string | number>} [vars]
 * @returns {string}
 */
export function t(key, vars = {}) {
  let entry = current.strings[key] ?? current.fallback[key];
  if (entry === undefined) return key;
  if (typeof entry === 'object') {
    const n = Number(vars.n ?? 0);
    entry = entry[current.plural.select(n)] ?? entry.other ?? '';
  }
  return entry.replace(/\{(\w+)\}/g, (m, name) => (Object.hasOwn(vars, name) ? String(vars[name]) : m));
}

/**
 * Fills the static text of root from the current catalogue.
 * @param {ParentNode} root
 */
export function translateDOM(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) {
    el.textContent = t(/** @type {string} */ (el.getAttribute('data-i18n')));
  }
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of (el.getAttribute('data-i18n-attr') ?? '').split(';')) {
      const [attr, key] = pair.split(':').map((s) => s.trim());
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
  // Templates hold tiles and rows made later.
  for (const tpl of root.querySelectorAll('template')) translateDOM(tpl.content);
}

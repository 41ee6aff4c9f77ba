// @ts-check
/**
 * Preferences kept in the browser's localStorage, shared by the landing page
 * and the meeting client. Storage can be missing or refuse access (private
 * windows, blocked site data), so every function tolerates failure.
 */

/** localStorage key of the display name. */
export const DISPLAY_NAME_KEY = 'conclave.displayName';

/** Longest display name kept. */
export const DISPLAY_NAME_MAX = 64;

/**
 * Returns window.localStorage, or undefined when the browser refuses it.
 * @returns {Storage | undefined}
 */
export function browserStorage() {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}

/**
 * Returns the remembered display name, or '' when there is none.
 * @param {Storage | undefined} storage
 * @returns {string}
 */
export function loadDisplayName(storage) {
  try {
    return (storage?.getItem(DISPLAY_NAME_KEY) ?? '').slice(0, DISPLAY_NAME_MAX);
  } catch {
    return '';
  }
}

/**
 * Remembers the display name; an empty one is forgotten.
 * @param {Storage | undefined} storage
 * @param {string} name
 */
export function saveDisplayName(storage, name) {
  const value = name.trim().slice(0, DISPLAY_NAME_MAX);
  try {
    if (value === '') storage?.removeItem(DISPLAY_NAME_KEY);
    else storage?.setItem(DISPLAY_NAME_KEY, value);
  } catch {
    // Storage is full or refused: the name is simply not remembered.
  }
}

/** localStorage key of the chosen language (see ../i18n.js). */
export const LANGUAGE_KEY = 'conclave.lang';

/**
 * Returns the chosen language code, or '' when none was chosen.
 * @param {Storage | undefined} storage
 * @returns {string}
 */
export function loadLanguage(storage) {
  try {
    return storage?.getItem(LANGUAGE_KEY) ?? '';
  } catch {
    return '';
  }
}

/**
 * Remembers the chosen language.
 * @param {Storage | undefined} storage
 * @param {string} lang
 */
export function saveLanguage(storage, lang) {
  try {
    storage?.setItem(LANGUAGE_KEY, lang);
  } catch {
    // Refused: the browser's language applies next time.
  }
}

// @ts-check
/**
 * Entry module of the landing page: start a meeting, or join one by room
 * name or pasted link. The display name typed here is remembered for the
 * meeting client. Its words come from i18n/LANG.json, like the meeting's.
 */
import { meetingURL, parseJoinInput, randomRoomName, randomSecret } from './lib/roomlink.js';
import { browserStorage, loadDisplayName, loadLanguage, saveDisplayName } from './lib/prefs.js';
import { chooseLanguage, load, t, translateDOM } from './i18n.js';
import { LanguagePicker } from './ui/language.js';

/**
 * Returns the element with the given id, which the page must have.
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
function element(id, type) {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`landing page: #${id} is missing`);
  return el;
}

async function main() {
  const name = element('display-name', HTMLInputElement);
  const start = element('start', HTMLButtonElement);
  const form = element('join-form', HTMLFormElement);
  const join = element('join-input', HTMLInputElement);
  const error = element('join-error', HTMLElement);
  const storage = browserStorage();

  // Camera, microphone and encryption need a secure context; say so here
  // rather than fail later inside the meeting.
  if (!window.isSecureContext) element('insecure', HTMLElement).hidden = false;

  name.value = loadDisplayName(storage);
  name.addEventListener('input', () => saveDisplayName(storage, name.value));

  start.addEventListener('click', () => {
    saveDisplayName(storage, name.value);
    location.assign(meetingURL(location.origin, randomRoomName(), randomSecret()));
  });

  /** @param {string} message empty to clear */
  const showError = (message) => {
    error.textContent = message;
    join.setAttribute('aria-invalid', message === '' ? 'false' : 'true');
  };
  join.addEventListener('input', () => showError(''));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const target = parseJoinInput(join.value, location.origin);
    if ('error' in target) {
      showError(t(target.error, { host: target.host ?? '' }));
      join.focus();
      return;
    }
    saveDisplayName(storage, name.value);
    location.assign(target.url);
  });

  // The page works in English meanwhile: typing is not lost while the
  // translation loads.
  const asked = new URLSearchParams(location.search).get('lang') ?? loadLanguage(storage);
  await load(chooseLanguage(navigator.languages, asked));
  translateDOM(document);
  new LanguagePicker(storage, () => {});
}

main();

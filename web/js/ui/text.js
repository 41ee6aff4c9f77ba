// @ts-check
/**
 * Sentences built from the translations (i18n/LANG.json, see ../i18n.js)
 * for server error codes and device errors. Every other word is looked up
 * with t() where it is shown.
 */
import { t } from '../i18n.js';

/**
 * Returns what to tell a person about a server error code
 * (docs/protocol.md).
 * @param {string} code
 * @returns {string}
 */
export function serverErrorText(code) {
  const text = t(`err.${code}`);
  return text === `err.${code}` ? t('err.unknown') : text;
}

/**
 * Returns what to tell a person when a camera or microphone cannot be
 * used, from the getUserMedia error's name.
 * @param {'audio' | 'video'} kind
 * @param {Error | undefined} err
 * @returns {string}
 */
export function mediaErrorText(kind, err) {
  const device = kind === 'video' ? 'camera' : 'mic';
  switch (err?.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return t(`${device}Blocked`);
    case 'NotFoundError':
    case 'OverconstrainedError':
      return t(`${device}NotFound`);
    case 'NotReadableError':
    case 'AbortError':
      return t(`${device}Busy`);
    case 'NotSupportedError':
      return t(`${device}Unsupported`);
    default:
      return t(`${device}Failed`);
  }
}

/**
 * A toggle's tooltip, such as "Microphone (on)".
 * @param {string} whatKey the key of the device's name
 * @param {boolean} on
 */
export function toggleText(whatKey, on) {
  return t(on ? 'toggleOn' : 'toggleOff', { what: t(whatKey) });
}

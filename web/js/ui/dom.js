// @ts-check
/** Small DOM helpers shared by the meeting's views. */
import { toggleText } from './text.js';

/**
 * Returns the element with the given id, which the page must have.
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
export function byId(id, type) {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`meeting page: #${id} is missing`);
  return el;
}

/**
 * Sets a toggle button's pressed state and its tooltip.
 * @param {HTMLButtonElement} button
 * @param {boolean} on
 * @param {string} what the translation key of its name, such as "microphone"
 */
export function setToggle(button, on, what) {
  button.setAttribute('aria-pressed', String(on));
  button.title = toggleText(what, on);
}

/**
 * Fills a <select> with devices, keeping the chosen one selected.
 * @param {HTMLSelectElement} select
 * @param {{ deviceId: string, label: string }[]} devices
 * @param {string} chosen deviceId, '' for the first
 * @param {string} none text shown when there is no device
 */
export function fillDeviceSelect(select, devices, chosen, none) {
  select.replaceChildren(...devices.map((d) => new Option(d.label, d.deviceId, false, d.deviceId === chosen)));
  if (devices.length === 0) select.append(new Option(none, ''));
  select.disabled = devices.length === 0;
}

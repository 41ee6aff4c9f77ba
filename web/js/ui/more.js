// @ts-check
/**
 * The "More" sheet: layout (grid or speaker), camera, microphone and
 * speaker choice during the call, language, the connection check and
 * the shortcut list. On
 * phones it also holds what the control bar has no room for (reactions,
 * screen sharing).
 *
 * Events (CustomEvent): `layout` {mode}, `device` {kind: 'audio' |
 * 'video', deviceId}, `sink` {deviceId}, `netcheck`, `hide-self` {on}.
 */
import { listDevices } from '../media.js';
import { byId, fillDeviceSelect } from './dom.js';
import { t } from '../i18n.js';

export class MoreSheet extends EventTarget {
  #panel = byId('more-panel', HTMLElement);
  #layout = byId('layout-select', HTMLSelectElement);
  #cam = byId('cam-switch', HTMLSelectElement);
  #mic = byId('mic-switch', HTMLSelectElement);
  #sink = byId('speaker-switch', HTMLSelectElement);
  #screen = byId('more-screen', HTMLButtonElement);
  #hideSelf = byId('hide-self', HTMLInputElement);

  constructor() {
    super();
    this.#layout.addEventListener('change', () => this.#emit('layout', { mode: this.#layout.value }));
    this.#cam.addEventListener('change', () => this.#emit('device', { kind: 'video', deviceId: this.#cam.value }));
    this.#mic.addEventListener('change', () => this.#emit('device', { kind: 'audio', deviceId: this.#mic.value }));
    this.#sink.addEventListener('change', () => this.#emit('sink', { deviceId: this.#sink.value }));
    this.#hideSelf.addEventListener('change', () => this.#emit('hide-self', { on: this.#hideSelf.checked }));
    // The same as the control bar's button, which phones do not show.
    this.#screen.addEventListener('click', () => {
      this.#panel.hidePopover();
      byId('screen-button', HTMLButtonElement).click();
    });
    byId('help-button', HTMLButtonElement).addEventListener('click', () => {
      this.#panel.hidePopover();
      byId('help-dialog', HTMLDialogElement).showModal();
    });
    byId('netcheck-button', HTMLButtonElement).addEventListener('click', () => {
      this.#panel.hidePopover();
      this.#emit('netcheck');
    });
    this.#panel.addEventListener('toggle', (ev) => {
      if (/** @type {ToggleEvent} */ (ev).newState === 'open') this.refresh();
    });
  }

  /**
   * Fills the device lists; the chosen ones stay selected.
   * @param {{ audio: string, video: string, sink: string }} [chosen]
   */
  async refresh(chosen = this.#chosen) {
    this.#chosen = chosen;
    const d = await listDevices();
    fillDeviceSelect(this.#cam, d.cameras, chosen.video, t('noCamera'));
    fillDeviceSelect(this.#mic, d.microphones, chosen.audio, t('noMicrophone'));
    // Audio output choice needs HTMLMediaElement.setSinkId (not in every browser).
    const sinks = 'setSinkId' in HTMLMediaElement.prototype ? d.speakers : [];
    byId('speaker-field', HTMLElement).hidden = sinks.length === 0;
    fillDeviceSelect(this.#sink, [{ deviceId: '', label: t('defaultSpeaker') }, ...sinks], chosen.sink, '');
  }

  /** @type {{ audio: string, video: string, sink: string }} */
  #chosen = { audio: '', video: '', sink: '' };

  /**
   * Shows the current layout and screen state.
   * @param {{ layout: string, screen: boolean, screenAvailable: boolean }} s
   */
  set(s) {
    this.#layout.value = s.layout;
    this.#screen.textContent = t(s.screen ? 'stopShare' : 'shareScreen');
    this.#screen.hidden = !s.screenAvailable;
  }

  /**
   * @param {string} type
   * @param {object} [detail]
   */
  #emit(type, detail = {}) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

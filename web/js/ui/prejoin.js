// @ts-check
/**
 * The pre-join screen: name, camera and microphone preview, device choice
 * and the Join button. It works on the shared LocalDevices, so the meeting
 * starts with exactly what the person saw here.
 *
 * Events: `join` (CustomEvent, `detail.name`) when the person joins.
 */
import { listDevices } from '../media.js';
import { byId, fillDeviceSelect, setToggle } from './dom.js';
import { mediaErrorText, TEXT } from './text.js';
import { DISPLAY_NAME_MAX } from '../lib/prefs.js';

export class Prejoin extends EventTarget {
  #local;
  #root = byId('prejoin', HTMLElement);
  #video = byId('preview-video', HTMLVideoElement);
  #off = byId('preview-off', HTMLElement);
  #micButton = byId('preview-mic', HTMLButtonElement);
  #camButton = byId('preview-cam', HTMLButtonElement);
  #cameraSelect = byId('camera-select', HTMLSelectElement);
  #micSelect = byId('mic-select', HTMLSelectElement);
  #form = byId('join-form', HTMLFormElement);
  #name = byId('display-name', HTMLInputElement);
  #joinButton = byId('join-button', HTMLButtonElement);
  #error = byId('prejoin-error', HTMLElement);
  #notice = byId('media-notice', HTMLElement);

  /**
   * @param {import('../media.js').LocalDevices} local
   * @param {{ room: string, name: string }} opts
   */
  constructor(local, { room, name }) {
    super();
    this.#local = local;
    byId('prejoin-room', HTMLElement).textContent = room;
    this.#name.value = name.slice(0, DISPLAY_NAME_MAX);
    if (!window.isSecureContext) byId('insecure', HTMLElement).hidden = false;
    this.#micButton.addEventListener('click', () => this.#toggleMic());
    this.#camButton.addEventListener('click', () => this.#toggleCamera());
    this.#cameraSelect.addEventListener('change', () => this.#choose('video', this.#cameraSelect.value));
    this.#micSelect.addEventListener('change', () => this.#choose('audio', this.#micSelect.value));
    this.#name.addEventListener('input', () => this.showError(''));
    this.#form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.#submit();
    });
  }

  /** Shows the screen and starts the preview. */
  async show() {
    this.#root.hidden = false;
    if (this.#name.value === '') this.#name.focus();
    await this.#local.start();
    this.#render();
    await this.#refreshDevices();
  }

  /** Hides the screen; the devices stay open for the meeting. */
  hide() {
    this.#root.hidden = true;
    this.#video.srcObject = null;
  }

  /**
   * Disables the form while joining.
   * @param {boolean} busy
   */
  setBusy(busy) {
    this.#joinButton.disabled = busy;
    this.#joinButton.textContent = busy ? TEXT.joining : TEXT.join;
  }

  /**
   * @param {string} message empty to clear
   * @param {boolean} [nameInvalid] whether the name is what is wrong
   */
  showError(message, nameInvalid = false) {
    this.#error.textContent = message;
    this.#name.setAttribute('aria-invalid', String(message !== '' && nameInvalid));
  }

  #submit() {
    const name = this.#name.value.trim();
    if (name === '') {
      this.showError(TEXT.nameRequired, true);
      this.#name.focus();
      return;
    }
    this.dispatchEvent(new CustomEvent('join', { detail: { name } }));
  }

  async #toggleMic() {
    this.#local.setMic(!this.#local.micOn);
    this.#render();
  }

  async #toggleCamera() {
    try {
      await this.#local.setCamera(!this.#local.camOn);
    } catch {
      // The reason is in local.errors and shown by render.
    }
    this.#render();
  }

  /**
   * @param {'audio' | 'video'} kind
   * @param {string} deviceId
   */
  async #choose(kind, deviceId) {
    try {
      await this.#local.useDevice(kind, deviceId);
      delete this.#local.errors[kind];
    } catch (err) {
      this.#local.errors[kind] = err instanceof Error ? err : new Error(String(err));
    }
    this.#render();
  }

  async #refreshDevices() {
    const devices = await listDevices();
    fillDeviceSelect(this.#cameraSelect, devices.cameras, this.#local.videoDeviceId, 'No camera');
    fillDeviceSelect(this.#micSelect, devices.microphones, this.#local.audioDeviceId, 'No microphone');
  }

  /** Shows the local state: preview, toggles and device problems. */
  #render() {
    const l = this.#local;
    const video = l.camOn ? l.video : null;
    if (video) {
      this.#video.srcObject = new MediaStream([video]);
    } else {
      this.#video.srcObject = null;
    }
    this.#video.hidden = !video;
    this.#off.hidden = !!video;
    setToggle(this.#micButton, l.micOn && !!l.audio, 'Microphone');
    setToggle(this.#camButton, !!video, 'Camera');
    this.#micButton.disabled = !l.audio;
    const problems = [];
    if (l.errors.video) problems.push(mediaErrorText('video', l.errors.video));
    if (l.errors.audio) problems.push(mediaErrorText('audio', l.errors.audio));
    this.#notice.textContent = problems.join(' ');
    this.#notice.hidden = problems.length === 0;
  }
}

// @ts-check
/**
 * The pre-join screen: name, camera and microphone preview, device choice
 * and the Join button. It works on the shared LocalDevices, so the meeting
 * starts with exactly what the person saw here.
 *
 * It also shows the microphone's level, so people see that it hears them,
 * and asks for the room password when the server wants one.
 *
 * Events: `join` (CustomEvent, detail {name, password}) when the person joins.
 */
import { listDevices } from '../media.js';
import { byId, fillDeviceSelect, setToggle } from './dom.js';
import { mediaErrorText } from './text.js';
import { t } from '../i18n.js';
import { DISPLAY_NAME_MAX } from '../lib/prefs.js';
import { checkNetwork } from '../netcheck.js';
import { showNetCheck } from './netview.js';

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
  #passwordField = byId('password-field', HTMLElement);
  #password = byId('room-password', HTMLInputElement);
  #level = new LevelMeter(byId('preview-level', HTMLElement));

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
    this.#password.addEventListener('input', () => this.showError(''));
    this.#form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.#submit();
    });
    byId('prejoin-netcheck', HTMLButtonElement).addEventListener('click', () => this.#netCheck());
  }

  /**
   * The connection check before joining: the server lends short-lived TURN
   * credentials (POST /net-check), and each way to it is tried.
   */
  async #netCheck() {
    const error = byId('prejoin-netcheck-error', HTMLElement);
    error.hidden = true;
    let iceServers;
    try {
      const resp = await fetch('/net-check', { method: 'POST' });
      if (!resp.ok) throw new Error(String(resp.status));
      iceServers = (await resp.json()).iceServers ?? [];
    } catch (err) {
      error.textContent = t(err instanceof Error && err.message === '429' ? 'netcheckTooOften' : 'netcheckUnavailable');
      error.hidden = false;
      return;
    }
    await showNetCheck(checkNetwork(iceServers, null));
  }

  /** Shows the screen and starts the preview. */
  async show() {
    this.#root.hidden = false;
    if (this.#name.value === '') this.#name.focus();
    await this.#local.start();
    this.#render();
    await this.#refreshDevices();
  }

  /** Draws the screen again, as after a change of language. */
  redraw() {
    this.#render();
    this.#refreshDevices();
  }

  /** Hides the screen; the devices stay open for the meeting. */
  hide() {
    this.#root.hidden = true;
    this.#video.srcObject = null;
    this.#level.watch(null);
  }

  /**
   * Shows the password field with why it is needed.
   * @param {string} message
   */
  askPassword(message) {
    this.#passwordField.hidden = false;
    this.#error.textContent = message;
    this.#password.setAttribute('aria-invalid', 'true');
    this.#password.value = '';
    this.#password.focus();
  }

  /**
   * Disables the form while joining.
   * @param {boolean} busy
   */
  setBusy(busy) {
    this.#joinButton.disabled = busy;
    this.#joinButton.textContent = busy ? t('joining') : t('join');
  }

  /**
   * @param {string} message empty to clear
   * @param {boolean} [nameInvalid] whether the name is what is wrong
   */
  showError(message, nameInvalid = false) {
    this.#error.textContent = message;
    this.#name.setAttribute('aria-invalid', String(message !== '' && nameInvalid));
  }

  /**
   * Joins with this name, as if typed and submitted (the embedding API).
   * @param {string} name
   */
  joinAs(name) {
    this.#name.value = name.slice(0, DISPLAY_NAME_MAX);
    this.#submit();
  }

  #submit() {
    const name = this.#name.value.trim();
    if (name === '') {
      this.showError(t('nameRequired'), true);
      this.#name.focus();
      return;
    }
    const password = this.#password.value;
    if (!this.#passwordField.hidden && password === '') {
      this.showError(t('passwordNeeded'));
      this.#password.focus();
      return;
    }
    this.#password.removeAttribute('aria-invalid');
    this.dispatchEvent(new CustomEvent('join', { detail: { name, password } }));
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
    fillDeviceSelect(this.#cameraSelect, devices.cameras, this.#local.videoDeviceId, t('noCamera'));
    fillDeviceSelect(this.#micSelect, devices.microphones, this.#local.audioDeviceId, t('noMicrophone'));
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
    setToggle(this.#micButton, l.micOn && !!l.audio, 'microphone');
    setToggle(this.#camButton, !!video, 'camera');
    this.#micButton.disabled = !l.audio;
    this.#level.watch(l.micOn ? l.audio : null);
    const problems = [];
    if (l.errors.video) problems.push(mediaErrorText('video', l.errors.video));
    if (l.errors.audio) problems.push(mediaErrorText('audio', l.errors.audio));
    this.#notice.textContent = problems.join(' ');
    this.#notice.hidden = problems.length === 0;
  }
}

/**
 * The microphone level under the preview: a bar as wide as the input is
 * loud, from an AnalyserNode, redrawn each frame while a track is watched.
 */
class LevelMeter {
  #bar;
  /** @type {AudioContext | null} */ #ctx = null;
  /** @type {MediaStreamAudioSourceNode | null} */ #source = null;
  /** @type {AnalyserNode | null} */ #analyser = null;
  /** @type {MediaStreamTrack | null} */ #track = null;
  #frame = 0;

  /** @param {HTMLElement} bar */
  constructor(bar) {
    this.#bar = bar;
    // Browsers start audio contexts only after a gesture; any click will do.
    document.addEventListener('pointerdown', () => this.#ctx?.resume().catch(() => {}));
  }

  /**
   * Watches a track's level, or stops for null.
   * @param {MediaStreamTrack | null} track
   */
  watch(track) {
    if (track === this.#track) return;
    this.#track = track;
    this.#source?.disconnect();
    this.#source = null;
    cancelAnimationFrame(this.#frame);
    this.#bar.style.width = '0';
    if (!track || typeof AudioContext === 'undefined') return;
    this.#ctx ??= new AudioContext();
    this.#analyser ??= Object.assign(this.#ctx.createAnalyser(), { fftSize: 512 });
    this.#source = this.#ctx.createMediaStreamSource(new MediaStream([track]));
    this.#source.connect(this.#analyser);
    const data = new Float32Array(this.#analyser.fftSize);
    const draw = () => {
      if (!this.#analyser || this.#track !== track) return;
      this.#analyser.getFloatTimeDomainData(data);
      let peak = 0;
      for (const v of data) peak = Math.max(peak, Math.abs(v));
      // A speaking voice peaks around 0.1-0.5; scale so that it fills most of the bar.
      this.#bar.style.width = `${Math.min(100, Math.round(Math.sqrt(peak) * 140))}%`;
      this.#frame = requestAnimationFrame(draw);
    };
    draw();
  }
}

// @ts-check
/**
 * Local media: camera and microphone with chosen devices, the list of
 * devices, and screen capture. No DOM beyond the media APIs.
 */
import { t } from './i18n.js';

/**
 * @typedef {object} DeviceChoice
 * @property {boolean} enabled whether to capture this kind at all
 * @property {string} [deviceId] '' or undefined for the default device
 */

/**
 * @typedef {object} LocalMedia
 * @property {MediaStreamTrack | null} audio
 * @property {MediaStreamTrack | null} video
 * @property {{ audio?: Error, video?: Error }} errors why a wanted kind is missing
 */

/** Camera constraints: good enough for a grid, light on the uplink. */
const VIDEO_CONSTRAINTS = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } };

/**
 * @param {DeviceChoice} choice
 * @param {MediaTrackConstraints} base
 * @returns {MediaTrackConstraints | false}
 */
function constraints(choice, base) {
  if (!choice.enabled) return false;
  return choice.deviceId ? { ...base, deviceId: { exact: choice.deviceId } } : { ...base };
}

/**
 * Opens the camera and the microphone. When both together fail (one is
 * blocked, missing or busy), each is tried alone, so that a blocked camera
 * does not also cost the microphone. Never rejects: what is missing is
 * reported in `errors`.
 * @param {{ audio: DeviceChoice, video: DeviceChoice }} want
 * @returns {Promise<LocalMedia>}
 */
export async function openLocalMedia(want) {
  /** @type {LocalMedia} */
  const out = { audio: null, video: null, errors: {} };
  const audio = constraints(want.audio, { echoCancellation: true, noiseSuppression: true, autoGainControl: true });
  const video = constraints(want.video, VIDEO_CONSTRAINTS);
  if (!audio && !video) return out;
  if (!navigator.mediaDevices?.getUserMedia) {
    const err = new DOMException('media devices are unavailable', 'NotSupportedError');
    if (audio) out.errors.audio = err;
    if (video) out.errors.video = err;
    return out;
  }
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio, video });
    out.audio = stream.getAudioTracks()[0] ?? null;
    out.video = stream.getVideoTracks()[0] ?? null;
    return out;
  } catch (err) {
    if (!(audio && video)) {
      out.errors[audio ? 'audio' : 'video'] = asError(err);
      return out;
    }
  }
  const [a, v] = await Promise.allSettled([
    navigator.mediaDevices.getUserMedia({ audio }),
    navigator.mediaDevices.getUserMedia({ video }),
  ]);
  if (a.status === 'fulfilled') out.audio = a.value.getAudioTracks()[0] ?? null;
  else out.errors.audio = asError(a.reason);
  if (v.status === 'fulfilled') out.video = v.value.getVideoTracks()[0] ?? null;
  else out.errors.video = asError(v.reason);
  return out;
}

/**
 * Opens one kind of device, for switching devices or turning the camera
 * back on. Rejects with the browser's error.
 * @param {'audio' | 'video'} kind
 * @param {string} [deviceId]
 * @returns {Promise<MediaStreamTrack>}
 */
export async function openDevice(kind, deviceId) {
  const base = kind === 'video' ? VIDEO_CONSTRAINTS : { echoCancellation: true, noiseSuppression: true };
  const c = constraints({ enabled: true, deviceId }, base);
  const stream = await navigator.mediaDevices.getUserMedia(kind === 'video' ? { video: c } : { audio: c });
  const track = stream.getTracks()[0];
  if (!track) throw new DOMException(`no ${kind} track`, 'NotFoundError');
  return track;
}

/**
 * @typedef {{ deviceId: string, label: string }} Device
 * @typedef {{ cameras: Device[], microphones: Device[], speakers: Device[] }} Devices
 */

/**
 * Lists cameras, microphones and speakers. Labels are empty until the page has been
 * granted access, so they get a numbered name instead.
 * @returns {Promise<Devices>}
 */
export async function listDevices() {
  /** @type {Devices} */
  const out = { cameras: [], microphones: [], speakers: [] };
  if (!navigator.mediaDevices?.enumerateDevices) return out;
  const all = await navigator.mediaDevices.enumerateDevices();
  for (const d of all) {
    if (d.deviceId === '') continue; // present but not yet permitted
    if (d.kind === 'videoinput') {
      out.cameras.push({ deviceId: d.deviceId, label: d.label || t('cameraN', { n: out.cameras.length + 1 }) });
    } else if (d.kind === 'audioinput' && d.deviceId !== 'communications') {
      out.microphones.push({ deviceId: d.deviceId, label: d.label || t('microphoneN', { n: out.microphones.length + 1 }) });
    } else if (d.kind === 'audiooutput' && d.deviceId !== 'default' && d.deviceId !== 'communications') {
      out.speakers.push({ deviceId: d.deviceId, label: d.label || t('speakerN', { n: out.speakers.length + 1 }) });
    }
  }
  return out;
}

/** Reports whether this browser can share a screen. */
export function canShareScreen() {
  return typeof navigator.mediaDevices?.getDisplayMedia === 'function';
}

/**
 * Asks the person to pick a screen, window or tab to share.
 * @returns {Promise<MediaStreamTrack>} rejects when refused or cancelled
 */
export async function openScreen() {
  const stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15 } }, audio: false });
  const track = stream.getVideoTracks()[0];
  if (!track) throw new DOMException('no screen track', 'NotFoundError');
  return track;
}

/**
 * The person's own camera and microphone, shared by the pre-join screen
 * and the meeting so that joining does not reopen the devices. The camera
 * is really stopped when turned off (its light goes out); the microphone
 * is only disabled, so that unmuting is instant.
 */
export class LocalDevices {
  /** @type {MediaStreamTrack | null} */ audio = null;
  /** @type {MediaStreamTrack | null} camera track; null while off */ video = null;
  micOn = true;
  camOn = true;
  audioDeviceId = '';
  videoDeviceId = '';
  /** @type {{ audio?: Error, video?: Error }} why a device is missing */
  errors = {};

  /**
   * Opens the devices that are on. Never rejects; see errors.
   * @returns {Promise<void>}
   */
  async start() {
    const got = await openLocalMedia({
      audio: { enabled: true, deviceId: this.audioDeviceId },
      video: { enabled: this.camOn, deviceId: this.videoDeviceId },
    });
    stopTracks([this.audio, this.video]);
    this.audio = got.audio;
    this.video = got.video;
    this.errors = got.errors;
    if (this.audio) this.audio.enabled = this.micOn;
    this.#remember();
  }

  /** @param {boolean} on */
  setMic(on) {
    this.micOn = on;
    if (this.audio) this.audio.enabled = on;
  }

  /**
   * Turns the camera on (opening it) or off (stopping it).
   * @param {boolean} on
   * @returns {Promise<MediaStreamTrack | null>} the new camera track
   */
  async setCamera(on) {
    this.camOn = on;
    if (!on) {
      stopTracks([this.video]);
      this.video = null;
      return null;
    }
    if (this.video) return this.video;
    try {
      this.video = await openDevice('video', this.videoDeviceId);
      delete this.errors.video;
    } catch (err) {
      this.camOn = false;
      this.errors.video = err instanceof Error ? err : new Error(String(err));
      throw err;
    }
    this.#remember();
    return this.video;
  }

  /**
   * Switches to another device of one kind.
   * @param {'audio' | 'video'} kind
   * @param {string} deviceId
   * @returns {Promise<MediaStreamTrack | null>} the new track (null: camera off)
   */
  async useDevice(kind, deviceId) {
    if (kind === 'video') {
      this.videoDeviceId = deviceId;
      if (!this.camOn) return null;
      const next = await openDevice('video', deviceId);
      stopTracks([this.video]);
      this.video = next;
      return next;
    }
    this.audioDeviceId = deviceId;
    const next = await openDevice('audio', deviceId);
    stopTracks([this.audio]);
    next.enabled = this.micOn;
    this.audio = next;
    return next;
  }

  /** Stops both devices. */
  stop() {
    stopTracks([this.audio, this.video]);
    this.audio = null;
    this.video = null;
  }

  /** Records which devices were actually opened, for the selects. */
  #remember() {
    this.audioDeviceId = this.audio?.getSettings().deviceId ?? this.audioDeviceId;
    this.videoDeviceId = this.video?.getSettings().deviceId ?? this.videoDeviceId;
  }
}

/**
 * Stops every track given, ignoring nulls.
 * @param {(MediaStreamTrack | null | undefined)[]} tracks
 */
export function stopTracks(tracks) {
  for (const t of tracks) t?.stop();
}

/**
 * @param {unknown} err
 * @returns {Error}
 */
function asError(err) {
  return err instanceof Error ? err : new Error(String(err));
}

// @ts-check
/**
 * Entry module of the meeting page, /r/ROOM#k=SECRET: reads the link,
 * shows the pre-join screen (or skips it with ?autojoin=1), then runs the
 * meeting. It is the only module that touches globals: it exposes a small
 * read-only test hook, window.conclave.
 */
import { roomFromPath, secretFromFragment } from './lib/roomlink.js';
import { browserStorage, DISPLAY_NAME_MAX, loadDisplayName, loadLanguage, saveDisplayName } from './lib/prefs.js';
import { LocalDevices } from './media.js';
import { Meeting } from './meeting.js';
import { byId } from './ui/dom.js';
import { Controls } from './ui/controls.js';
import { Grid } from './ui/grid.js';
import { Prejoin } from './ui/prejoin.js';
import { AudioSinks } from './ui/stage.js';
import { Status } from './ui/status.js';
import { mediaErrorText, serverErrorText } from './ui/text.js';
import { chooseLanguage, load, t, translateDOM } from './i18n.js';
import { LanguagePicker } from './ui/language.js';
import { ChatPanel } from './ui/chat.js';
import { PeoplePanel } from './ui/people.js';
import { MoreSheet } from './ui/more.js';
import { ReactionPicker } from './ui/reactions.js';
import { Shortcuts } from './ui/shortcuts.js';
import { SecurityView } from './ui/security.js';
import { decodeSecret, KeyPrompt } from './ui/keyprompt.js';
import { E2EEWorker, e2eeSupport } from './e2ee/transform.js';
import { Embed } from './embed.js';

/**
 * @typedef {object} Link
 * @property {string} room
 * @property {string} secret the room secret (b64u) of the fragment, '' when absent
 * @property {string} name the name from ?name=, '' when absent
 * @property {boolean} autojoin
 * @property {import('./peer.js').ICEMode} ice '' normally; 'relay' or 'turns' force TURN (?ice=, a diagnostic)
 */

/** @returns {Link} */
function readLink() {
  const params = new URLSearchParams(location.search);
  return {
    room: roomFromPath(location.pathname),
    secret: secretFromFragment(location.hash),
    name: (params.get('name') ?? '').trim().slice(0, DISPLAY_NAME_MAX),
    autojoin: params.get('autojoin') === '1',
    ice: iceMode(params.get('ice')),
  };
}

/**
 * @param {string | null} v the ?ice= parameter
 * @returns {import('./peer.js').ICEMode}
 */
function iceMode(v) {
  return v === 'relay' || v === 'turns' ? v : '';
}

/** The page's pieces, created once. */
function createUI() {
  const status = new Status();
  /** @type {AudioSinks} */
  const audio = new AudioSinks(byId('audio-sinks', HTMLElement), () => status.askForSound(() => audio.resume()));
  // One side panel at a time: opening one closes the other.
  /** @type {PeoplePanel} */
  const people = new PeoplePanel((open) => { if (open && chat.open) chat.toggle(false); });
  const chat = new ChatPanel((open) => { if (open && people.open) people.toggle(false); });
  return {
    grid: new Grid(byId('grid', HTMLElement), byId('tile-template', HTMLTemplateElement)),
    audio,
    controls: new Controls(),
    status,
    count: byId('meeting-count', HTMLElement),
    chat,
    people,
    security: new SecurityView(),
    more: new MoreSheet(),
    reactions: new ReactionPicker(),
  };
}

/**
 * @type {{ meeting: Meeting | null, phase: string, secret: Uint8Array<ArrayBuffer> | null, media: E2EEWorker | null,
 *   prejoin: Prejoin | null, prejoinReady: boolean, embed: Embed | null, joinAs: string }}
 */
const app = { meeting: null, phase: 'loading', secret: null, media: null, prejoin: null, prejoinReady: false, embed: null, joinAs: '' };

/** Starts the embedding API when the page is in an iframe (docs/embed.md). */
function startEmbed() {
  app.embed = Embed.start({
    // A join that comes before the pre-join screen is ready waits for it.
    join: (name) => {
      if (app.prejoinReady) app.prejoin?.joinAs(name);
      else app.joinAs = name;
    },
    mute: (muted) => app.meeting?.setMicOn(!muted),
    camera: (on) => app.meeting?.setCameraOn(on),
    hand: (raised) => app.meeting?.setHand(raised),
    leave: () => app.meeting?.leave(),
  });
}

/**
 * Tells the embedding page that we joined, and from then on who is in
 * the meeting, whose hands are up, and when we leave.
 * @param {Meeting} meeting
 */
function reportToEmbed(meeting) {
  const embed = app.embed;
  if (!embed) return;
  const update = () => {
    const people = meeting.participants().map((p) => ({
      id: p.id, name: p.name, self: p.self, role: p.role, hand: p.hand,
      muted: !p.tracks.some((t) => t.source === 'microphone' && !t.muted),
    }));
    embed.emit('participants', { participants: people });
    embed.emit('hands', { hands: meeting.room().hands });
  };
  embed.emit('joined', { participantId: meeting.participants()[0].id, room: meeting.room().name });
  update();
  meeting.addEventListener('update', update);
  meeting.addEventListener('closed', (ev) => embed.emit('left', /** @type {CustomEvent} */ (ev).detail));
}

/** The test hook: plain data only, nothing that changes the meeting. */
const hook = Object.freeze({
  phase: () => app.phase,
  state: () => app.meeting?.state ?? app.phase,
  participants: () => app.meeting?.participants() ?? [],
  room: () => app.meeting?.room() ?? null,
  videoSizes: () => app.meeting?.videoSizes() ?? [],
  stats: () => app.meeting?.stats() ?? Promise.resolve([]),
  /** Our simulcast camera's encodings: each one's RID, whether it is asked for, frames encoded and size. */
  sentLayers: () => app.meeting?.sentLayers() ?? Promise.resolve([]),
  timings: () => ({ ...(app.meeting?.timings ?? {}) }),
  hasSecret: () => app.secret !== null,
  e2ee: () => app.meeting?.e2eeStats() ?? Promise.resolve(null),
  security: () => ({ ...(app.meeting?.security ?? {}) }),
  /** Drops the signaling socket as a network loss would (the reconnect test); the page resumes by itself. */
  dropSocket: () => app.meeting?.dropSocket(),
  /** @param {'decrypt' | 'passthrough'} mode the negative control of the E2EE browser test */
  e2eeControl: (mode) => app.media?.setControl(mode),
  get pc() { return app.meeting?.pc ?? null; },
});

/**
 * @param {Link} link
 * @param {LocalDevices} local
 * @param {string} name
 * @param {ReturnType<typeof createUI>} ui
 * @param {string} [password] the room password, if it has one
 * @returns {Promise<void>} rejects with a SignalError
 */
async function startMeeting(link, local, name, ui, password = '') {
  const joinClicked = performance.now();
  byId('meeting-room', HTMLElement).textContent = link.room;
  const secret = /** @type {Uint8Array<ArrayBuffer>} */ (app.secret);
  const media = /** @type {E2EEWorker} */ (app.media);
  const meeting = new Meeting({ room: link.room, name, local, ui, ice: link.ice, secret, media, password });
  meeting.timings.joinClicked = joinClicked;
  app.meeting = meeting;
  app.phase = 'meeting';
  meeting.addEventListener('lobby', () => {
    app.phase = 'lobby';
    ui.status.lobby(true);
  });
  const stopWaiting = () => meeting.leave();
  const lobbyLeave = byId('lobby-leave', HTMLButtonElement);
  lobbyLeave.addEventListener('click', stopWaiting);
  try {
    await meeting.join();
  } finally {
    lobbyLeave.removeEventListener('click', stopWaiting);
    ui.status.lobby(false);
  }
  app.phase = 'meeting';
  reportToEmbed(meeting);
  ui.more.refresh({ audio: local.audioDeviceId, video: local.videoDeviceId, sink: '' });
  byId('prejoin', HTMLElement).hidden = true;
  byId('meeting', HTMLElement).hidden = false;
  document.body.classList.add('in-meeting');
  ui.grid.layout();
  // The pre-join screen showed these already; a kiosk (autojoin) did not.
  if (link.autojoin) {
    for (const kind of /** @type {const} */ (['video', 'audio'])) {
      const err = local.errors[kind];
      if (err) ui.status.toast(mediaErrorText(kind, err));
    }
  }
}

/**
 * Loads the page's language: ?lang= (for links and tests), else the one
 * chosen before, else the browser's.
 * @param {Storage | undefined} storage
 */
async function setupLanguage(storage) {
  const asked = new URLSearchParams(location.search).get('lang') ?? loadLanguage(storage);
  await load(chooseLanguage(navigator.languages, asked));
  translateDOM(document);
}

async function main() {
  Object.defineProperty(window, 'conclave', { value: hook });
  const link = readLink();
  // The key lives in memory only: off the address bar, out of the history.
  if (location.hash !== '') history.replaceState(history.state, '', location.pathname + location.search);
  app.secret = decodeSecret(link.secret);
  const storage = browserStorage();
  await setupLanguage(storage);
  const ui = createUI();
  new Shortcuts();
  startEmbed();
  new LanguagePicker(storage, () => {
    if (app.meeting?.state === 'joined') app.meeting.redraw();
    else if (app.prejoinReady) app.prejoin?.redraw();
  });
  byId('rejoin-button', HTMLButtonElement).addEventListener('click', () => location.reload());
  if (link.room === '') {
    ui.status.ended(t('endedTitle'), serverErrorText('bad-room'));
    return;
  }
  document.title = `${link.room} · Conclave`;
  if (!e2eeSupport()) {
    // Joining would publish media nobody could decrypt, and receive none.
    const notice = byId('no-e2ee', HTMLElement);
    notice.textContent = t('noE2EE');
    notice.hidden = false;
    byId('join-form', HTMLFormElement).hidden = true;
    byId('prejoin', HTMLElement).hidden = false;
    app.phase = 'unsupported';
    return;
  }
  app.media = new E2EEWorker();
  if (!app.secret) {
    app.phase = 'key';
    app.secret = await new KeyPrompt(link.room).ask();
  }
  const local = new LocalDevices();

  /** @type {string} a refusal of the kiosk join that the pre-join screen can fix */
  let needs = '';
  if (link.autojoin) {
    app.phase = 'joining';
    await local.start();
    try {
      await startMeeting(link, local, link.name || t('guest'), ui);
      return;
    } catch (err) {
      const code = /** @type {{ code?: string }} */ (err)?.code ?? 'closed';
      if (!PASSWORD_CODES.has(code)) {
        ui.status.ended(t('endedTitle'), serverErrorText(code));
        return;
      }
      needs = code;
    }
  }

  const prejoin = new Prejoin(local, { room: link.room, name: link.name || loadDisplayName(storage) });
  app.prejoin = prejoin;
  if (needs) prejoin.askPassword(serverErrorText(needs));
  prejoin.addEventListener('join', async (ev) => {
    const { name, password } = /** @type {CustomEvent<{ name: string, password: string }>} */ (ev).detail;
    saveDisplayName(storage, name);
    prejoin.setBusy(true);
    try {
      await startMeeting(link, local, name, ui, password);
      prejoin.hide();
    } catch (err) {
      prejoin.setBusy(false);
      app.phase = 'prejoin';
      byId('prejoin', HTMLElement).hidden = false;
      const code = /** @type {{ code?: string }} */ (err)?.code ?? 'closed';
      if (PASSWORD_CODES.has(code)) prejoin.askPassword(serverErrorText(code));
      else if (code === 'closed' && app.meeting?.state === 'ended') prejoin.showError('');
      else prejoin.showError(serverErrorText(code), code === 'bad-name');
    }
  });
  app.phase = 'prejoin';
  await prejoin.show();
  app.prejoinReady = true;
  if (app.joinAs) prejoin.joinAs(app.joinAs);
}

/** Refusals that a password typed on the pre-join screen may lift. */
const PASSWORD_CODES = new Set(['password-required', 'wrong-password']);

main();

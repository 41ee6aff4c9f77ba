// @ts-check
/**
 * The participants panel: everyone in the meeting with their role, raised
 * hand (in order, first up first) and microphone; for moderators a menu
 * per person (mute, ask to unmute, allow to speak or share in school mode,
 * make moderator, remove), the room's tools (mute everyone, lock, school
 * mode, end for all) and the lobby's knocks (let in or deny).
 *
 * Events (CustomEvent, detail as named): `moderate` {action, id} with
 * action mute | remove | promote | allow-unmute | allow-screen;
 * `ask-unmute` {id}; `lower-hand` {id}; `lower-all`; `admit` {id}; `deny` {id}; `mute-all`; `lock`
 * {locked}; `school` {on}; `end-all`. The meeting sends them and the
 * server's answer comes back through render(), so the panel never shows
 * a state that did not happen.
 */
import { byId } from './dom.js';
import { initial } from './grid.js';
import { t } from '../i18n.js';
import { confirmAction } from './confirm.js';

/**
 * @typedef {object} Person
 * @property {string} id
 * @property {string} name
 * @property {boolean} self
 * @property {'moderator' | 'participant'} role
 * @property {boolean} micOff
 * @property {number} hand position of the raised hand, 0 when down
 * @property {boolean} canUnmute
 * @property {boolean} canShare
 */

/**
 * @typedef {object} PeopleModel
 * @property {Person[]} people
 * @property {boolean} moderator whether we moderate
 * @property {boolean} hasRoomState whether the server knows lock and school mode
 * @property {boolean} locked
 * @property {boolean} schoolMode
 * @property {Map<string, string>} knocks lobby: ID → name
 */

export class PeoplePanel extends EventTarget {
  #panel = byId('people-panel', HTMLElement);
  #button = byId('people-button', HTMLButtonElement);
  #badge = byId('people-badge', HTMLElement);
  #list = byId('people-list', HTMLElement);
  #tools = byId('mod-tools', HTMLElement);
  #lock = byId('lock-room', HTMLInputElement);
  #school = byId('school-mode', HTMLInputElement);
  #note = byId('school-note', HTMLElement);
  #menu = byId('person-menu', HTMLElement);
  #knocks = byId('knocks', HTMLElement);
  /** What the knocks list shows now, to rebuild it only on a change. */
  #knocksShown = '';
  /** @type {PeopleModel | null} */
  #model = null;
  /** @type {(open: boolean) => void} */
  #onToggle;

  /** @param {(open: boolean) => void} onToggle told when the panel opens or closes (one side panel at a time) */
  constructor(onToggle) {
    super();
    this.#onToggle = onToggle;
    this.#button.addEventListener('click', () => this.toggle());
    byId('people-close', HTMLButtonElement).addEventListener('click', () => this.toggle(false));
    byId('mute-all', HTMLButtonElement).addEventListener('click', () => this.#emit('mute-all'));
    byId('lower-all', HTMLButtonElement).addEventListener('click', () => this.#emit('lower-all'));
    byId('end-all', HTMLButtonElement).addEventListener('click', async () => {
      if (await confirmAction(t('confirmEnd'), t('endForAll'))) this.#emit('end-all');
    });
    this.#lock.addEventListener('change', () => {
      this.#emit('lock', { locked: this.#lock.checked });
      this.#lock.checked = !!this.#model?.locked; // until the server says so
    });
    this.#school.addEventListener('change', () => {
      this.#emit('school', { on: this.#school.checked });
      this.#school.checked = !!this.#model?.schoolMode;
    });
    this.#list.addEventListener('click', (ev) => {
      const b = /** @type {HTMLElement} */ (ev.target).closest('button.person-more');
      if (b instanceof HTMLButtonElement) this.#openMenu(b);
    });
    this.#menu.addEventListener('click', (ev) => {
      const b = /** @type {HTMLElement} */ (ev.target).closest('button[data-action]');
      if (!(b instanceof HTMLButtonElement)) return;
      this.#menu.hidePopover();
      this.#act(/** @type {string} */ (b.dataset.action), /** @type {string} */ (this.#menu.dataset.id));
    });
    this.#menu.addEventListener('keydown', (ev) => this.#menuKey(ev));
    // A closed menu gives the focus back to the button that opened it,
    // also when a redraw replaced that button meanwhile.
    this.#menu.addEventListener('toggle', (ev) => {
      const lost = document.activeElement === document.body || this.#menu.contains(document.activeElement);
      if (/** @type {ToggleEvent} */ (ev).newState !== 'closed' || !lost) return;
      /** @type {HTMLElement | null} */ (this.#list.querySelector(`button.person-more[data-id="${CSS.escape(this.#menu.dataset.id ?? '')}"]`))?.focus();
    });
    this.#knocks.addEventListener('click', (ev) => {
      const b = /** @type {HTMLElement} */ (ev.target).closest('button[data-knock]');
      if (b instanceof HTMLButtonElement) this.#emit(/** @type {string} */ (b.dataset.knock), { id: b.dataset.id });
    });
  }

  /** Whether the panel is open. */
  get open() {
    return !this.#panel.hidden;
  }

  /**
   * Opens or closes the panel (toggles without an argument).
   * @param {boolean} [show]
   */
  toggle(show = !this.open) {
    this.#panel.hidden = !show;
    this.#button.setAttribute('aria-pressed', String(show));
    document.body.classList.toggle('people-open', show);
    this.#onToggle(show);
  }

  /** @param {PeopleModel} m */
  render(m) {
    this.#model = m;
    this.#tools.hidden = !m.moderator;
    for (const el of [this.#lock, this.#school]) {
      /** @type {HTMLElement} */ (el.closest('label')).hidden = !m.hasRoomState;
    }
    this.#lock.checked = m.locked;
    this.#school.checked = m.schoolMode;
    this.#note.hidden = !m.schoolMode;
    this.#note.textContent = m.moderator ? t('schoolNoteModerator') : t('schoolHeld');
    this.#renderRows([...m.people].sort(order), m);
    const hands = m.people.filter((p) => p.hand > 0).length;
    byId('lower-all', HTMLButtonElement).hidden = hands === 0;
    const waiting = m.moderator ? m.knocks.size : 0;
    this.#badge.textContent = String(hands + waiting);
    this.#badge.hidden = hands + waiting === 0;
    this.#button.title = hands > 0 ? `${t('people')} (${t('handsUp', { n: hands })})` : t('people');
    this.#renderKnocks(m);
    if (this.#menu.matches(':popover-open') && !m.people.some((p) => p.id === this.#menu.dataset.id)) this.#menu.hidePopover();
  }

  /**
   * Updates the list in place: a row whose person did not change stays the
   * same element, so a focused menu button keeps its focus while the
   * meeting redraws (which it does on every speaker change).
   * @param {Person[]} sorted
   * @param {PeopleModel} m
   */
  #renderRows(sorted, m) {
    /** @type {Map<string, HTMLElement>} */
    const old = new Map();
    for (const el of this.#list.children) old.set(/** @type {HTMLElement} */ (el).dataset.participantId ?? '', /** @type {HTMLElement} */ (el));
    const rows = sorted.map((p) => {
      const sig = JSON.stringify([p, m.moderator, m.schoolMode]);
      const el = old.get(p.id);
      if (el && el.dataset.sig === sig) return el;
      const row = this.#row(p, m);
      row.dataset.sig = sig;
      return row;
    });
    const same = rows.length === this.#list.children.length && rows.every((r, i) => this.#list.children[i] === r);
    if (!same) this.#list.replaceChildren(...rows);
  }

  /**
   * @param {Person} p
   * @param {PeopleModel} m
   */
  #row(p, m) {
    const li = document.createElement('li');
    li.className = 'person';
    li.dataset.participantId = p.id;
    const avatar = span('person-avatar', initial(p.name));
    avatar.setAttribute('aria-hidden', 'true');
    const name = span('person-name', p.self ? `${p.name} ${t('you')}` : p.name);
    li.append(avatar, name);
    if (p.role === 'moderator') li.append(span('role-badge', t('roleModerator')));
    if (p.hand > 0) {
      const hand = span('hand-badge', `✋ ${p.hand}`);
      hand.title = t('handN', { n: p.hand });
      hand.setAttribute('aria-label', t('handN', { n: p.hand }));
      li.append(hand);
    }
    const mic = icon(p.micOff ? '#i-mic-off' : '#i-mic');
    mic.classList.add('person-mic');
    mic.classList.toggle('off', p.micOff);
    mic.removeAttribute('aria-hidden');
    mic.setAttribute('role', 'img');
    mic.setAttribute('aria-label', p.micOff ? t('micOff') : t('microphone'));
    li.append(mic);
    if (m.moderator && !p.self) {
      const more = document.createElement('button');
      more.type = 'button';
      more.className = 'icon-button person-more';
      more.dataset.id = p.id;
      more.setAttribute('aria-haspopup', 'menu');
      more.setAttribute('aria-label', t('actionsFor', { name: p.name }));
      more.title = t('actionsFor', { name: p.name });
      more.append(icon('#i-more'));
      li.append(more);
    }
    return li;
  }

  /** @param {HTMLButtonElement} button */
  #openMenu(button) {
    const m = this.#model;
    const p = m?.people.find((x) => x.id === button.dataset.id);
    if (!m || !p) return;
    /** @type {[string, string][]} */
    const items = [];
    if (!p.micOff) items.push(['mute', t('mute')]);
    else items.push(['ask-unmute', t('askUnmute')]);
    if (m.schoolMode && p.role !== 'moderator' && !p.canUnmute) items.push(['allow-unmute', t('allowUnmute')]);
    if (m.schoolMode && p.role !== 'moderator' && !p.canShare) items.push(['allow-screen', t('allowScreen')]);
    if (p.hand > 0) items.push(['lower-hand', t('lowerHandOf')]);
    if (p.role !== 'moderator') items.push(['promote', t('makeModerator')]);
    items.push(['remove', t('remove')]);
    this.#menu.dataset.id = p.id;
    this.#menu.setAttribute('aria-label', t('actionsFor', { name: p.name }));
    this.#menu.replaceChildren(...items.map(([action, label]) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = action === 'remove' ? 'menu-item danger' : 'menu-item';
      b.setAttribute('role', 'menuitem');
      b.dataset.action = action;
      b.textContent = label;
      return b;
    }));
    this.#menu.showPopover();
    const r = button.getBoundingClientRect();
    const w = this.#menu.offsetWidth;
    const h = this.#menu.offsetHeight;
    this.#menu.style.left = `${Math.max(8, Math.min(r.right - w, innerWidth - w - 8))}px`;
    this.#menu.style.top = `${r.bottom + h + 8 > innerHeight ? Math.max(8, r.top - h - 4) : r.bottom + 4}px`;
    /** @type {HTMLElement | null} */ (this.#menu.querySelector('button'))?.focus();
  }

  /**
   * Arrow keys, Home and End move through the menu, as in any menu.
   * @param {KeyboardEvent} ev
   */
  #menuKey(ev) {
    const items = /** @type {HTMLElement[]} */ ([...this.#menu.querySelectorAll('button')]);
    const i = items.indexOf(/** @type {HTMLElement} */ (document.activeElement));
    /** @type {Record<string, number>} */
    const next = { ArrowDown: i + 1, ArrowUp: i - 1, Home: 0, End: items.length - 1 };
    if (!(ev.key in next) || items.length === 0) return;
    ev.preventDefault();
    items[(next[ev.key] + items.length) % items.length].focus();
  }

  /**
   * @param {string} action
   * @param {string} id
   */
  async #act(action, id) {
    const p = this.#model?.people.find((x) => x.id === id);
    if (!p) return;
    if (action === 'ask-unmute' || action === 'lower-hand') this.#emit(action, { id });
    else if (action !== 'remove' || await confirmAction(t('confirmRemove', { name: p.name }), t('remove'))) {
      this.#emit('moderate', { action, id });
    }
  }

  /** @param {PeopleModel} m */
  #renderKnocks(m) {
    const show = m.moderator && m.knocks.size > 0;
    this.#knocks.hidden = !show;
    // Rebuilt only when the knocks (or the language) change: a render comes
    // with every speaker change, and a button replaced under the pointer
    // loses the moderator's click.
    const sig = show ? `${document.documentElement.lang}\n${[...m.knocks].map(([id, name]) => `${id}\0${name}`).join('\n')}` : '';
    if (sig === this.#knocksShown) return;
    this.#knocksShown = sig;
    if (!show) {
      this.#knocks.replaceChildren();
      return;
    }
    this.#knocks.replaceChildren(...[...m.knocks].map(([id, name]) => {
      const row = document.createElement('div');
      row.className = 'knock';
      row.dataset.participantId = id;
      const text = document.createElement('p');
      text.textContent = t('knockFrom', { name });
      const admit = knockButton('admit', id, t('admit'), 'button primary small');
      const deny = knockButton('deny', id, t('deny'), 'button secondary small');
      row.append(text, admit, deny);
      return row;
    }));
  }

  /**
   * @param {string} type
   * @param {object} [detail]
   */
  #emit(type, detail = {}) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

/**
 * Raised hands first in order, then ourselves, then by name.
 * @param {Person} a
 * @param {Person} b
 */
function order(a, b) {
  if (a.hand || b.hand) return (a.hand || Infinity) - (b.hand || Infinity);
  if (a.self !== b.self) return a.self ? -1 : 1;
  return a.name.localeCompare(b.name);
}

/**
 * An icon of the page's symbol sheet, hidden from screen readers.
 * @param {string} href such as "#i-more"
 */
function icon(href) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('aria-hidden', 'true');
  const use = document.createElementNS('http://www.w3.org/2000/svg', 'use');
  use.setAttribute('href', href);
  svg.append(use);
  return svg;
}

/**
 * @param {string} className
 * @param {string} text
 */
function span(className, text) {
  const s = document.createElement('span');
  s.className = className;
  s.textContent = text;
  return s;
}

/**
 * @param {string} what admit or deny
 * @param {string} id
 * @param {string} label
 * @param {string} className
 */
function knockButton(what, id, label, className) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = className;
  b.dataset.knock = what;
  b.dataset.id = id;
  b.textContent = label;
  return b;
}

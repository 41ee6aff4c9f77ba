// @ts-check
/**
 * The chat panel: a log of messages, a box to write one, and the chat
 * button's unread count. Messages arrive already decrypted (the E2EE
 * session opened them); the text is always set as text, never as HTML.
 *
 * Events: `send` (CustomEvent, detail {text}) when someone submits a
 * message; the meeting seals and relays it, then calls add() for our copy.
 */
import { byId } from './dom.js';
import { t } from '../i18n.js';

/** Longest chat message in characters (docs/e2ee.md). */
export const CHAT_MAX = 4000;

export class ChatPanel extends EventTarget {
  #panel = byId('chat-panel', HTMLElement);
  #log = byId('chat-log', HTMLElement);
  #form = byId('chat-form', HTMLFormElement);
  #input = byId('chat-input', HTMLTextAreaElement);
  #button = byId('chat-button', HTMLButtonElement);
  #badge = byId('chat-badge', HTMLElement);
  #close = byId('chat-close', HTMLButtonElement);
  #unread = 0;
  /** @type {(open: boolean) => void} */
  #onToggle;

  /** @param {(open: boolean) => void} [onToggle] told when the panel opens or closes (one side panel at a time) */
  constructor(onToggle = () => {}) {
    super();
    this.#onToggle = onToggle;
    this.#input.maxLength = CHAT_MAX;
    this.#button.addEventListener('click', () => this.toggle());
    this.#close.addEventListener('click', () => this.toggle(false));
    this.#form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.#submit();
    });
    // Enter sends, Shift+Enter starts a new line, as in every chat.
    this.#input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        this.#submit();
      }
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
    document.body.classList.toggle('chat-open', show);
    this.#onToggle(show);
    if (show) {
      this.#setUnread(0);
      this.#input.focus();
      this.#log.scrollTop = this.#log.scrollHeight;
    }
  }

  /**
   * Adds a message to the log.
   * @param {{ name: string, text: string, ts: number, self: boolean }} m
   */
  add(m) {
    const li = document.createElement('li');
    li.className = m.self ? 'chat-msg self' : 'chat-msg';
    const head = document.createElement('div');
    head.className = 'chat-head';
    const who = document.createElement('span');
    who.className = 'chat-name';
    who.textContent = m.self ? t('youInChat') : m.name;
    const when = document.createElement('time');
    const d = new Date(m.ts);
    when.dateTime = d.toISOString();
    when.textContent = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    head.append(who, when);
    const body = document.createElement('p');
    body.className = 'chat-text';
    body.textContent = m.text;
    li.append(head, body);
    const atBottom = this.#log.scrollHeight - this.#log.scrollTop - this.#log.clientHeight < 40;
    this.#log.append(li);
    if (atBottom || m.self) this.#log.scrollTop = this.#log.scrollHeight;
    if (!this.open && !m.self) this.#setUnread(this.#unread + 1);
  }

  #submit() {
    const text = this.#input.value.trim();
    if (text === '') return;
    this.#input.value = '';
    this.dispatchEvent(new CustomEvent('send', { detail: { text } }));
  }

  /** @param {number} n */
  #setUnread(n) {
    this.#unread = n;
    this.#badge.textContent = n > 99 ? '99+' : String(n);
    this.#badge.hidden = n === 0;
    this.#button.title = n === 0 ? t('chat') : t('chatUnread', { n });
  }
}

// @ts-check
/**
 * The tiles: one per participant (and one per shared screen), each a video
 * with a name tag, a microphone-off mark, the person's initial when there
 * is no video, a raised hand's number, floating reactions, connection
 * quality, and buttons to pin a tile or show it full screen.
 *
 * Two layouts: the grid, whose column count makes tiles largest for the
 * space, and the speaker view, one large tile (the pinned one, else a
 * shared screen, else the active speaker) over a strip of small ones.
 * Beyond a page of tiles the rest are on further pages (the pager).
 *
 * Events (CustomEvent): `pin` (detail {key}), when a tile's pin button is
 * clicked; `visible` when the set of shown tiles changed.
 */
import { t } from '../i18n.js';

/** Width over height of a tile. */
const TILE_ASPECT = 16 / 9;
/** Gap between tiles in CSS pixels when the style sheet sets none. */
const GAP = 12;
/** Tiles per page of the grid, on a large screen and on a phone. */
const PAGE = 9;
const PAGE_PHONE = 4;
/** Small tiles per page under the speaker view's large one. */
const STRIP = 5;
const STRIP_PHONE = 3;
/** Width below which the page counts as a phone's. */
const PHONE_MAX_W = 600;
/** How long a reaction floats over a tile. */
const REACTION_MS = 4000;

/**
 * @typedef {{ cols: number, rows: number, width: number, height: number }} Layout
 */

/**
 * Returns the grid of n tiles of the given aspect that makes them largest
 * inside a width x height box with gap pixels between tiles.
 * @param {number} n
 * @param {number} width
 * @param {number} height
 * @param {number} [aspect]
 * @param {number} [gap]
 * @returns {Layout}
 */
export function bestLayout(n, width, height, aspect = TILE_ASPECT, gap = GAP) {
  let best = { cols: 1, rows: 1, width: 0, height: 0 };
  const count = Math.max(1, n);
  for (let cols = 1; cols <= count; cols++) {
    const rows = Math.ceil(count / cols);
    const w = Math.min((width - gap * (cols - 1)) / cols, ((height - gap * (rows - 1)) / rows) * aspect);
    if (w > best.width) best = { cols, rows, width: Math.floor(w), height: Math.floor(w / aspect) };
  }
  return best;
}

/**
 * @typedef {object} TileState
 * @property {string} name name shown on the tile
 * @property {boolean} self whether it is our own tile
 * @property {'camera' | 'screen'} source
 * @property {MediaStreamTrack | null} video the track to show, null for the initial
 * @property {boolean} micOff whether to show the microphone-off mark
 * @property {string} participantId
 * @property {string} [notice] a short line over the tile (encryption state), '' for none
 * @property {boolean} [mismatch] the participant joined with a different meeting link
 * @property {number} [hand] position of the raised hand, 0 when down
 * @property {boolean} [speaking] whether the participant speaks now
 * @property {'' | 'good' | 'fair' | 'poor'} [quality] how well their media arrives
 */

/**
 * @typedef {object} Tile
 * @property {HTMLElement} el
 * @property {HTMLVideoElement} video
 * @property {MediaStreamTrack | null} track
 */

/** The tiles in the grid element. Methods are for the UI thread only. */
export class Grid extends EventTarget {
  #root;
  #template;
  /** @type {Map<string, Tile>} */
  #tiles = new Map();
  /** @type {((key: string) => void) | null} */
  #onFirstFrame = null;
  /** @type {'grid' | 'speaker'} */
  #mode = 'grid';
  #main = '';
  #page = 0;
  #pages = 1;
  /** @type {Set<string>} */
  #shown = new Set();

  /**
   * @param {HTMLElement} root the grid container
   * @param {HTMLTemplateElement} template the tile template
   */
  constructor(root, template) {
    super();
    this.#root = root;
    this.#template = template;
    new ResizeObserver(() => this.layout()).observe(root);
    root.addEventListener('click', (ev) => this.#onClick(ev));
    document.getElementById('page-prev')?.addEventListener('click', () => this.#turn(-1));
    document.getElementById('page-next')?.addEventListener('click', () => this.#turn(1));
  }

  /**
   * Calls fn the first time each tile shows a video frame.
   * @param {(key: string) => void} fn
   */
  onFirstFrame(fn) {
    this.#onFirstFrame = fn;
  }

  /**
   * Chooses the layout and, for the speaker view, the large tile.
   * @param {'grid' | 'speaker'} mode
   * @param {string} main key of the large tile; '' for none
   */
  focus(mode, main) {
    if (mode === this.#mode && main === this.#main) return;
    this.#mode = mode;
    this.#main = main;
    this.layout();
  }

  /**
   * Adds or updates the tile with this key.
   * @param {string} key such as the participant ID, or ID + ":screen"
   * @param {TileState} s
   */
  set(key, s) {
    let tile = this.#tiles.get(key);
    if (!tile) {
      tile = this.#create(key, s);
      this.#tiles.set(key, tile);
      this.layout();
    }
    const { el, video } = tile;
    el.classList.toggle('self', s.self);
    el.classList.toggle('screen', s.source === 'screen');
    el.classList.toggle('mic-off', s.micOff);
    el.classList.toggle('no-video', !s.video);
    el.classList.toggle('mismatch', !!s.mismatch);
    el.classList.toggle('speaking', !!s.speaking);
    const notice = /** @type {HTMLElement} */ (el.querySelector('.tile-notice'));
    notice.textContent = s.notice ?? '';
    notice.hidden = !s.notice;
    const hand = /** @type {HTMLElement} */ (el.querySelector('.tile-hand'));
    hand.textContent = s.hand ? `✋ ${s.hand}` : '';
    hand.title = s.hand ? t('handN', { n: s.hand }) : '';
    hand.hidden = !s.hand;
    const quality = /** @type {HTMLElement} */ (el.querySelector('.quality'));
    quality.hidden = !s.quality;
    quality.dataset.level = s.quality ?? '';
    quality.title = s.quality ? t(`quality${s.quality[0].toUpperCase()}${s.quality.slice(1)}`) : '';
    /** @type {HTMLElement} */ (el.querySelector('.name')).textContent = s.name;
    /** @type {HTMLElement} */ (el.querySelector('.avatar span')).textContent = initial(s.name);
    if (tile.track !== s.video) {
      tile.track = s.video;
      video.srcObject = s.video ? new MediaStream([s.video]) : null;
      if (s.video) this.#watchFirstFrame(key, video);
    }
  }

  /**
   * Removes tiles whose key is not in keep.
   * @param {Set<string>} keep
   */
  retain(keep) {
    let changed = false;
    for (const [key, tile] of this.#tiles) {
      if (keep.has(key)) continue;
      tile.video.srcObject = null;
      tile.el.remove();
      this.#tiles.delete(key);
      changed = true;
    }
    if (changed) this.layout();
  }

  /**
   * Floats an emoji over the tiles of a participant's camera.
   * @param {string} participantId
   * @param {string} emoji
   */
  react(participantId, emoji) {
    for (const { el } of this.#tiles.values()) {
      if (el.dataset.participantId !== participantId || el.dataset.source !== 'camera') continue;
      const box = /** @type {HTMLElement} */ (el.querySelector('.tile-reactions'));
      const r = document.createElement('span');
      r.className = 'floating';
      r.textContent = emoji;
      r.style.left = `${10 + Math.random() * 60}%`;
      box.append(r);
      setTimeout(() => r.remove(), REACTION_MS);
    }
  }

  /** Number of tiles. */
  get size() {
    return this.#tiles.size;
  }

  /**
   * The size a tile is shown at, in CSS pixels as docs/protocol.md asks
   * (the server picks the simulcast encoding by it; device pixels would
   * send a high-density screen the next larger one); 0×0 when it is not
   * on screen (another page, hidden).
   * @param {string} key
   * @returns {{ width: number, height: number }}
   */
  tileSize(key) {
    const tile = this.#tiles.get(key);
    if (!tile || !this.#shown.has(key)) return { width: 0, height: 0 };
    return { width: tile.el.clientWidth, height: tile.el.clientHeight };
  }

  /** Keys of the tiles on screen now. */
  get shown() {
    return new Set(this.#shown);
  }

  /** Sizes the tiles for the current number, layout and space. */
  layout() {
    const phone = innerWidth <= PHONE_MAX_W;
    const speaker = this.#mode === 'speaker' && this.#tiles.has(this.#main);
    const keys = [...this.#root.querySelectorAll(':scope > .tile')].map((el) => /** @type {HTMLElement} */ (el).dataset.key ?? '');
    const rest = speaker ? keys.filter((k) => k !== this.#main) : keys;
    const per = speaker ? (phone ? STRIP_PHONE : STRIP) : (phone ? PAGE_PHONE : PAGE);
    this.#pages = Math.max(1, Math.ceil(rest.length / per));
    this.#page = Math.min(this.#page, this.#pages - 1);
    // The pager takes its room from the bottom of the grid (panels.css).
    this.#root.classList.toggle('paged', this.#pages > 1);
    const cs = getComputedStyle(this.#root);
    const px = (/** @type {string} */ v) => parseFloat(v) || 0;
    const width = this.#root.clientWidth - px(cs.paddingLeft) - px(cs.paddingRight);
    const height = this.#root.clientHeight - px(cs.paddingTop) - px(cs.paddingBottom);
    const gap = px(cs.columnGap) || GAP;
    const shown = new Set(rest.slice(this.#page * per, (this.#page + 1) * per));
    if (speaker) shown.add(this.#main);
    const changed = shown.size !== this.#shown.size || [...shown].some((k) => !this.#shown.has(k));
    this.#shown = shown;
    for (const [key, tile] of this.#tiles) {
      tile.el.hidden = !shown.has(key);
      tile.el.classList.toggle('main', speaker && key === this.#main);
      /** @type {HTMLElement} */ (tile.el.querySelector('.tile-pin')).setAttribute('aria-pressed', String(speaker && key === this.#main));
    }
    this.#root.classList.toggle('speaker-view', speaker);
    if (speaker) {
      const stripH = rest.length === 0 ? 0 : Math.min(phone ? 90 : 140, Math.floor(height * 0.22));
      const main = bestLayout(1, width, height - stripH - (stripH ? gap : 0));
      const strip = bestLayout(Math.min(per, rest.length) || 1, width, stripH, TILE_ASPECT, gap);
      this.#set(1, main.width, main.height, strip.width, strip.height);
    } else {
      const l = bestLayout(shown.size, width, height, TILE_ASPECT, gap);
      this.#set(l.cols, l.width, l.height, l.width, l.height);
    }
    this.#renderPager();
    if (changed) this.dispatchEvent(new CustomEvent('visible'));
  }

  /**
   * @param {number} cols
   * @param {number} w main tile width
   * @param {number} h
   * @param {number} sw strip tile width
   * @param {number} sh
   */
  #set(cols, w, h, sw, sh) {
    const st = this.#root.style;
    st.setProperty('--cols', String(cols));
    st.setProperty('--tile-w', `${sw}px`);
    st.setProperty('--tile-h', `${sh}px`);
    st.setProperty('--main-w', `${w}px`);
    st.setProperty('--main-h', `${h}px`);
  }

  #renderPager() {
    const pager = document.getElementById('pager');
    if (!pager) return;
    pager.hidden = this.#pages <= 1;
    const label = document.getElementById('page-label');
    if (label) label.textContent = t('pageOf', { page: this.#page + 1, pages: this.#pages });
    const prev = /** @type {HTMLButtonElement | null} */ (document.getElementById('page-prev'));
    const next = /** @type {HTMLButtonElement | null} */ (document.getElementById('page-next'));
    if (prev) prev.disabled = this.#page === 0;
    if (next) next.disabled = this.#page >= this.#pages - 1;
  }

  /** @param {number} delta */
  #turn(delta) {
    this.#page = Math.max(0, Math.min(this.#pages - 1, this.#page + delta));
    this.layout();
  }

  /** @param {MouseEvent} ev */
  #onClick(ev) {
    const button = /** @type {HTMLElement} */ (ev.target).closest('button');
    const tile = /** @type {HTMLElement} */ (ev.target).closest('.tile');
    if (!(tile instanceof HTMLElement)) return;
    if (!button) {
      // In the speaker view a small tile takes the large place when clicked.
      if (this.#mode === 'speaker' && !tile.classList.contains('main')) {
        this.dispatchEvent(new CustomEvent('pin', { detail: { key: tile.dataset.key } }));
      }
      return;
    }
    if (button.classList.contains('tile-pin')) {
      this.dispatchEvent(new CustomEvent('pin', { detail: { key: tile.dataset.key } }));
    } else if (button.classList.contains('tile-full')) {
      if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
      else tile.requestFullscreen?.().catch(() => {});
    }
  }

  /**
   * @param {string} key
   * @param {TileState} s
   * @returns {Tile}
   */
  #create(key, s) {
    const frag = /** @type {DocumentFragment} */ (this.#template.content.cloneNode(true));
    const el = /** @type {HTMLElement} */ (frag.firstElementChild);
    el.dataset.participantId = s.participantId;
    el.dataset.source = s.source;
    el.dataset.key = key;
    const video = /** @type {HTMLVideoElement} */ (el.querySelector('video'));
    // Our own camera is mirrored, as people expect from a mirror.
    if (s.self && s.source === 'camera') video.classList.add('mirror');
    // Self first, then in order of arrival.
    if (s.self) this.#root.prepend(el);
    else this.#root.append(el);
    return { el, video, track: null };
  }

  /**
   * @param {string} key
   * @param {HTMLVideoElement} video
   */
  #watchFirstFrame(key, video) {
    if (!this.#onFirstFrame || !('requestVideoFrameCallback' in video)) return;
    const fn = this.#onFirstFrame;
    video.requestVideoFrameCallback(() => fn(key));
  }
}

/**
 * Returns the first letter of a name, for a tile without video.
 * @param {string} name
 * @returns {string}
 */
export function initial(name) {
  const first = Array.from(name.trim())[0] ?? '?';
  return first.toLocaleUpperCase();
}

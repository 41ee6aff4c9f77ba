// @ts-check
/**
 * The grid of tiles: one per participant (and one per shared screen), each
 * a video with a name tag at the bottom left, a microphone-off mark, and
 * the person's initial when there is no video. The grid picks the number
 * of columns that makes tiles largest for the space and reflows when
 * tiles come and go or the window changes.
 */

/** Width over height of a tile. */
const TILE_ASPECT = 16 / 9;
/** Gap between tiles in CSS pixels when the style sheet sets none. */
const GAP = 12;

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
 */

/** The tiles in the grid element. Methods are for the UI thread only. */
export class Grid {
  #root;
  #template;
  /** @type {Map<string, { el: HTMLElement, video: HTMLVideoElement, track: MediaStreamTrack | null }>} */
  #tiles = new Map();
  /** @type {((key: string) => void) | null} */
  #onFirstFrame = null;

  /**
   * @param {HTMLElement} root the grid container
   * @param {HTMLTemplateElement} template the tile template
   */
  constructor(root, template) {
    this.#root = root;
    this.#template = template;
    new ResizeObserver(() => this.layout()).observe(root);
  }

  /**
   * Calls fn the first time each tile shows a video frame.
   * @param {(key: string) => void} fn
   */
  onFirstFrame(fn) {
    this.#onFirstFrame = fn;
  }

  /**
   * Adds or updates the tile with this key.
   * @param {string} key such as the participant ID, or ID + ":screen"
   * @param {TileState} s
   */
  set(key, s) {
    let t = this.#tiles.get(key);
    if (!t) {
      t = this.#create(key, s);
      this.#tiles.set(key, t);
      this.layout();
    }
    const { el, video } = t;
    el.classList.toggle('self', s.self);
    el.classList.toggle('screen', s.source === 'screen');
    el.classList.toggle('mic-off', s.micOff);
    el.classList.toggle('no-video', !s.video);
    el.classList.toggle('mismatch', !!s.mismatch);
    const notice = /** @type {HTMLElement} */ (el.querySelector('.tile-notice'));
    notice.textContent = s.notice ?? '';
    notice.hidden = !s.notice;
    /** @type {HTMLElement} */ (el.querySelector('.name')).textContent = s.name;
    /** @type {HTMLElement} */ (el.querySelector('.avatar span')).textContent = initial(s.name);
    if (t.track !== s.video) {
      t.track = s.video;
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
    for (const [key, t] of this.#tiles) {
      if (keep.has(key)) continue;
      t.video.srcObject = null;
      t.el.remove();
      this.#tiles.delete(key);
      changed = true;
    }
    if (changed) this.layout();
  }

  /** Number of tiles. */
  get size() {
    return this.#tiles.size;
  }

  /** Sizes the tiles for the current number and space. */
  layout() {
    const cs = getComputedStyle(this.#root);
    const px = (/** @type {string} */ v) => parseFloat(v) || 0;
    const width = this.#root.clientWidth - px(cs.paddingLeft) - px(cs.paddingRight);
    const height = this.#root.clientHeight - px(cs.paddingTop) - px(cs.paddingBottom);
    const l = bestLayout(this.#tiles.size, width, height, TILE_ASPECT, px(cs.columnGap) || GAP);
    this.#root.style.setProperty('--cols', String(l.cols));
    this.#root.style.setProperty('--tile-w', `${l.width}px`);
    this.#root.style.setProperty('--tile-h', `${l.height}px`);
  }

  /**
   * @param {string} key
   * @param {TileState} s
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
    return { el, video, track: /** @type {MediaStreamTrack | null} */ (null) };
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

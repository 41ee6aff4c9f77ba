// @ts-check
/**
 * How this person looks at the meeting, apart from what happens in it:
 * the layout (grid or speaker view), the pinned tile, whether our own
 * video is hidden, and the audio output. The "More" sheet and the tiles'
 * pin buttons change it; the meeting redraws after each change.
 */

export class ViewState {
  /** @type {'grid' | 'speaker'} */
  layout = 'grid';
  /** Key of the pinned tile, '' for none. */
  pinned = '';
  hideSelf = false;

  /**
   * Follows the views that change it.
   * @param {import('./more.js').MoreSheet} more
   * @param {import('./grid.js').Grid} grid
   * @param {import('./stage.js').AudioSinks} audio
   * @param {() => void} onChange redraw
   */
  listen(more, grid, audio, onChange) {
    /** @type {(target: EventTarget, type: string, fn: (detail: any) => void) => void} */
    const on = (target, type, fn) => target.addEventListener(type, (ev) => {
      fn(/** @type {CustomEvent} */ (ev).detail);
      onChange();
    });
    on(more, 'layout', (d) => {
      this.layout = d.mode === 'speaker' ? 'speaker' : 'grid';
      this.pinned = '';
    });
    on(more, 'hide-self', (d) => { this.hideSelf = !!d.on; });
    on(more, 'sink', (d) => audio.setSink(d.deviceId));
    on(grid, 'pin', (d) => { this.pinned = this.pinned === d.key ? '' : d.key; });
  }
}

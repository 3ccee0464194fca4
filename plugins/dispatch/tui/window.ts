/**
 * Row windowing: the list is never loaded whole. The state holds a cursor (an index into
 * the filtered, newest-first ordering) and `top`, the first index on screen; only rows
 * [top, top + height) are queried and drawn. These functions keep the two consistent.
 */

export interface Viewport {
  /** Index of the highlighted row; 0 when the list is empty. */
  cursor: number;
  /** Index of the first visible row. */
  top: number;
}

/** Clamps the cursor into the list and scrolls just enough to keep it visible. */
export function settle(v: Viewport, height: number, total: number): Viewport {
  const h = Math.max(1, height);
  const cursor = total <= 0 ? 0 : Math.min(Math.max(0, v.cursor), total - 1);
  let top = Math.min(v.top, cursor);
  if (cursor >= top + h) top = cursor - h + 1;
  top = Math.max(0, Math.min(top, Math.max(0, total - h)));
  return { cursor, top };
}

/** Moves the cursor by `delta` rows (negative = up, towards newer runs). */
export function moveBy(v: Viewport, delta: number, height: number, total: number): Viewport {
  return settle({ cursor: v.cursor + delta, top: v.top }, height, total);
}

/**
 * A page down/up moves cursor and window together by one screen, so the cursor keeps its
 * place on screen (like `less`), except where the list ends.
 */
export function pageBy(v: Viewport, pages: number, height: number, total: number): Viewport {
  const h = Math.max(1, height);
  const step = pages * h;
  return settle({ cursor: v.cursor + step, top: v.top + step }, height, total);
}

export function toStart(): Viewport {
  return { cursor: 0, top: 0 };
}

export function toEnd(height: number, total: number): Viewport {
  return settle({ cursor: total - 1, top: total }, height, total);
}

/**
 * After the data changed (new runs above, filter results moved), puts the cursor back on
 * the run it was on, now at `index`, and shifts the window by as much, so what the
 * person was looking at does not jump. At the very top, new runs scroll into view.
 */
export function follow(
  v: Viewport,
  index: number,
  height: number,
  total: number,
): Viewport {
  const delta = index - v.cursor;
  const top = v.top === 0 ? 0 : v.top + delta;
  return settle({ cursor: index, top }, height, total);
}

/** For scrolled text (the detail tabs): the first line shown, given a follow flag. */
export function textOffset(
  offset: number,
  followTail: boolean,
  height: number,
  lines: number,
): number {
  const max = Math.max(0, lines - Math.max(1, height));
  return followTail ? max : Math.min(Math.max(0, offset), max);
}

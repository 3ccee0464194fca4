/**
 * Text measured in terminal cells. Prompts and paths may hold CJK text or emoji (two cells
 * each) and control characters (which must never reach the terminal), so every string the
 * TUI draws goes through `clean` and is cut with `truncate` / `fit`, never with `slice`.
 */

// Wide (two-cell) code point ranges: East Asian Wide/Fullwidth and the common emoji
// blocks. An approximation of Unicode's EastAsianWidth table that covers real prompts.
const WIDE: [number, number][] = [
  [0x1100, 0x115f],
  [0x231a, 0x231b],
  [0x2329, 0x232a],
  [0x23e9, 0x23ec],
  [0x25fd, 0x25fe],
  [0x2614, 0x2615],
  [0x2648, 0x2653],
  [0x26a1, 0x26a1],
  [0x26aa, 0x26ab],
  [0x26bd, 0x26be],
  [0x26c4, 0x26c5],
  [0x26d4, 0x26d4],
  [0x26ea, 0x26ea],
  [0x26f2, 0x26f5],
  [0x26fa, 0x26fd],
  [0x2705, 0x2705],
  [0x270a, 0x270b],
  [0x2728, 0x2728],
  [0x274c, 0x274c],
  [0x2753, 0x2755],
  [0x2795, 0x2797],
  [0x2b1b, 0x2b1c],
  [0x2b50, 0x2b55],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f004, 0x1f004],
  [0x1f0cf, 0x1f0cf],
  [0x1f18e, 0x1f18e],
  [0x1f191, 0x1f19a],
  [0x1f200, 0x1f251],
  [0x1f300, 0x1f64f],
  [0x1f680, 0x1f6ff],
  [0x1f7e0, 0x1f7eb],
  [0x1f90c, 0x1f9ff],
  [0x1fa70, 0x1faff],
  [0x20000, 0x3fffd],
];

/** Cells taken by one code point: 0 for combining marks and joiners, 2 for wide ones. */
export function charWidth(cp: number): number {
  if (cp === 0x200d || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0; // ZWJ, variation selectors
  if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f)) return 0;
  if (cp < 0x1100) return 1;
  let lo = 0;
  let hi = WIDE.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < WIDE[mid][0]) hi = mid - 1;
    else if (cp > WIDE[mid][1]) lo = mid + 1;
    else return 2;
  }
  return 1;
}

export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += charWidth(ch.codePointAt(0)!);
  return w;
}

/**
 * Untrusted text (prompts, paths, model output) made safe to draw: tabs become spaces,
 * other control characters (ESC above all) become U+FFFD.
 */
export function clean(s: string): string {
  // deno-lint-ignore no-control-regex
  return s.replace(/\t/g, "  ").replace(/[\x00-\x08\x0a-\x1f\x7f-\x9f]/g, "\uFFFD");
}

/** Cuts text to at most `width` cells, ending with "…" when something was cut. */
export function truncate(s: string, width: number): string {
  if (width <= 0) return "";
  if (displayWidth(s) <= width) return s;
  let out = "";
  let w = 0;
  for (const ch of s) {
    const cw = charWidth(ch.codePointAt(0)!);
    if (w + cw > width - 1) break;
    out += ch;
    w += cw;
  }
  return out + "…";
}

/** Cuts from the front ("…/tasks/x.md"): for paths, whose end says the most. */
export function truncateStart(s: string, width: number): string {
  if (width <= 0) return "";
  if (displayWidth(s) <= width) return s;
  const chars = [...s];
  let out = "";
  let w = 0;
  for (let i = chars.length - 1; i >= 0; i--) {
    const cw = charWidth(chars[i].codePointAt(0)!);
    if (w + cw > width - 1) break;
    out = chars[i] + out;
    w += cw;
  }
  return "…" + out;
}

/** Exactly `width` cells: cut with "…" or padded with spaces. */
export function fit(s: string, width: number, align: "left" | "right" = "left"): string {
  const t = truncate(s, width);
  const pad = " ".repeat(Math.max(0, width - displayWidth(t)));
  return align === "left" ? t + pad : pad + t;
}

/**
 * Wraps one line into rows of at most `width` cells, breaking after a space when one is
 * near the end of the row, else mid-word. An empty line stays one empty row.
 */
export function wrap(line: string, width: number): string[] {
  if (width <= 0) return [line];
  if (displayWidth(line) <= width) return [line];
  const rows: string[] = [];
  let row = "";
  let w = 0;
  let lastSpace = -1; // index in `row` just after the last space
  for (const ch of line) {
    const cw = charWidth(ch.codePointAt(0)!);
    if (w + cw > width) {
      if (lastSpace > 0 && lastSpace >= row.length - Math.floor(width / 3)) {
        rows.push(row.slice(0, lastSpace).trimEnd());
        row = row.slice(lastSpace);
      } else {
        rows.push(row);
        row = "";
      }
      w = displayWidth(row);
      lastSpace = -1;
    }
    row += ch;
    w += cw;
    if (ch === " ") lastSpace = row.length;
  }
  if (row.length || !rows.length) rows.push(row);
  return rows;
}

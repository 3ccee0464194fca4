/**
 * Output rules: stdout is data, stderr is talk. Colour only on a terminal, never when
 * NO_COLOR is set (and non-empty) or TERM=dumb; FORCE_COLOR forces it on.
 */

import { io, type IoStreams } from "./io.ts";

export function colorEnabled(fd: { isTerminal(): boolean }): boolean {
  const env = Deno.env.toObject();
  if (env.NO_COLOR) return false;
  if (env.HANDOFF_NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== "0") return true;
  if (env.TERM === "dumb") return false;
  return fd.isTerminal();
}

export interface Palette {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  enabled: boolean;
}

export function palette(enabled: boolean): Palette {
  const wrap = (open: number, close: number) => (s: string) =>
    enabled ? `\x1b[${open}m${s}\x1b[${close}m` : s;
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
    enabled,
  };
}

const palettes = new WeakMap<IoStreams, { out?: Palette; err?: Palette }>();

function palettesOf(streams: IoStreams): { out?: Palette; err?: Palette } {
  let p = palettes.get(streams);
  if (!p) palettes.set(streams, p = {});
  return p;
}

/** Colours for messages on stderr (computed once per set of streams). */
export function errColors(): Palette {
  const streams = io();
  return palettesOf(streams).err ??= palette(
    colorEnabled({ isTerminal: () => streams.stderrIsTerminal() }),
  );
}

export function outColors(): Palette {
  const streams = io();
  return palettesOf(streams).out ??= palette(
    colorEnabled({ isTerminal: () => streams.stdoutIsTerminal() }),
  );
}

/** Writes to stdout (see core/io.ts: a reader that went away is not an error). */
export function out(text: string): void {
  io().out(text);
}

/** Writes to stderr, with the same tolerance as `out`. */
export function err(text: string): void {
  io().err(text);
}

export function outLine(text = ""): void {
  out(text + "\n");
}

export function errLine(text = ""): void {
  err(text + "\n");
}

// Letters, marks, digits, punctuation, symbols and the ASCII space. This excludes every
// control (C0, DEL, C1), format (bidi overrides, zero-width), separator other than U+0020,
// private-use, unassigned and lone-surrogate code point.
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]*$/u;

/** True when every character of `s` is visible text (or a plain space). */
export function isPrintable(s: string): boolean {
  return PRINTABLE.test(s);
}

const NAMED_ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

// Controls (C0, DEL, C1), format characters (bidi overrides, zero-width, tags), line and
// paragraph separators, and lone surrogates.
const INVISIBLE =
  /[\p{Cc}\p{Cf}\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/gu;

/** True when `s` holds no control, format or separator character (nothing that can pass for
 * other text on a terminal). */
export function isVisibleText(s: string): boolean {
  return !new RegExp(INVISIBLE.source, "u").test(s);
}

function hex4(unit: number): string {
  return "\\u" + unit.toString(16).padStart(4, "0");
}

/**
 * Untrusted text made visible: every control, format and separator character is written
 * as an escape (`\n`, `\t`, `\u202e`), so a stored value can neither drive the terminal
 * nor pass for more than one line or another field (a forged log row, reversed text).
 */
export function escapeControls(s: string): string {
  return s.replace(
    INVISIBLE,
    (c) =>
      NAMED_ESCAPES[c] ??
        Array.from({ length: c.length }, (_, i) => hex4(c.charCodeAt(i))).join(""),
  );
}

/**
 * JSON text in which those characters appear only as `\uXXXX` escapes (JSON.stringify
 * already escapes C0; this adds DEL, C1, format characters and the separators). The value
 * is unchanged for a JSON reader.
 */
export function jsonVisible(value: unknown, indent?: number): string {
  // JSON.stringify escapes C0 inside strings itself (raw ones left are indentation).
  return JSON.stringify(value, null, indent).replace(
    /[\u007f-\u009f\p{Cf}\u2028\u2029]/gu,
    (c) => Array.from({ length: c.length }, (_, i) => hex4(c.charCodeAt(i))).join(""),
  );
}

/** Strips control characters so untrusted text (device names, prompts) cannot drive the terminal. */
export function safeText(s: string): string {
  // deno-lint-ignore no-control-regex
  return s.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, "\uFFFD");
}

/** `HH:MM:SS` in local time, the prefix of every progress line. */
export function clock(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** 1.2s, 42s, 3m05s, 2h04m */
export function formatDuration(ms: number): string {
  if (ms < 0) ms = 0;
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 60) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, "0")}h`;
}

function columnWidth(s: string): number {
  return Array.from(s).length;
}

/** Plain columns, two spaces apart; `paint` colours a cell after padding. */
export function table(
  head: string[],
  rows: string[][],
  paint?: (col: number, cell: string, padded: string) => string,
): string[] {
  const w = head.map((h, i) =>
    Math.max(columnWidth(h), ...rows.map((r) => columnWidth(r[i] ?? "")))
  );
  const line = (r: string[], isHead: boolean) =>
    r.map((cell, i) => {
      const padded = i === r.length - 1 ? cell : cell + " ".repeat(w[i] - columnWidth(cell));
      return !isHead && paint ? paint(i, cell, padded) : padded;
    }).join("  ").trimEnd();
  return [line(head, true), ...rows.map((r) => line(r, false))];
}

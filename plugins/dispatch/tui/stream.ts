/**
 * The detail tabs' lines. Stream: normalized events (from the backend's own parser)
 * turned into marked lines; Output: the run's progress file as written. Pure.
 */
import { addUsage, oneLine, type RunEvent, type Usage } from "../../../core/events.ts";
import type { Tone } from "./columns.ts";
import { clean, displayWidth, wrap } from "./text.ts";

export interface LogLine {
  text: string;
  tone?: Tone;
  /** A dim prefix (the clock of an Output line), drawn before the text. */
  gutter?: string;
  /** Continuation rows of a wrapped line start this many cells in (under the text). */
  hang?: number;
}

function money(usd: number | null): string {
  return usd === null ? "" : ` · $${usd.toFixed(usd < 1 ? 4 : 2)}`;
}

/** One event → the lines the Stream tab shows, each `<mark> <text>`. */
export function eventLines(ev: RunEvent): LogLine[] {
  return markedLines(ev).map((l) => ({ ...l, hang: 2 }));
}

function markedLines(ev: RunEvent): LogLine[] {
  switch (ev.kind) {
    case "session":
      return [{ text: `· session ${clean(ev.id)}`, tone: "dim" }];
    case "text":
      return [{ text: `✎ ${clean(oneLine(ev.text, 4000))}` }];
    case "tool":
      return [{ text: `▷ ${clean(ev.summary)}`, tone: "cyan" }];
    case "usage": {
      // Running tallies only move the header's figures; the totals get a line.
      if (!ev.cumulative) return [];
      const u = ev.usage;
      return [{
        text: `· usage ${u.inputTokens} in / ${u.outputTokens} out${money(u.costUsd)}`,
        tone: "dim",
      }];
    }
    case "result":
      return ev.isError
        ? [{ text: `✗ ${clean(oneLine(ev.text, 4000))}`, tone: "red" }]
        : [{ text: `✓ ${clean(oneLine(ev.text, 4000))}`, tone: "green" }];
    case "error":
      return [{ text: `✗ error: ${clean(ev.message)}`, tone: "red" }];
    case "permission_denied":
      return [{ text: `✗ denied: ${clean(ev.detail)}`, tone: "yellow" }];
    case "info":
      return [{ text: `· ${clean(ev.text)}`, tone: "dim" }];
  }
}

/** Usage so far, by the engine's rule: cumulative reports replace, others add up. */
export function foldUsage(current: Usage | null, ev: RunEvent): Usage | null {
  if (ev.kind !== "usage") return current;
  if (ev.cumulative || current === null) return { ...ev.usage };
  return addUsage(current, ev.usage);
}

/** A line of the `.out.txt` progress file: `HH:MM:SS text`, or `RESULT=…` at the end. */
export function outLine(line: string): LogLine {
  const m = /^(\d\d:\d\d:\d\d) (.*)$/.exec(line);
  if (m) {
    const text = clean(m[2]);
    const tone: Tone = /^error: |^denied: /.test(m[2]) ? "red" : undefined;
    return { gutter: m[1] + " ", text, tone };
  }
  if (line.startsWith("RESULT=")) return { text: clean(line), tone: "bold" };
  return { text: clean(line) };
}

/** Prompt and result files: plain text, one LogLine per line. */
export function textLines(text: string): LogLine[] {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  return lines.map((l) => ({ text: clean(l) }));
}

/**
 * A bounded log: appends lines, optionally drops a line equal to the one before it
 * (parsers may repeat a message), and forgets the oldest past `max` so a huge run stays
 * cheap to hold and to wrap.
 */
export class LineLog {
  lines: LogLine[] = [];
  dropped = 0;
  constructor(private max = 5000, private dedupe = false) {}

  push(line: LogLine): void {
    const last = this.lines[this.lines.length - 1];
    if (this.dedupe && last && last.text === line.text && last.tone === line.tone) return;
    this.lines.push(line);
    if (this.lines.length > this.max) {
      const cut = this.lines.length - this.max;
      this.lines.splice(0, cut);
      this.dropped += cut;
    }
  }
}

/**
 * Lines wrapped to a pane `width` cells wide: a gutter stays on the first row of its
 * line and the continuation rows are indented under the text.
 */
export function wrapLog(lines: LogLine[], width: number): LogLine[] {
  const rows: LogLine[] = [];
  for (const l of lines) {
    const g = l.gutter ?? "";
    const gw = displayWidth(g);
    const hang = Math.min(l.hang ?? 0, Math.floor(width / 2));
    const first = wrap(l.text, Math.max(1, width - gw))[0];
    rows.push({ text: first, tone: l.tone, gutter: g || undefined });
    // `first` is a prefix of the text; the rest is wrapped to the room beside the hang.
    const rest = l.text.slice(first.length).trimStart();
    if (!rest) continue;
    const pad = " ".repeat(gw + hang);
    for (const text of wrap(rest, Math.max(1, width - gw - hang))) {
      rows.push({ text, tone: l.tone, gutter: pad || undefined });
    }
  }
  return rows;
}

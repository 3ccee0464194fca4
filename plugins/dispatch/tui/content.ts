/**
 * The files behind the detail tabs, read incrementally: the raw JSONL (through the
 * backend type's own stream parser) and the progress file grow while a run is going and
 * are read from the last offset; the prompt and result are re-read when their size or
 * mtime changes.
 */
import type { RunEvent, Usage } from "../../../core/events.ts";
import { readNewLines } from "../../../core/follow.ts";
import type { RunRow } from "../../../core/ledger.ts";
import { type RunFiles, runFiles } from "../../../core/paths.ts";
import type { StreamParser } from "../../../core/registry.ts";
import type { Tab } from "./state.ts";
import { eventLines, foldUsage, LineLog, type LogLine, outLine, textLines } from "./stream.ts";

/** A run that wrote megabytes: the first read starts this near the end of its files. */
const FIRST_READ_MAX = 2 * 1024 * 1024;
const MAX_LINES = 5000;
const SKIPPED: LogLine = { text: "… (earlier lines not shown)", tone: "dim" };

/** A growing file, read a whole line at a time from where the last read stopped. */
class GrowingFile {
  private offset = -1; // not opened yet

  constructor(private path: string) {}

  /** New complete lines; `reset` when the file was rewritten (the earlier lines are void). */
  read(): { lines: string[]; reset: boolean; skipped: boolean } {
    let skipped = false;
    if (this.offset < 0) {
      let size: number;
      try {
        size = Deno.statSync(this.path).size;
      } catch {
        return { lines: [], reset: false, skipped }; // not written yet
      }
      this.offset = Math.max(0, size - FIRST_READ_MAX);
      skipped = this.offset > 0;
    }
    const r = readNewLines(this.path, this.offset);
    const reset = r.offset < this.offset;
    this.offset = r.offset;
    // Started mid-file: the first line is a cut one.
    return { lines: skipped ? r.lines.slice(1) : r.lines, reset, skipped };
  }
}

interface Whole {
  stamp: string;
  lines: LogLine[];
}

export class RunContent {
  readonly files: RunFiles;
  private stream = new LineLog(MAX_LINES, true);
  private output = new LineLog(MAX_LINES);
  private raw: GrowingFile;
  private out: GrowingFile;
  private prompt: Whole = { stamp: "missing", lines: [] };
  private result: Whole = { stamp: "missing", lines: [] };
  /** Usage reported in the stream so far (null until the backend reports any). */
  usage: Usage | null = null;
  /** Bumped on every change: a cheap memo key for wrapped lines. */
  version = 0;

  constructor(
    readonly runId: string,
    private parser: StreamParser | null,
    files: RunFiles = runFiles(runId),
  ) {
    this.files = files;
    this.raw = new GrowingFile(files.raw);
    this.out = new GrowingFile(files.out);
  }

  static forRun(run: RunRow, parserFor: (type: string) => StreamParser | null): RunContent {
    return new RunContent(run.run_id, parserFor(run.backend_type));
  }

  /** Reads whatever is new; true when anything changed. */
  poll(): boolean {
    let changed = false;
    const raw = this.raw.read();
    if (raw.reset) this.stream = new LineLog(MAX_LINES, true);
    if (raw.skipped) this.stream.push(SKIPPED);
    for (const line of raw.lines) {
      const events = this.parser?.push(line) ?? [];
      if (Array.isArray(events)) changed = this.apply(events) || changed;
      else {
        // A plugin's parser answers later: its events show at the next paint.
        this.parsing = this.parsing.then(() => events).then((evs) => {
          if (this.apply(evs)) this.version++;
        }, () => {});
      }
    }
    const out = this.out.read();
    if (out.reset) this.output = new LineLog(MAX_LINES);
    if (out.skipped) this.output.push(SKIPPED);
    for (const line of out.lines) {
      this.output.push(outLine(line));
      changed = true;
    }
    changed = this.reread(this.files.prompt, this.prompt) || changed;
    changed = this.reread(this.files.result, this.result) || changed;
    if (changed) this.version++;
    return changed;
  }

  private parsing: Promise<void> = Promise.resolve();

  private apply(events: RunEvent[]): boolean {
    for (const ev of events) {
      this.usage = foldUsage(this.usage, ev);
      for (const l of eventLines(ev)) this.stream.push(l);
    }
    return events.length > 0;
  }

  private reread(path: string, into: Whole): boolean {
    let stamp = "missing";
    try {
      const st = Deno.statSync(path);
      stamp = `${st.size}:${st.mtime?.getTime() ?? 0}`;
    } catch { /* not written (yet) */ }
    if (stamp === into.stamp) return false;
    into.stamp = stamp;
    try {
      into.lines = stamp === "missing" ? [] : textLines(Deno.readTextFileSync(path));
    } catch {
      into.lines = [];
    }
    return true;
  }

  lines(tab: Tab): LogLine[] {
    switch (tab) {
      case "stream":
        return this.stream.lines;
      case "output":
        return this.output.lines;
      case "prompt":
        return this.prompt.lines;
      case "result":
        return this.result.lines;
    }
  }

  /** The file a tab shows, for its header line. */
  path(tab: Tab): string {
    return {
      stream: this.files.raw,
      output: this.files.out,
      prompt: this.files.prompt,
      result: this.files.result,
    }[tab];
  }
}

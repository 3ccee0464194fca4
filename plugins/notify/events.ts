/**
 * `handoff events`: the event log on this machine. `--json` prints the records exactly as a
 * phone's `gate subscribe` stream carries them (with `gap`, and with `ready`/`ping` when
 * following); without it, one readable line per event.
 */
import type { CommandContext, CommandSpec } from "../../core/registry.ts";
import { setExitCode } from "../../core/cli.ts";
import { EXIT, usageError } from "../../core/errors.ts";
import { outColors, safeText } from "../../core/output.ts";
import type { EventRecord } from "../../core/event_log.ts";

export interface EventsFlags {
  since?: string;
  follow?: boolean;
  json?: boolean;
  limit?: string;
  types?: string;
}

function count(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d{1,15}$/.test(text)) throw usageError(`${name} must be a whole number: ${text}`);
  return Number(text);
}

/**
 * One readable line: `  42 14:03:05 stop          work:1  Claude finished — All done.`,
 * with the run id at the end for a run's events.
 */
export function formatEvent(ev: EventRecord, color = outColors()): string {
  const time = new Date(ev.ts);
  const clock = Number.isNaN(time.getTime()) ? ev.ts : time.toTimeString().slice(0, 8);
  const text = [ev.title, ev.message].filter((s) => s).join(" — ").replaceAll("\n", " ⏎ ");
  return `${String(ev.id).padStart(5)} ${color.dim(clock)} ${ev.type.padEnd(13)} ` +
    `${(ev.tab ?? "-").padEnd(12)} ${safeText(text)}${ev.run_id ? `  (${ev.run_id})` : ""}`;
}

/** Writes to stdout, rejecting when the reader has gone (so a follow ends). */
async function writeOut(text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  let off = 0;
  while (off < bytes.length) off += await Deno.stdout.write(bytes.subarray(off));
}

export async function events(ctx: CommandContext, f: EventsFlags): Promise<number> {
  const limit = count("--limit", f.limit, 20);
  const types = f.types ? f.types.split(",").map((t) => t.trim()).filter((t) => t) : null;
  const { lastEventId, streamEvents } = await import("../../core/event_log.ts");
  const file = ctx.paths().db;
  const db = await ctx.openStore({ readOnly: true });
  const stop = new AbortController();
  const onInt = () => stop.abort();
  Deno.addSignalListener("SIGINT", onInt);
  try {
    // Without --since: the last `limit` events (ids are gapless, so this is a range).
    const since = count("--since", f.since, Math.max(0, lastEventId(db) - limit));
    const color = outColors();
    await streamEvents({
      db,
      dbFile: file,
      since,
      follow: !!f.follow,
      signal: stop.signal,
      view: () => (ev) => !types || types.includes(ev.type) ? ev : null,
      write(line) {
        if (f.json) {
          return !f.follow && line.startsWith('{"type":"ready"')
            ? Promise.resolve()
            : writeOut(line);
        }
        const rec = JSON.parse(line) as EventRecord & { from?: number; to?: number };
        if (rec.type === "gap") {
          return writeOut(color.dim(`  … events ${rec.from}–${rec.to} were pruned`) + "\n");
        }
        if (rec.type === "ready" || rec.type === "ping") return Promise.resolve();
        return writeOut(formatEvent(rec, color) + "\n");
      },
    });
    return stop.signal.aborted ? EXIT.INTERRUPTED : EXIT.OK;
  } finally {
    Deno.removeSignalListener("SIGINT", onInt);
    db.close();
  }
}

export const eventsCommand: CommandSpec = {
  name: "events",
  summary: "show the event log (what paired phones are told)",
  register(program, ctx) {
    program.command("events")
      .summary("show the event log (what paired phones are told)")
      .description(
        "Print recorded events: notifications from agent hooks and `handoff notify`, and " +
          "run events (finished, failed, interrupted, lost, permission denied). By default the " +
          "last 20; --since N prints every event after id N. --follow keeps printing new " +
          "events as they are written (the same stream `gate subscribe` gives a phone).",
      )
      .option("--since <id>", "events after this id")
      .option("-f, --follow", "keep printing new events")
      .option("--json", "NDJSON records, as the phone stream carries them")
      .option("--limit <n>", "how many recent events without --since (default 20)")
      .option("--types <list>", "only these event types (comma-separated)")
      .action(async (f) => setExitCode(await events(ctx, f)));
  },
};

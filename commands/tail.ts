/** `handoff tail`: follow a run's progress to its end (or show how a finished run went). */
import type { CommandContext, CommandSpec } from "../core/registry.ts";
import { setExitCode } from "../core/cli.ts";
import { errLine, outLine } from "../core/output.ts";
import { paths, runFiles } from "../core/paths.ts";
import { exitCodeForStatus, formatCost, formatRunDuration, runToJson } from "../core/run_view.ts";
import type { RunRow } from "../core/ledger.ts";

export function summaryLine(r: RunRow): string {
  const parts = [`${r.run_id}: ${r.status}`, formatRunDuration(r)];
  const cost = formatCost(r);
  if (cost !== "-") parts.push(cost);
  if (r.error && r.status !== "success") parts.push(r.error);
  return parts.join(" · ");
}

export async function tail(
  ctx: CommandContext,
  selector: string,
  f: { json?: boolean; plain?: boolean },
): Promise<number> {
  if (!f.json && !f.plain && Deno.stdin.isTerminal() && Deno.stdout.isTerminal()) {
    const { tailTui } = await import("../tui/mod.ts");
    const code = await tailTui(ctx, selector);
    // Null: the run has ended; below, it is printed as on any output.
    if (code !== null) return code;
  }
  const { openDb } = await import("../core/store.ts");
  const { selectRun } = await import("../core/select.ts");
  const { followRun } = await import("../core/follow.ts");
  const db = openDb(paths().db);
  try {
    const row = selectRun(db, selector);
    const files = runFiles(row.run_id);
    let sawResult = false;
    let end: RunRow | null;
    if (f.json) {
      // Normalized events, re-read from the raw stream with the backend's own parser.
      const parser = ctx.registry.backend(row.backend_type)?.createParser();
      end = await followRun(db, row.run_id, {
        file: files.raw,
        onLine: (line) => {
          for (const ev of parser?.push(line) ?? []) {
            outLine(JSON.stringify(ev));
          }
        },
      });
      if (end) outLine(JSON.stringify({ kind: "end", run: runToJson(end) }));
    } else {
      end = await followRun(db, row.run_id, {
        file: files.out,
        onLine: (line) => {
          if (line.startsWith("RESULT=")) sawResult = true;
          outLine(line);
        },
      });
      if (end && !sawResult) {
        // Lost runs (and runs from before the out file existed) never wrote RESULT=.
        errLine(summaryLine(end));
      }
    }
    return end ? exitCodeForStatus(end.status) : 1;
  } finally {
    db.close();
  }
}

export const tailCommand: CommandSpec = {
  name: "tail",
  summary: "follow a run's progress to its end",
  register(program, ctx) {
    program.command("tail")
      .summary("follow a run's progress to its end")
      .description(
        "Print a run's progress lines, follow them while it runs, and end with its RESULT= " +
          "line. On a finished run, prints what happened. Exits with the run's exit status. " +
          "On a terminal (without --plain / --json), a live run is shown full screen until it " +
          "ends (press a key to stay and browse; q quits).",
      )
      .argument(
        "<run>",
        "run id, id prefix, name (slug), seq code (03), RESULT path, or latest",
      )
      .option("--json", "normalized events as NDJSON, then an end record")
      .option("--plain", "plain lines even on a terminal (default there: full screen)")
      .action(async (sel, f) => setExitCode(await tail(ctx, sel, f)));
  },
};

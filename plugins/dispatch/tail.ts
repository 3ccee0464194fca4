/** `handoff tail`: follow a run's progress to its end (or show how a finished run went). */
import type { CommandContext, CommandSpec } from "../../core/registry.ts";
import { setExitCode } from "../../core/cli.ts";
import { errLine, outLine } from "../../core/output.ts";
import { runFiles } from "../../core/paths.ts";
import { exitCodeForStatus, runToJson } from "../../core/run_view.ts";
import type { RunRow } from "../../core/ledger.ts";
import { printRunEnd } from "./run_end.ts";

export async function tail(
  ctx: CommandContext,
  selector: string,
  f: { json?: boolean; plain?: boolean },
): Promise<number> {
  if (!f.json && !f.plain && Deno.stdin.isTerminal() && Deno.stdout.isTerminal()) {
    const { tailTui } = await import("./tui/mod.ts");
    const code = await tailTui(ctx, selector);
    // Null: the run has ended; below, it is printed as on any output.
    if (code !== null) return code;
  }
  const { selectStarted } = await import("../../core/select.ts");
  const { followRun } = await import("../../core/follow.ts");
  const db = await ctx.openStore({ readOnly: true });
  try {
    const row = selectStarted(db, selector, { preferRunning: true });
    const files = runFiles(row.run_id);
    let end: RunRow | null;
    if (f.json) {
      // Normalized events, re-read from the raw stream with the backend's own parser.
      const parser = ctx.registry.backend(row.backend_type)?.createParser();
      // In order, even when the parser (a plugin's) answers asynchronously.
      let printed: Promise<void> = Promise.resolve();
      end = await followRun(db, row.run_id, {
        file: files.raw,
        onLine: (line) => {
          printed = printed.then(async () => {
            for (const ev of await parser?.push(line) ?? []) outLine(JSON.stringify(ev));
          });
        },
      });
      await printed;
      if (end) outLine(JSON.stringify({ kind: "end", run: runToJson(end) }));
    } else {
      // Progress on stderr, the answer on stdout and RESULT= last: what `run` prints.
      end = await followRun(db, row.run_id, {
        file: files.out,
        onLine: (line) => {
          if (!line.startsWith("RESULT=")) errLine(line);
        },
      });
      if (end) printRunEnd(end, { answer: true });
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
        "Print a run's progress lines (stderr), follow them while it runs, and end as `run` " +
          "does: the final answer on stdout, RESULT=<path> as the last stderr line. On a " +
          "finished run, prints what happened. Exits with the run's exit status. " +
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

/** `handoff wait`: block until a run ends; exit with its status. */
import type { CommandContext, CommandSpec } from "../../core/registry.ts";
import { setExitCode } from "../../core/cli.ts";
import { EXIT } from "../../core/errors.ts";
import { clock, err, errColors, errLine, formatDuration, outLine } from "../../core/output.ts";
import { durationFlag } from "../../core/duration.ts";
import { exitCodeForStatus, runToJson } from "../../core/run_view.ts";
import { printRunEnd } from "./run_end.ts";

const SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
const QUIET_PROGRESS_MS = 60_000;

export async function wait(
  ctx: CommandContext,
  selector: string,
  f: { timeout?: string; json?: boolean },
): Promise<number> {
  const timeoutMs = durationFlag("--timeout", f.timeout, { zero: true });
  const { selectStarted } = await import("../../core/select.ts");
  const { followRun } = await import("../../core/follow.ts");
  const db = await ctx.openStore({ readOnly: true });
  try {
    const row = selectStarted(db, selector, { preferRunning: true });
    const tty = Deno.stderr.isTerminal();
    const c = errColors();
    let frame = 0;
    let lastNote = Date.now();
    const end = await followRun(db, row.run_id, {
      timeoutMs,
      onTick: (r) => {
        const elapsed = formatDuration(
          Date.now() - (r.started_at ?? r.created_at),
        );
        if (tty) {
          err(
            `\r${
              c.cyan(SPINNER[frame++ % SPINNER.length])
            } waiting for ${r.run_id} (${r.status}, ${elapsed})\x1b[K`,
          );
        } else if (Date.now() - lastNote >= QUIET_PROGRESS_MS) {
          errLine(`${clock()} still waiting for ${r.run_id} (${elapsed})`);
          lastNote = Date.now();
        }
      },
    });
    if (tty) err("\r\x1b[K");
    if (!end) {
      errLine(`handoff: ${row.run_id} is still running after ${formatDuration(timeoutMs!)}`);
      return EXIT.TIMEOUT;
    }
    if (f.json) outLine(JSON.stringify(runToJson(end), null, 2));
    printRunEnd(end, { answer: !f.json });
    return exitCodeForStatus(end.status);
  } finally {
    db.close();
  }
}

export const waitCommand: CommandSpec = {
  name: "wait",
  summary: "block until a run ends and exit with its status",
  register(program, ctx) {
    program.command("wait")
      .summary("block until a run ends and exit with its status")
      .description(
        "Block until the run ends, then print as `run` does (the final answer on stdout, " +
          "RESULT=<path> as the last stderr line) and exit with the run's status (0 success, " +
          "1 error or lost, 130 interrupted; 124 when --timeout expires).",
      )
      .argument("<run>", "run id, id prefix, name (slug), seq code (03), RESULT path, or latest")
      .option(
        "-t, --timeout <duration>",
        "give up after this long: seconds, or 90s, 30m, 2h (exit 124)",
      )
      .option("--json", "print the finished run as JSON on stdout")
      .action(async (sel, f) => setExitCode(await wait(ctx, sel, f)));
  },
};

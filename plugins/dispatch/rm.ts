/** `handoff rm <run>…`: remove runs and their files (never a running one). */
import type { CommandContext, CommandSpec } from "../../core/registry.ts";
import { setExitCode } from "../../core/cli.ts";
import { HandoffError } from "../../core/errors.ts";
import { errColors, errLine, outLine } from "../../core/output.ts";
import { confirm } from "../../core/ask.ts";
import type { RunRow } from "../../core/ledger.ts";

/** `1.2 MB`: freed space, for people. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** Removes the rows and files of `rows` (after asking on a terminal); prints what went. */
export async function removeRuns(
  ctx: CommandContext,
  rows: RunRow[],
  f: { yes?: boolean; json?: boolean; dryRun?: boolean },
): Promise<number> {
  const { deleteRun } = await import("../../core/ledger.ts");
  const c = errColors();
  const running = rows.filter((r) => r.status === "running");
  for (const r of running) {
    errLine(`${c.yellow("!")} ${r.run_id} is running: kept (handoff kill first)`);
  }
  const doomed = rows.filter((r) => r.status !== "running");
  if (f.dryRun) {
    for (const r of doomed) errLine(`would remove ${r.run_id} (${r.status})`);
    if (f.json) outLine(JSON.stringify({ would_remove: doomed.map((r) => r.run_id) }));
    errLine(`${doomed.length} run(s) would be removed (dry run: nothing changed)`);
    return 0;
  }
  // Asked on a terminal only: a script's `handoff rm` means it.
  if (
    doomed.length && !f.yes && Deno.stdin.isTerminal() &&
    !(await confirm(`Remove ${doomed.length} run(s) and their files?`))
  ) {
    errLine("Cancelled.");
    return 1;
  }
  const db = await ctx.openStore();
  const removed: string[] = [];
  let bytes = 0;
  try {
    for (const r of doomed) {
      const freed = deleteRun(db, r.run_id);
      if (freed === false) {
        errLine(`${c.yellow("!")} ${r.run_id} started meanwhile: kept`);
        continue;
      }
      removed.push(r.run_id);
      bytes += freed;
    }
  } finally {
    db.close();
  }
  if (f.json) outLine(JSON.stringify({ removed, bytes_freed: bytes }));
  errLine(`${c.green("✓")} removed ${removed.length} run(s), ${formatBytes(bytes)} freed`);
  return running.length && !removed.length ? 1 : 0;
}

export async function rm(
  ctx: CommandContext,
  selectors: string[],
  f: { yes?: boolean; json?: boolean },
): Promise<number> {
  const { selectRun } = await import("../../core/select.ts");
  const { reconcile } = await import("../../core/ledger.ts");
  const db = await ctx.openStore();
  let rows: RunRow[];
  try {
    reconcile(db);
    rows = selectors.map((s) => selectRun(db, s));
  } finally {
    db.close();
  }
  const unique = [...new Map(rows.map((r) => [r.run_id, r])).values()];
  if (unique.length === 0) throw new HandoffError("no run named", 2);
  return await removeRuns(ctx, unique, f);
}

export const rmCommand: CommandSpec = {
  name: "rm",
  summary: "remove runs and their files",
  register(program, ctx) {
    program.command("rm")
      .summary("remove runs and their files")
      .description(
        "Remove runs from the ledger together with their files (prompt, progress, result, raw " +
          "stream). A running run is never removed: stop it with `handoff kill` first. On a " +
          "terminal it asks first (--yes skips the question).",
      )
      .argument("<run...>", "run ids, id prefixes, names (slugs), seq codes, RESULT paths")
      .option("-y, --yes", "do not ask")
      .option("--json", "print {removed, bytes_freed} on stdout")
      .action(async (sels, f) => setExitCode(await rm(ctx, sels, f)));
  },
};

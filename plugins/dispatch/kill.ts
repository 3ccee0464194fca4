/** `handoff kill`: stop a run's backend (its whole process group) and mark it interrupted. */
import type { CommandContext, CommandSpec } from "../../core/registry.ts";
import { setExitCode } from "../../core/cli.ts";
import { HandoffError } from "../../core/errors.ts";
import { errLine, outLine } from "../../core/output.ts";
import { isSameProcess, killPid, processTree, signalTree } from "../../core/proc.ts";
import type { RunRow } from "../../core/ledger.ts";
import type { Db } from "../../core/store.ts";

const OWNER_GRACE_MS = 10_000;

/**
 * Stops a running run: marks it interrupted, then SIGTERMs its supervising handoff (which
 * stops the backend and writes the result file) or, without one, the backend's process
 * tree; SIGKILL whatever is left after a grace period. Resolves with the run's final
 * status. Shared by `handoff kill` and the TUI's `k`.
 */
export async function stopRun(db: Db, row: RunRow): Promise<string> {
  const { getRun, markEnded } = await import("../../core/ledger.ts");
  if (row.status !== "running") {
    throw new HandoffError(
      `run ${row.run_id} is not running (${row.status})`,
    );
  }
  // Mark first: the supervising handoff sees `interrupted` when its backend dies.
  markEnded(db, row.run_id, "interrupted", "killed with handoff kill");
  const ownerAlive = () => isSameProcess(row.owner_pid, row.owner_start);
  const childAlive = () => row.pid !== null && isSameProcess(row.pid, row.pid_start);
  const tree = childAlive() ? processTree(row.pid!) : [];
  // The supervisor stops the backend and writes the result file; without one, we do.
  if (ownerAlive()) killPid(row.owner_pid!, "SIGTERM");
  else if (tree.length) signalTree(row.pid!, tree, "SIGTERM");
  const deadline = Date.now() + OWNER_GRACE_MS;
  while (Date.now() < deadline && (ownerAlive() || childAlive())) {
    await new Promise((r) => setTimeout(r, 100));
  }
  if (tree.length) signalTree(row.pid!, tree, "SIGKILL");
  if (ownerAlive()) killPid(row.owner_pid!, "SIGKILL");
  return getRun(db, row.run_id)?.status ?? "interrupted";
}

export async function kill(
  ctx: CommandContext,
  selector: string,
  f: { json?: boolean } = {},
): Promise<number> {
  const { selectRun } = await import("../../core/select.ts");
  const { cancelReserved, reconcile } = await import("../../core/ledger.ts");
  const db = await ctx.openStore();
  try {
    reconcile(db);
    const row = selectRun(db, selector, { preferRunning: true });
    if (row.status === "reserved") {
      if (!cancelReserved(db, row.run_id)) {
        throw new HandoffError(`run ${row.run_id} started meanwhile: try again to stop it`);
      }
      errLine(`cancelled the reservation ${row.run_id} (its prompt file, if any, is kept)`);
      if (f.json) outLine(JSON.stringify({ run_id: row.run_id, status: "cancelled" }));
      return 0;
    }
    const status = await stopRun(db, row);
    errLine(`killed ${row.run_id} (${status})`);
    if (f.json) outLine(JSON.stringify({ run_id: row.run_id, status }));
    return 0;
  } finally {
    db.close();
  }
}

export const killCommand: CommandSpec = {
  name: "kill",
  summary: "stop a running run (or cancel a reservation)",
  register(program, ctx) {
    program.command("kill")
      .alias("cancel")
      .summary("stop a running run (or cancel a reservation)")
      .description(
        "Stop a run's backend (its whole process tree) and mark the run interrupted. By name, " +
          "the running run of that name is meant. On a reservation (`handoff new`), cancel it.",
      )
      .argument("<run>", "run id, id prefix, name (slug), seq code (03), RESULT path, or latest")
      .option("--json", "print {run_id, status} on stdout")
      .action(async (sel, f) => setExitCode(await kill(ctx, sel, f)));
  },
};

/** `handoff prune --older-than 30d`: remove old runs and their files, in bulk. */
import type { CommandContext, CommandSpec } from "../../core/registry.ts";
import { setExitCode } from "../../core/cli.ts";
import { usageError } from "../../core/errors.ts";
import { durationFlag } from "../../core/duration.ts";
import { RUN_STATUSES, type RunRow } from "../../core/ledger.ts";
import { removeRuns } from "./rm.ts";

export interface PruneFlags {
  olderThan: string;
  status?: string;
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
}

/** `success,error` → the statuses; a running run is never pruned. */
export function pruneStatuses(text: string | undefined): string[] {
  if (text === undefined) return RUN_STATUSES.filter((s) => s !== "running");
  const list = text.split(",").map((s) => s.trim()).filter((s) => s);
  for (const s of list) {
    if (!(RUN_STATUSES as readonly string[]).includes(s) || s === "running") {
      throw usageError(
        `--status: "${s}" is not one of ${RUN_STATUSES.filter((x) => x !== "running").join(", ")}`,
      );
    }
  }
  return list;
}

export async function prune(ctx: CommandContext, f: PruneFlags): Promise<number> {
  const ms = durationFlag("--older-than", f.olderThan, { zero: false })!;
  const statuses = pruneStatuses(f.status);
  const { reconcile } = await import("../../core/ledger.ts");
  const db = await ctx.openStore();
  let rows: RunRow[];
  try {
    reconcile(db);
    const cutoff = Date.now() - ms;
    rows = db.prepare(
      `SELECT * FROM runs WHERE status IN (${statuses.map(() => "?").join(", ")})
         AND coalesce(ended_at, created_at) < ? ORDER BY id`,
    ).all(...statuses, cutoff) as unknown as RunRow[];
  } finally {
    db.close();
  }
  return await removeRuns(ctx, rows, f);
}

export const pruneCommand: CommandSpec = {
  name: "prune",
  summary: "remove runs older than a duration, with their files",
  register(program, ctx) {
    program.command("prune")
      .summary("remove runs older than a duration, with their files")
      .description(
        "Remove every run that ended (or, if it never started, was reserved) longer ago than " +
          "--older-than, with its files. Running runs are never removed. --status narrows it " +
          "(e.g. error,lost); --dry-run lists what would go. On a terminal it asks first.",
      )
      .requiredOption("--older-than <duration>", "e.g. 30d, 12h, 90m")
      .option("--status <list>", `comma-separated statuses (${RUN_STATUSES.join(", ")})`)
      .option("--dry-run", "only say what would be removed")
      .option("-y, --yes", "do not ask")
      .option("--json", "print what was (or would be) removed on stdout")
      .action(async (f) => setExitCode(await prune(ctx, f as PruneFlags)));
  },
};

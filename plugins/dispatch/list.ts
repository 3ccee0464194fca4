/** `handoff list`: the ledger, newest first (a plain table; --json for scripts). */
import type { CommandContext, CommandSpec } from "../../core/registry.ts";
import { setExitCode } from "../../core/cli.ts";
import { usageError } from "../../core/errors.ts";
import { errLine, outColors, outLine, type Palette, safeText } from "../../core/output.ts";
import { tildePath } from "../../core/paths.ts";
import { RUN_STATUSES, type RunRow } from "../../core/ledger.ts";
import {
  costTotal,
  formatAge,
  formatCost,
  formatRunDuration,
  runToJson,
} from "../../core/run_view.ts";

export interface ListFlags {
  json?: boolean;
  limit?: string;
  status?: string;
  backend?: string;
  plain?: boolean;
}

export function statusColor(c: Palette, status: string): string {
  switch (status) {
    case "success":
      return c.green(status);
    case "error":
    case "lost":
      return c.red(status);
    case "running":
      return c.cyan(status);
    case "interrupted":
      return c.yellow(status);
    default:
      return c.dim(status);
  }
}

function pad(s: string, n: number, visible = s.length): string {
  return visible >= n ? s : s + " ".repeat(n - visible);
}

/** The plain table: one run per line, columns sized to their content. */
export function formatTable(
  rows: RunRow[],
  c: Palette,
  now = Date.now(),
  width = 120,
): string[] {
  const cells = rows.map((r) => ({
    id: r.run_id,
    status: r.status,
    backend: r.backend,
    age: formatAge(now - r.created_at),
    time: formatRunDuration(r, now),
    cost: formatCost(r),
    cwd: tildePath(r.cwd).split("/").pop() || "/",
    title: safeText((r.pro ? "[pro] " : "") + (r.title || r.slug)),
  }));
  const head = {
    id: "RUN",
    status: "STATUS",
    backend: "BACKEND",
    age: "AGE",
    time: "TIME",
    cost: "COST",
    cwd: "CWD",
    title: "PROMPT",
  };
  const cols = [
    "id",
    "status",
    "backend",
    "age",
    "time",
    "cost",
    "cwd",
  ] as const;
  const w = Object.fromEntries(
    cols.map((
      k,
    ) => [k, Math.max(head[k].length, ...cells.map((x) => x[k].length))]),
  ) as Record<typeof cols[number], number>;
  w.cwd = Math.min(w.cwd, 20);
  const fixed = cols.reduce((n, k) => n + w[k] + 2, 0);
  const titleWidth = Math.max(8, width - fixed); // a wrapped line would break the table
  const line = (x: typeof head, paint: boolean) =>
    cols.map((k) => {
      const v = k === "cwd" && x[k].length > w.cwd ? x[k].slice(0, w.cwd - 1) + "…" : x[k];
      return k === "status" && paint ? pad(statusColor(c, v), w[k], v.length) : pad(v, w[k]);
    }).join("  ") + "  " +
    (x.title.length > titleWidth ? x.title.slice(0, titleWidth - 1) + "…" : x.title);
  return [c.bold(line(head, false)), ...cells.map((x) => line(x, true))];
}

export async function list(
  ctx: CommandContext,
  f: ListFlags,
): Promise<number> {
  const limit = f.limit === undefined ? 50 : Number(f.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    throw usageError(`--limit must be a positive number, got "${f.limit}"`);
  }
  if (f.status && !(RUN_STATUSES as readonly string[]).includes(f.status)) {
    throw usageError(
      `unknown status "${f.status}" (one of: ${RUN_STATUSES.join(", ")})`,
    );
  }
  // An explicit --limit asks for that many lines, so it prints the table.
  const fullScreen = !f.json && !f.plain && f.limit === undefined;
  if (fullScreen && Deno.stdin.isTerminal() && Deno.stdout.isTerminal()) {
    const { listTui } = await import("./tui/mod.ts");
    return await listTui(ctx, { status: f.status, backend: f.backend });
  }
  const { listRuns, reconcile } = await import("../../core/ledger.ts");
  const db = await ctx.openStore({ readOnly: true });
  try {
    reconcile(db);
    const rows = listRuns(db, { limit, status: f.status, backend: f.backend });
    if (f.json) {
      outLine(JSON.stringify(rows.map(runToJson), null, 2));
      return 0;
    }
    if (!rows.length) {
      outLine("(no runs)");
      return 0;
    }
    const width = Deno.stdout.isTerminal() ? Deno.consoleSize().columns : 160;
    for (const l of formatTable(rows, outColors(), Date.now(), width)) {
      outLine(l);
    }
    const total = costTotal(rows);
    if (total) {
      // `est.`: part of it is the CLI's own figure at Anthropic prices (another endpoint).
      errLine(`${rows.length} run${rows.length === 1 ? "" : "s"} listed · cost ${total}`);
    }
    return 0;
  } finally {
    db.close();
  }
}

export const listCommand: CommandSpec = {
  name: "list",
  summary: "list runs, newest first",
  register(program, ctx) {
    program.command("list")
      .alias("ls")
      .summary("list runs, newest first")
      .description(
        "List runs, newest first. On a terminal: a full-screen view with live status, a " +
          "detail view (Stream, Output, Prompt, Result), filters (/), resume (r), open (o), " +
          "kill (k) and copy (y); q quits. Otherwise, or with --plain / --json / --limit: a table.",
      )
      .option("--json", "print a JSON array of runs")
      .option("-n, --limit <n>", "how many runs (default 50)")
      .option(
        "--status <status>",
        `only runs with this status (${RUN_STATUSES.join(", ")})`,
      )
      .option("-b, --backend <name>", "only runs of this backend")
      .option("--plain", "plain table even on a terminal (default there: full screen)")
      .action(async (f) => setExitCode(await list(ctx, f)));
  },
};

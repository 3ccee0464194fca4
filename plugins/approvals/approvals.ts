// `handoff approvals [--all] [--json]`: the permission requests agents are waiting on.

import type { Command } from "@commander-js/extra-typings";
import { setExitCode } from "../../core/cli.ts";
import { errLine, jsonVisible, outLine, table } from "../../core/output.ts";
import type { CommandContext, CommandSpec } from "../../core/registry.ts";
import { openDb } from "../../core/store.ts";
import { expireDue, openRequests, recentRequests } from "./requests.ts";
import { REQUEST_HEAD, requestJson, requestRow } from "./view.ts";

export function listApprovals(ctx: CommandContext, f: { all?: boolean; json?: boolean }): number {
  const db = openDb(ctx.paths().db);
  try {
    const now = ctx.now();
    try {
      expireDue(db, now);
    } catch { /* a read-only home: expired ones are still left out below */ }
    const requests = f.all ? recentRequests(db, 50) : openRequests(db, now);
    if (f.json) {
      outLine(jsonVisible(requests.map(requestJson), 2));
      return 0;
    }
    if (requests.length === 0) {
      errLine(
        f.all
          ? "No permission requests yet (handoff init --hooks --approvals sends them here)."
          : "No agent is waiting for a permission.",
      );
      return 0;
    }
    for (const line of table(REQUEST_HEAD, requests.map((r) => requestRow(r, now)))) outLine(line);
    if (!f.all) errLine("Answer with: handoff approve ID [--always] | handoff deny ID [-m TEXT]");
    return 0;
  } finally {
    db.close();
  }
}

export const approvalsCommand: CommandSpec = {
  name: "approvals",
  summary: "permission requests agents are waiting on",
  register(program: Command, ctx: CommandContext) {
    program.command("approvals")
      .summary("permission requests agents are waiting on")
      .description(
        "The requests agents wait on (from `init --hooks --approvals` and ACP runs with " +
          "permission_mode: ask), oldest first. Paired phones get each one as a `permission` " +
          "event and may answer it; so may `handoff approve` and `handoff deny`.",
      )
      .option("--all", "also the recent ones that were answered or expired")
      .option("--json", "print JSON on stdout")
      .action((f) => setExitCode(listApprovals(ctx, f)));
  },
};

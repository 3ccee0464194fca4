// `handoff approve ID [--always]` and `handoff deny ID [-m TEXT]`: answering at the desk.
// An ID may be shortened to any unique prefix of at least 4 characters.

import type { Command } from "@commander-js/extra-typings";
import { setExitCode } from "../../core/cli.ts";
import { kickDeliveryIfSinks } from "../../core/delivery_kick.ts";
import { HandoffError, usageError } from "../../core/errors.ts";
import {
  errColors,
  errLine,
  escapeControls,
  isPrintable,
  jsonVisible,
  outLine,
} from "../../core/output.ts";
import type { CommandContext, CommandSpec } from "../../core/registry.ts";
import { type Db, openDb } from "../../core/store.ts";
import { MAX_DENY_MESSAGE } from "./gate_verbs.ts";
import { openRequests, type PermissionRequest, resolveRequest } from "./requests.ts";
import { pickOption } from "./summary.ts";
import { requestJson } from "./view.ts";

/** The open request an id (or a unique prefix of one) names. */
export function findOpen(db: Db, id: string, now: Date): PermissionRequest {
  if (!/^[A-Za-z0-9_-]{4,22}$/.test(id)) {
    throw usageError(`not a request id: ${JSON.stringify(id)}`, "handoff approvals lists them");
  }
  const hits = openRequests(db, now).filter((r) => r.requestId.startsWith(id));
  if (hits.length === 1) return hits[0];
  if (hits.length > 1) {
    throw usageError(`${id} is the start of ${hits.length} requests: give more of it`);
  }
  throw new HandoffError(
    `no open request ${id} (answered, expired, or never asked)`,
    1,
    "handoff approvals lists the open ones; --all the answered ones too",
  );
}

/** Variables an agent sets for the commands it runs (handoff's own runs set the first). */
const AGENT_MARKERS = ["HANDOFF_RUN_ID", "CLAUDECODE", "CODEX_SANDBOX", "CODEX_THREAD_ID"];

/** The marker of the agent whose shell this is, if it is one. */
export function insideAgent(env: (name: string) => string | undefined): string | null {
  return AGENT_MARKERS.find((m) => (env(m) ?? "") !== "") ?? null;
}

export function answerAtDesk(
  ctx: CommandContext,
  answer: "once" | "always" | "deny",
  id: string,
  f: { message?: string; json?: boolean },
): number {
  const agent = insideAgent((n) => Deno.env.get(n));
  if (agent) {
    throw usageError(
      `refused inside an agent's shell (${agent} is set): an agent must not answer ` +
        "permission requests, its own or another's",
      "answer from your terminal, the full-screen handoff list, or the phone",
    );
  }
  const message = f.message?.trim() ?? "";
  if (!isPrintable(message) || Array.from(message).length > MAX_DENY_MESSAGE) {
    throw usageError(`-m: at most ${MAX_DENY_MESSAGE} printable characters on one line`);
  }
  const db = openDb(ctx.paths().db);
  try {
    const now = ctx.now();
    const req = findOpen(db, id, now);
    const option = pickOption(req.options, answer);
    if (!option) {
      throw usageError(
        `the agent does not offer "${answer}" for this request (it offers ${
          req.options.map((o) => escapeControls(o.id)).join(", ")
        })`,
      );
    }
    const r = resolveRequest(db, req.requestId, {
      status: answer === "deny" ? "denied" : "allowed",
      option,
      by: "desk",
      message: message || null,
    }, now);
    if (!r.ok) {
      throw new HandoffError(
        r.why === "already_decided"
          ? `request ${req.requestId} was answered meanwhile`
          : `request ${req.requestId} expired meanwhile`,
      );
    }
    kickDeliveryIfSinks(ctx.paths().home, db);
    const c = errColors();
    errLine(
      `${c.green("✓")} ${
        answer === "deny" ? "denied" : `allowed (${option.id})`
      }: ${r.request.summary}`,
    );
    if (f.json) outLine(jsonVisible(requestJson(r.request), 2));
    return 0;
  } finally {
    db.close();
  }
}

export const approveCommand: CommandSpec = {
  name: "approve",
  summary: "allow what an agent asks for (see handoff approvals)",
  register(program: Command, ctx: CommandContext) {
    program.command("approve")
      .summary("allow what an agent asks for (see handoff approvals)")
      .argument("<id>", "the request id, or a unique prefix of it (at least 4 characters)")
      .option("--always", "allow it from now on too, where the agent offers that")
      .option("--json", "print the answered request as JSON on stdout")
      .action((id, f) =>
        setExitCode(answerAtDesk(ctx, f.always ? "always" : "once", id, { json: f.json }))
      );
  },
};

export const denyCommand: CommandSpec = {
  name: "deny",
  summary: "refuse what an agent asks for (see handoff approvals)",
  register(program: Command, ctx: CommandContext) {
    program.command("deny")
      .summary("refuse what an agent asks for (see handoff approvals)")
      .argument("<id>", "the request id, or a unique prefix of it (at least 4 characters)")
      .option("-m, --message <text>", "tell the agent why")
      .option("--json", "print the answered request as JSON on stdout")
      .action((id, f) => setExitCode(answerAtDesk(ctx, "deny", id, f)));
  },
};

/**
 * Asking the phones from inside handoff: an ACP run with `permission_mode: ask` turns the
 * agent's `session/request_permission` into a request here (with the agent's own
 * options), scoped to the tab the run was started from, and waits for the first answer.
 */
import { isPrintable } from "../../core/output.ts";
import { disabledInLock, paths } from "../../core/paths.ts";
import { getRun } from "../../core/ledger.ts";
import { openDb } from "../../core/store.ts";
import { DEFAULT_APPROVAL_WAIT_S } from "../notify/hook_config.ts";
import { isOptionKind, type RequestOption, shortLine } from "./summary.ts";
import { anyoneMayAnswer, askAndWait } from "./wait.ts";

export interface AskPhones {
  /** Who asks, as phones show it: `acp:gemini`. */
  agent: string;
  tool: string;
  summary: string;
  /** The agent's options (ACP `optionId`, `kind`, `name`). */
  options: unknown[];
  runId: string | null;
  cwd: string;
  signal: AbortSignal;
  /** Defaults to $HANDOFF_APPROVAL_WAIT_S, else 90 s. */
  waitS?: number;
}

/** What the phones said: the option chosen and by whom; or why there is no answer. */
export type PhoneAnswer =
  | { optionId: string; allowed: boolean; by: string }
  | { optionId: null; why: "nobody" | "timeout" | "cancelled" | "disabled" };

/** ACP permission options → request options (unknown kinds are left out). */
export function acpOptions(options: unknown[]): RequestOption[] {
  return options.flatMap((o) => {
    const x = o as { optionId?: unknown; kind?: unknown; name?: unknown };
    // An id that is not plain text is the agent's problem, not something to show a phone.
    if (typeof x?.optionId !== "string" || !isOptionKind(x.kind)) return [];
    if (!isPrintable(x.optionId) || x.optionId.length > 200) return [];
    return [{ id: x.optionId, kind: x.kind, label: shortLine(String(x.name ?? x.optionId), 60) }];
  });
}

function waitSeconds(): number {
  const n = Number(Deno.env.get("HANDOFF_APPROVAL_WAIT_S"));
  return Number.isFinite(n) && n >= 1 && n <= 3600 ? n : DEFAULT_APPROVAL_WAIT_S;
}

/** Asks every phone that may answer for this run's tab; resolves with the first answer. */
export async function askPhones(a: AskPhones): Promise<PhoneAnswer> {
  const p = paths();
  if (disabledInLock(p.home, "approvals")) return { optionId: null, why: "disabled" };
  const db = openDb(p.db);
  try {
    const run = a.runId === null ? null : getRun(db, a.runId);
    const session = run?.tmux_session ?? null;
    const now = new Date();
    if (!anyoneMayAnswer(db, session, now)) return { optionId: null, why: "nobody" };
    const answer = await askAndWait({
      db,
      dbFile: p.db,
      home: p.home,
      now,
      request: {
        agent: a.agent,
        source: "handoff",
        tool: a.tool,
        summary: shortLine(a.summary),
        options: acpOptions(a.options),
        session,
        window: run?.tmux_window ?? null,
        cwd: a.cwd,
        runId: a.runId,
        waitMs: (a.waitS ?? waitSeconds()) * 1000,
      },
      signal: a.signal,
    });
    if (answer === "flooded") return { optionId: null, why: "nobody" };
    if (answer === "timeout" || answer === "abort") {
      return { optionId: null, why: answer === "abort" ? "cancelled" : "timeout" };
    }
    if (answer.optionId === null) return { optionId: null, why: "timeout" };
    return {
      optionId: answer.optionId,
      allowed: answer.status === "allowed",
      by: answer.decidedBy ?? "someone",
    };
  } finally {
    db.close();
  }
}

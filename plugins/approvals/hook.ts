/**
 * `handoff approval-hook`: the PermissionRequest hook `init --hooks --approvals` installs
 * for Claude Code (and Codex, whose hook speaks the same JSON). It records the request,
 * tells every phone that may answer it (a `permission` event), waits for an answer, and
 * prints the hook's decision.
 *
 * It never answers by itself and never holds the agent longer than its wait: no device
 * that could answer, a store it cannot open, a malformed payload, any error — it exits 0
 * at once with nothing on stdout, and the agent's own dialog (which Claude Code shows
 * while the hook runs) is answered at the desk as before. Answered there, the request is
 * closed as soon as the agent's transcript shows the tool call's result.
 */
import { parseFlags } from "../../core/flags.ts";
import { insertEvent } from "../../core/event_log.ts";
import { kickDeliveryIfSinks } from "../../core/delivery_kick.ts";
import { paths } from "../../core/paths.ts";
import { openDb, transaction } from "../../core/store.ts";
import { DEFAULT_APPROVAL_WAIT_S } from "../notify/hook_config.ts";
import { readStdinPayload } from "../notify/notify.ts";
import { tabOfPane } from "../tmux/pane.ts";
import type { PermissionRequest } from "./requests.ts";
import { claudeOptions, claudeRequestSummary } from "./summary.ts";
import { pendingToolUseId, toolResult, TranscriptTail } from "./transcript.ts";
import { anyoneMayAnswer, askAndWait } from "./wait.ts";

const BUSY_TIMEOUT_MS = 3000;

export const APPROVAL_HOOK_USAGE =
  `Usage: handoff approval-hook [--source claude-code|codex] [--wait SECONDS]

The PermissionRequest hook that \`handoff init --hooks --approvals\` installs: the request
goes to every paired phone that may answer it; the first answer (phone, or \`handoff
approve|deny\` at the desk) is printed as the hook's decision. Without one within the wait
(default ${DEFAULT_APPROVAL_WAIT_S} s) it prints nothing, and the agent's own prompt decides. Always exits 0.
`;

type Json = Record<string, unknown>;
const isMap = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown) => typeof v === "string" && v !== "" ? v : null;

function say(text: string): void {
  console.error(`handoff approval-hook: ${text}`);
}

/** The decision JSON Claude Code (and Codex) read from a PermissionRequest hook. */
export function decisionOutput(req: PermissionRequest, suggestions: unknown): Json | null {
  const option = req.options.find((o) => o.id === req.optionId);
  if (req.status === "allowed") {
    const decision: Json = { behavior: "allow" };
    if (option?.kind === "allow_always" && Array.isArray(suggestions)) {
      decision.updatedPermissions = suggestions;
    }
    return { hookSpecificOutput: { hookEventName: "PermissionRequest", decision } };
  }
  if (req.status === "denied") {
    const who = req.decidedBy?.startsWith("phone:") ? ` from ${req.decidedBy.slice(6)}` : "";
    return {
      hookSpecificOutput: {
        hookEventName: "PermissionRequest",
        decision: { behavior: "deny", message: req.message || `Denied${who} (handoff)` },
      },
    };
  }
  return null; // expired or answered at the desk: the agent's own prompt decides
}

/** The seconds of `--wait`: 1 s to 1 h. */
export function waitSeconds(text: string | undefined): number {
  if (text === undefined) return DEFAULT_APPROVAL_WAIT_S;
  const n = Number(text);
  return Number.isFinite(n) && n >= 1 && n <= 3600 ? n : DEFAULT_APPROVAL_WAIT_S;
}

export async function approvalHookMain(args: string[]): Promise<number> {
  const flags = parseFlags(args, {
    source: { type: "string" },
    wait: { type: "string" },
    help: { type: "boolean" },
  }, false).values as { source?: string; wait?: string; help?: boolean };
  if (flags.help) {
    console.log(APPROVAL_HOOK_USAGE);
    return 0;
  }
  try {
    await run(flags.source === "codex" ? "codex" : "claude-code", waitSeconds(flags.wait));
  } catch (e) {
    say(`${(e as Error).message} (the agent's own prompt decides)`);
  }
  return 0;
}

async function run(source: "claude-code" | "codex", waitS: number): Promise<void> {
  const text = await readStdinPayload();
  let payload: Json | null = null;
  try {
    payload = text === null ? null : JSON.parse(text);
  } catch { /* below */ }
  if (!isMap(payload) || payload.hook_event_name !== "PermissionRequest") {
    say("not a PermissionRequest hook payload: nothing to ask");
    return;
  }
  const tool = str(payload.tool_name) ?? "a tool";
  const pane = Deno.env.get("TMUX_PANE");
  const tab = pane ? await tabOfPane(pane) : null;
  const p = paths();
  const db = openDb(p.db);
  try {
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const now = new Date();
    const summary = claudeRequestSummary(tool, payload.tool_input);
    const base = {
      session: tab?.session ?? null,
      window: tab?.window ?? null,
      cwd: str(payload.cwd) ?? Deno.cwd(),
      source,
      agentSessionId: str(payload.session_id),
      runId: Deno.env.get("HANDOFF_RUN_ID") || null,
    };
    if (!anyoneMayAnswer(db, base.session, now)) {
      // Phones that may only look are still told, as `notify` would tell them.
      transaction(db, () =>
        insertEvent(db, {
          ...base,
          type: "permission",
          title: source === "codex" ? "Codex needs permission" : "Claude needs permission",
          message: summary,
        }));
      kickDeliveryIfSinks(p.home, db);
      return;
    }
    const answer = await askAndWait({
      db,
      dbFile: p.db,
      home: p.home,
      now,
      request: {
        ...base,
        agent: source,
        tool,
        summary,
        options: source === "codex"
          ? claudeOptions(null)
          : claudeOptions(payload.permission_suggestions),
        waitMs: waitS * 1000,
      },
      signal: stopSignal(),
      // Codex waits for the hook before it shows its own prompt: nothing to watch there.
      elsewhere: source === "claude-code"
        ? deskWatch(str(payload.transcript_path), tool, payload.tool_input)
        : undefined,
    });
    if (answer === "flooded") {
      say("too many requests wait for this tab already: the agent's own prompt decides");
      return;
    }
    if (answer === "timeout" || answer === "abort") return;
    const out = decisionOutput(answer, payload.permission_suggestions);
    if (out) console.log(JSON.stringify(out));
  } finally {
    db.close();
  }
}

/** Aborts when the agent stops the hook (a signal) or goes away (we are orphaned). */
function stopSignal(): AbortSignal {
  const ac = new AbortController();
  const parent = Deno.ppid;
  const stop = () => ac.abort();
  for (const s of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    try {
      Deno.addSignalListener(s, stop);
    } catch { /* not on this platform */ }
  }
  const timer = setInterval(() => Deno.ppid !== parent && stop(), 500);
  Deno.unrefTimer(timer);
  return ac.signal;
}

/**
 * The check for "answered in the agent's own dialog": the tool call's result appears in
 * Claude Code's transcript. Without a transcript there is no such check.
 */
function deskWatch(path: string | null, tool: string, input: unknown) {
  if (path === null) return undefined;
  const tail = new TranscriptTail(path);
  let seen = tail.start();
  let callId = pendingToolUseId(seen, tool, input);
  return () => {
    const fresh = tail.read();
    if (fresh === "") return null;
    if (callId === null) {
      seen += fresh;
      callId = pendingToolUseId(seen, tool, input);
      if (callId === null) return null;
    }
    const result = toolResult(fresh, callId);
    return result ? { status: "elsewhere" as const, by: "agent" } : null;
  };
}

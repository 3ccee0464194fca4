/**
 * `handoff notify`: append one event to the event log. Runs on every agent turn (as a
 * Claude Code or Codex hook), so it takes the fast path: core/flags.ts, no commander, no
 * config file.
 *
 * Called as a hook (a hook payload on stdin or as a JSON argument) it never fails the
 * agent: whatever goes wrong is said on stderr and the exit status is 0 — never 2, which
 * Claude Code reads as "block".
 */
import { type FlagSpec, parseFlags } from "../../core/flags.ts";
import {
  appendEvent,
  CONTROL_TYPES,
  type EventRecord,
  type NewEvent,
} from "../../core/event_log.ts";
import { err, out } from "../../core/output.ts";
import { ensurePrivateDir, paths } from "../../core/paths.ts";
import { type Db, openDb } from "../../core/store.ts";
import { validEventType } from "../gate/grammar.ts";
import {
  claudeCodeSource,
  codexSource,
  fallbackFields,
  type HookFields,
  sourceInput,
} from "./hook_input.ts";
import { tabOfPane } from "../tmux/pane.ts";
import type { NotificationSource, SourceEvent, SourceInput } from "../../core/registry.ts";
import { hasInstalledSinks, installedPlugins, lockOrWarn } from "../../core/plugin/installed.ts";
import type { Lock } from "../../core/plugin/lock.ts";
import { type Deadline, deadline } from "../../core/deadline.ts";
import { envMs } from "../../core/duration.ts";
import { kickDelivery } from "../../core/delivery_kick.ts";

const OPTIONS = {
  type: { type: "string" },
  title: { type: "string" },
  message: { type: "string", short: "m" },
  source: { type: "string" },
  session: { type: "string" },
  window: { type: "string" },
  // The seed's spellings.
  "tmux-session": { type: "string" },
  "tmux-window": { type: "string" },
  cwd: { type: "string" },
  "claude-session-id": { type: "string" },
  "agent-session-id": { type: "string" },
  "run-id": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies Record<string, FlagSpec>;

export const NOTIFY_USAGE = `Usage: handoff notify [options] [<codex-json>]

Append an event to the event log (streamed to paired phones, shown by \`handoff events\`).

Options:
  --type <t>               notify, stop, subagent-stop, permission, custom (default) …
  --title <text>           short title
  -m, --message <text>     the text to show (required unless a hook payload gives one)
  --source <name>          who sends it (claude-code, codex, cli …)
  --session <s> --window <w>   the tmux tab (default: from $TMUX_PANE)
  --cwd <dir>              working directory (default: the payload's, else the current one)
  --claude-session-id <id> the agent's session id (also --agent-session-id)
  --run-id <id>            a handoff run this event belongs to
  --json                   print the recorded event
  -h, --help               show this help

As a hook: Claude Code's JSON on stdin, or Codex's JSON as the last argument. A hook
invocation always exits 0; problems are reported on stderr.
`;

/** How long an open stdin may stay silent, and how long a payload may take to arrive. */
const STDIN_FIRST_BYTE_MS = 200;
const STDIN_TOTAL_MS = 2000;
const STDIN_MAX_BYTES = 1 << 20;
/** Shorter than Claude Code's 5 s hook timeout: a locked database must not hold the agent. */
const BUSY_TIMEOUT_MS = 3000;

type Flags = Partial<Record<keyof typeof OPTIONS, string | boolean>>;

/** `--source` values that only agent hooks pass (see the hook commands `init --hooks` writes). */
const HOOK_SOURCES = new Set(["claude-code", "codex"]);

class UsageError extends Error {}

/** Reads stdin when it is not a terminal, giving up on a silent or slow pipe. */
export async function readStdinPayload(
  firstByteMs = STDIN_FIRST_BYTE_MS,
  totalMs = STDIN_TOTAL_MS,
): Promise<string | null> {
  try {
    return Deno.stdin.isTerminal() ? null : await readWithDeadline(firstByteMs, totalMs);
  } catch {
    return null; // an unreadable stdin is no payload
  }
}

async function readWithDeadline(firstByteMs: number, totalMs: number): Promise<string | null> {
  // Deno.stdin.read, not its stream: the first use of web streams costs ~8 ms per hook.
  const buf = new Uint8Array(1 << 16);
  const decoder = new TextDecoder();
  const start = Date.now();
  let text = "";
  let bytes = 0;
  while (bytes < STDIN_MAX_BYTES) {
    const left = (bytes === 0 ? firstByteMs : totalMs) - (Date.now() - start);
    if (left <= 0) break;
    // Not setTimeout: its first use costs this hook ~12 ms (core/deadline.ts).
    const limit = deadline(left);
    const n = await Promise.race([Deno.stdin.read(buf), limit.expired.then(() => null)]);
    limit.cancel();
    if (n === null) break;
    bytes += n;
    text += decoder.decode(buf.subarray(0, n), { stream: true });
    // A whole JSON object is enough: a runner that never closes stdin must not cost us.
    if (text.trimEnd().endsWith("}") && isJsonObject(text)) break;
  }
  // A read may still be pending: the process exits without waiting for it.
  return text.trim() === "" ? null : text;
}

function isJsonObject(text: string): boolean {
  try {
    const j = JSON.parse(text);
    return j !== null && typeof j === "object" && !Array.isArray(j);
  } catch {
    return false;
  }
}

/**
 * The event fields of a payload: the source `--source` names first, then the first-party
 * sources, then the installed plugins' (whose code loads only if asked), then the
 * fallback. A source that fails is reported and skipped: a hook never fails the agent.
 */
export async function readPayload(
  input: SourceInput,
  installed: () => Promise<NotificationSource[]>,
): Promise<SourceEvent | null> {
  const ask = async (s: NotificationSource) => {
    try {
      return await s.parse(input);
    } catch (e) {
      err(`handoff notify: source ${s.name} failed: ${(e as Error).message}\n`);
      return null;
    }
  };
  // The installed plugins' sources share one budget: broken ones cannot hold a hook up
  // for their request limits one after another.
  const budgetMs = envMs("HANDOFF_SOURCES_BUDGET_MS", SOURCES_BUDGET_MS);
  let budget: Deadline | null = null;
  let spent = false;
  const askTheirs = async (s: NotificationSource) => {
    if (!budget) {
      budget = deadline(budgetMs, { keepAlive: true });
      budget.expired.then(() => spent = true);
    }
    const r = spent ? "late" : await Promise.race([ask(s), budget.expired.then(() => "late")]);
    if (r !== "late") return r as SourceEvent | null;
    err(`handoff notify: source ${s.name} skipped: the plugins' sources had ${budgetMs} ms\n`);
    return null;
  };
  const own = [claudeCodeSource, codexSource];
  let theirs: NotificationSource[] | null = null;
  try {
    if (input.source && !own.some((s) => s.name === input.source)) {
      theirs = await installed();
      const named = theirs.find((s) => s.name === input.source);
      const fields = named ? await askTheirs(named) : null;
      if (fields) return fields;
    }
    for (const s of own) {
      const fields = await ask(s);
      if (fields) return fields;
    }
    for (const s of theirs ?? await installed()) {
      if (s.name === input.source) continue;
      const fields = await askTheirs(s);
      if (fields) return fields;
    }
  } finally {
    (budget as Deadline | null)?.cancel();
  }
  return fallbackFields(input);
}

/** How long the installed plugins' sources may take together, per notify. */
const SOURCES_BUDGET_MS = 5_000;

function windowNumber(text: string | undefined): number | null {
  if (text === undefined || text === "") return null;
  if (!/^\d{1,9}$/.test(text)) throw new UsageError(`--window must be a window index: ${text}`);
  return Number(text);
}

/** Flags win over the hook payload; the payload wins over the defaults. */
export function buildEvent(
  f: Flags,
  hook: SourceEvent | HookFields | null,
  tab: { session: string; window: number | null } | null,
  defaults: { cwd: string; runId?: string },
): NewEvent {
  const s = (k: keyof typeof OPTIONS) => typeof f[k] === "string" ? f[k] as string : undefined;
  const type = s("type") ?? hook?.type ?? "custom";
  if (!validEventType(type) || CONTROL_TYPES.includes(type)) {
    throw new UsageError(
      `invalid --type ${JSON.stringify(type)}: letters, digits, - and _ (not ready, ping, gap)`,
    );
  }
  const message = s("message") ?? hook?.message;
  if (message === undefined) throw new UsageError("--message is required");
  return {
    type,
    message,
    title: s("title") ?? hook?.title ?? null,
    session: tab?.session ?? null,
    window: tab?.window ?? null,
    cwd: s("cwd") ?? hook?.cwd ?? defaults.cwd,
    source: s("source") ?? hook?.source ?? "cli",
    agentSessionId: s("claude-session-id") ?? s("agent-session-id") ?? hook?.agentSessionId ??
      null,
    runId: s("run-id") ?? defaults.runId ?? null,
  };
}

function parse(args: string[]): { flags: Flags; positionals: string[]; problem?: string } {
  try {
    const r = parseFlags(args, OPTIONS, true);
    return { flags: r.values as Flags, positionals: r.positionals };
  } catch (e) {
    // Keep what can be read: a hook with a stray flag should still be recorded.
    const r = parseFlags(args, OPTIONS, false);
    return {
      flags: r.values as Flags,
      positionals: r.positionals,
      problem: (e as Error).message,
    };
  }
}

export async function notifyMain(args: string[]): Promise<number> {
  const { flags, positionals, problem } = parse(args);
  if (flags.help) {
    out(NOTIFY_USAGE);
    return 0;
  }
  // Codex passes its payload as one JSON argument; Claude Code pipes it to stdin.
  const jsonArg = positionals.findLast((p) => p.trimStart().startsWith("{"));
  const stdinText = jsonArg === undefined ? await readStdinPayload() : null;
  const source = typeof flags.source === "string" ? flags.source : "";
  const home = paths().home;
  let lock: Lock | null | undefined;
  const lockNow = () => lock === undefined ? (lock = lockOrWarn(home)) : lock;
  let hook: SourceEvent | null = null;
  const payload = jsonArg ?? stdinText;
  if (payload !== null) {
    hook = await readPayload(
      sourceInput(payload, jsonArg !== undefined ? "argument" : "stdin", source || undefined),
      async () => (await installedPlugins(home, lockNow())).flatMap((p) => p.sources ?? []),
    );
  }
  // Called as a hook (a payload came, or the agent's hook command line): whatever the
  // input, never an exit status that could block the agent (Claude Code reads 2 as
  // "block").
  const asHook = hook !== null || jsonArg !== undefined || stdinText !== null ||
    HOOK_SOURCES.has(source);
  if (asHook && hook === null && flags.message === undefined) {
    const what = stdinText ?? jsonArg;
    err(
      `handoff notify: ${
        what === undefined || what === null
          ? "no hook payload arrived"
          : `not a hook payload handoff knows (${JSON.stringify(what.slice(0, 80))})`
      }: nothing recorded\n`,
    );
    return 0;
  }
  const fail = (what: string, code: number) => {
    err(`handoff notify: ${what}\n`);
    return asHook ? 0 : code;
  };
  if (problem) {
    if (!asHook) return fail(`${problem}\n(see handoff notify --help)`, 2);
    err(`handoff notify: ${problem} (ignored)\n`);
  }
  // Inside a dispatched run the run engine reports the run's end itself: an agent hook
  // firing in that headless session would only repeat it.
  const runId = Deno.env.get("HANDOFF_RUN_ID") || undefined;
  if (asHook && runId && !flags["run-id"]) return 0;
  try {
    const session = (flags.session ?? flags["tmux-session"]) as string | undefined;
    const windowFlag = (flags.window ?? flags["tmux-window"]) as string | undefined;
    const pane = Deno.env.get("TMUX_PANE");
    const tab = session
      ? { session, window: windowNumber(windowFlag) }
      : pane
      ? await tabOfPane(pane)
      : null;
    const ev = buildEvent(flags, hook, tab, { cwd: Deno.cwd(), runId });
    // Sinks get it from a delivery process of their own: this hook does not wait for them.
    const rec = record(ev, (db) => {
      if (hasInstalledSinks(lockNow())) kickDelivery(home, db);
    });
    if (flags.json) out(JSON.stringify(rec) + "\n");
    return 0;
  } catch (e) {
    if (e instanceof UsageError) return fail(`${e.message}\n(see handoff notify --help)`, 2);
    return fail(`could not record the event: ${(e as Error).message}`, 1);
  }
}

/** Appends the event; `then` runs with the database still open (to start a delivery). */
function record(ev: NewEvent, then: (db: Db) => void): EventRecord {
  const p = paths();
  ensurePrivateDir(p.home);
  const db = openDb(p.db);
  try {
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const rec = appendEvent(db, ev);
    then(db);
    return rec;
  } finally {
    db.close();
  }
}

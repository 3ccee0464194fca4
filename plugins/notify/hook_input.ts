/**
 * The first-party notification sources: what agent hooks hand to `handoff notify`,
 * turned into event fields. Pure.
 *
 * - Claude Code runs a hook command with one JSON object on stdin: `hook_event_name`,
 *   `session_id`, `cwd`, and per event `message` (Notification), `last_assistant_message`
 *   (Stop, SubagentStop), `tool_name` / `tool_input` (PermissionRequest).
 * - Codex runs its `notify` program with one JSON argument:
 *   `{"type":"agent-turn-complete","thread-id":…,"cwd":…,"last-assistant-message":…}`.
 *
 * Types and titles follow the seed's plugin: Notification → `notify` "Claude is waiting",
 * Stop → `stop` "Claude finished", plus `subagent-stop` and `permission`.
 */
import { headLines } from "../../core/event_log.ts";
import type { NotificationSource, SourceEvent, SourceInput } from "../../core/registry.ts";

/** An event's fields as a hook payload gives them. */
export type HookFields = SourceEvent & { title: string };

type Json = Record<string, unknown>;

function str(v: unknown): string | undefined {
  return typeof v === "string" && v.trim() !== "" ? v : undefined;
}

/** `SessionStart` → `session-start`: a usable event type for hook events we do not map. */
export function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").replace(/[^A-Za-z0-9_-]+/g, "-")
    .toLowerCase().slice(0, 32) || "hook";
}

/** One line saying what a permission request is for: `Bash: rm -rf build`. */
export function toolSummary(tool: string | undefined, input: unknown): string {
  const name = tool ?? "a tool";
  if (input && typeof input === "object") {
    const i = input as Json;
    const what = str(i.command) ?? str(i.file_path) ?? str(i.path) ?? str(i.url) ??
      str(i.pattern) ?? str(i.description);
    if (what) return `${name}: ${what}`;
  }
  return name;
}

const CLAUDE: Record<string, { type: string; title: string }> = {
  Notification: { type: "notify", title: "Claude is waiting" },
  Stop: { type: "stop", title: "Claude finished" },
  SubagentStop: { type: "subagent-stop", title: "Subagent finished" },
  PermissionRequest: { type: "permission", title: "Claude needs permission" },
};

/** A Claude Code hook payload → event fields. */
export function fromClaudeHook(j: Json): HookFields {
  const event = str(j.hook_event_name) ?? "Notification";
  const known = CLAUDE[event] ?? { type: kebab(event), title: `Claude: ${event}` };
  let message: string | undefined;
  if (event === "Stop" || event === "SubagentStop") {
    message = str(j.last_assistant_message) && headLines(j.last_assistant_message as string);
  } else if (event === "PermissionRequest") {
    message = toolSummary(str(j.tool_name), j.tool_input);
  } else {
    message = str(j.message);
  }
  return {
    type: known.type,
    title: str(j.title) ?? known.title,
    message: message || known.title,
    cwd: str(j.cwd),
    agentSessionId: str(j.session_id),
    source: "claude-code",
  };
}

/** A Codex `notify` payload → event fields. */
export function fromCodexNotify(j: Json): HookFields {
  const kind = str(j.type) ?? "agent-turn-complete";
  const done = kind === "agent-turn-complete";
  const title = done ? "Codex finished" : "Codex is waiting";
  const last = str(j["last-assistant-message"]);
  return {
    type: done ? "stop" : kebab(kind),
    title,
    message: (last && headLines(last)) || title,
    cwd: str(j.cwd),
    agentSessionId: str(j["thread-id"]),
    source: "codex",
  };
}

/** Claude Code's hook events: a payload naming another is left to other sources first. */
const CLAUDE_EVENTS = new Set([
  "Notification",
  "Stop",
  "SubagentStop",
  "SubagentStart",
  "PermissionRequest",
  "PreToolUse",
  "PostToolUse",
  "PostToolUseFailure",
  "UserPromptSubmit",
  "PreCompact",
  "SessionStart",
  "SessionEnd",
]);

function objectOf(input: SourceInput): Json | null {
  const j = input.json;
  return j && typeof j === "object" && !Array.isArray(j) ? j as Json : null;
}

/** Another source was named: the first-party ones step aside for it. */
function namedElsewhere(input: SourceInput, own: string): boolean {
  return input.source !== undefined && input.source !== own && input.source !== "";
}

/** Claude Code: one JSON object on stdin with `hook_event_name` one of its events. */
export const claudeCodeSource: NotificationSource = {
  name: "claude-code",
  parse(input) {
    const o = objectOf(input);
    if (!o || namedElsewhere(input, "claude-code")) return null;
    const event = str(o.hook_event_name);
    return event && CLAUDE_EVENTS.has(event) ? fromClaudeHook(o) : null;
  },
};

/** Codex: its `notify` program gets one JSON argument (`thread-id`, `turn-id` …). */
export const codexSource: NotificationSource = {
  name: "codex",
  parse(input) {
    const o = objectOf(input);
    if (!o || namedElsewhere(input, "codex")) return null;
    return "thread-id" in o || "last-assistant-message" in o || "turn-id" in o
      ? fromCodexNotify(o)
      : null;
  },
};

/**
 * What no source claimed: a payload with an unknown `hook_event_name` reads as Claude
 * Code's (its events grow), other JSON is recorded only if it says something (`{}` is not
 * "Claude is waiting").
 */
export function fallbackFields(input: SourceInput): HookFields | null {
  const o = objectOf(input);
  if (!o) return null;
  if ("hook_event_name" in o) return fromClaudeHook(o);
  const message = str(o.message);
  if (!message) return null;
  return {
    type: "notify",
    title: str(o.title) ?? "Notification",
    message,
    cwd: str(o.cwd),
    agentSessionId: str(o.session_id),
    source: input.source || "hook",
  };
}

/** The input as sources see it, from a payload's text. */
export function sourceInput(
  text: string | null,
  via: SourceInput["via"],
  source?: string,
): SourceInput {
  let json: unknown = undefined;
  if (text !== null) {
    try {
      json = JSON.parse(text);
    } catch { /* not JSON: a source may still read it */ }
  }
  return { text, json, via, source };
}

/** Text that should hold one hook payload → its fields by the first-party sources; else null. */
export function parseHookPayload(text: string): SourceEvent | null {
  const input = sourceInput(text, "stdin");
  return (claudeCodeSource.parse(input) as SourceEvent | null) ??
    (codexSource.parse(input) as SourceEvent | null) ?? fallbackFields(input);
}

/**
 * What agent hooks hand to `handoff notify`, turned into event fields. Pure.
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

export interface HookFields {
  type: string;
  title: string;
  message: string;
  cwd?: string;
  agentSessionId?: string;
  source: string;
}

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

/** Text that should hold one hook payload → its fields; null when it is not one. */
export function parseHookPayload(text: string): HookFields | null {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    return null;
  }
  if (!j || typeof j !== "object" || Array.isArray(j)) return null;
  const o = j as Json;
  if ("hook_event_name" in o) return fromClaudeHook(o);
  if ("thread-id" in o || "last-assistant-message" in o || "turn-id" in o) {
    return fromCodexNotify(o);
  }
  // Some other JSON: recorded only if it says something (`{}` is not "Claude is waiting").
  const message = str(o.message);
  if (!message) return null;
  return {
    type: "notify",
    title: str(o.title) ?? "Notification",
    message,
    cwd: str(o.cwd),
    agentSessionId: str(o.session_id),
    source: "hook",
  };
}

// Pure mapping from what an ACP agent says to handoff's normalized run events: the
// `session/update` notifications of a turn, its permission requests and its stop reason.
// No I/O here (driver.ts does it), so every case is a unit test.

import { addUsage, emptyUsage, oneLine, type RunEvent, type Usage } from "../../core/events.ts";

type Json = Record<string, unknown>;

const isMap = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => typeof v === "string" ? v : undefined;

/** The text of a content block (`{type: "text", text}`), else "". */
function blockText(c: unknown): string {
  return isMap(c) && c.type === "text" ? str(c.text) ?? "" : "";
}

/** One short line for a tool call: `$ cmd`, `write path`, `read path`, else its title. */
export function toolSummary(call: Json): { name: string; summary: string } {
  const kind = str(call.kind) ?? "other";
  const title = str(call.title) ?? kind;
  const raw = isMap(call.rawInput) ? call.rawInput : {};
  // The Codex adapter names the file only in its diff content.
  const diff = Array.isArray(call.content)
    ? call.content.find((c) => isMap(c) && c.type === "diff")
    : undefined;
  const path = str(raw.file_path) ?? str(raw.path) ?? str(raw.absolute_path) ??
    (Array.isArray(call.locations) && isMap(call.locations[0])
      ? str(call.locations[0].path)
      : undefined) ??
    (isMap(diff) ? str(diff.path) : undefined);
  const command = str(raw.command) ?? (Array.isArray(raw.command) ? raw.command.join(" ") : "");
  if (kind === "execute" && command) return { name: kind, summary: oneLine(`$ ${command}`) };
  if (kind === "edit" && path) return { name: kind, summary: oneLine(`write ${path}`) };
  if (kind === "delete" && path) return { name: kind, summary: oneLine(`delete ${path}`) };
  if (kind === "read" && path) return { name: kind, summary: oneLine(`read ${path}`) };
  return { name: kind, summary: oneLine(title) };
}

/** ACP `usage_update` / prompt `usage` (or Gemini's `_meta.quota.token_count`) → Usage. */
export function usageOf(u: unknown): Usage | null {
  if (!isMap(u)) return null;
  const n = (...keys: string[]) => {
    for (const k of keys) if (typeof u[k] === "number") return u[k] as number;
    return 0;
  };
  const usage: Usage = {
    ...emptyUsage(),
    inputTokens: n("inputTokens", "input_tokens"),
    outputTokens: n("outputTokens", "output_tokens"),
    cacheReadTokens: n("cachedReadTokens", "cacheReadTokens", "cached_read_tokens"),
    cacheWriteTokens: n("cachedWriteTokens", "cacheWriteTokens", "cached_write_tokens"),
    reasoningTokens: n("thoughtTokens", "reasoningTokens", "thought_tokens"),
  };
  const cost = isMap(u.cost) && typeof u.cost.amount === "number" ? u.cost.amount : null;
  if (cost !== null) usage.costUsd = cost;
  return usage.inputTokens + usage.outputTokens > 0 || cost !== null ? usage : null;
}

/**
 * One turn of an agent: feed it `session/update` params in order, then `end` with the
 * prompt's response. Each assistant message becomes one text event at the next boundary
 * (a tool call, another message, the end); the run's answer is the turn's last message,
 * as for claude and codex (the last with a message id, when the agent sends ids).
 */
export class Turn {
  private text = "";
  private messageId: string | undefined;
  private answer = "";
  /** The last message that carried a message id: agents that send ids give none to notices. */
  private answerWithId: string | null = null;
  /** Calls seen, by id: their merged fields, and whether their line was shown. */
  private calls = new Map<string, { call: Json; shown: boolean }>();
  private costUsd: number | null = null;
  /** Tokens summed over the model calls of the turn, for agents that report them per call. */
  private callUsage: Usage | null = null;
  /**
   * The Codex adapter reports a failed model call as an ordinary message and ends the
   * turn with `end_turn`; only its thread status (`_meta.codex.threadStatus`) says so.
   */
  private threadFailed = false;

  update(params: unknown): RunEvent[] {
    const u = isMap(params) && isMap(params.update) ? params.update : null;
    if (!u) return [];
    switch (u.sessionUpdate) {
      case "agent_message_chunk": {
        // Qwen Code reports each model call's tokens on a chunk's _meta.
        const used = isMap(u._meta) ? usageOf(u._meta.usage) : null;
        if (used) this.callUsage = this.callUsage ? addUsage(this.callUsage, used) : used;
        const id = str(u.messageId);
        const events = id !== this.messageId ? this.flush() : [];
        this.messageId = id;
        this.text += blockText(u.content);
        return events;
      }
      case "tool_call":
        return this.tool(u);
      case "tool_call_update": {
        // Some agents announce a call only by updating it (Gemini CLI asking permission),
        // or first without its input (the Claude adapter's "Preparing file…").
        const first = this.tool(u);
        if (u.status !== "failed") return first;
        const id = str(u.toolCallId) ?? "";
        const seen = this.calls.get(id)?.call;
        const what = seen ? toolSummary(seen).summary : str(u.title) ?? "a tool call";
        const why = Array.isArray(u.content)
          ? u.content.map((c) => isMap(c) ? blockText(c.content) : "").join(" ")
          : "";
        return [...first, ...this.flush(), {
          kind: "info",
          text: oneLine(`failed: ${what}${why ? `: ${why}` : ""}`),
        }];
      }
      case "plan": {
        const entries = Array.isArray(u.entries) ? u.entries : [];
        const items = entries.map((e) => isMap(e) ? str(e.content) ?? "" : "").filter((x) => x);
        return items.length
          ? [...this.flush(), { kind: "info", text: oneLine(`plan: ${items.join("; ")}`) }]
          : [];
      }
      case "session_info_update": {
        const status = isMap(u._meta) && isMap(u._meta.codex) && isMap(u._meta.codex.threadStatus)
          ? str(u._meta.codex.threadStatus.type)
          : undefined;
        if (status !== undefined) this.threadFailed = status === "systemError";
        return [];
      }
      case "usage_update": {
        // The context window's fill (`used`/`size`) and, from some agents, the cost so far.
        if (isMap(u.cost) && typeof u.cost.amount === "number") this.costUsd = u.cost.amount;
        return [];
      }
      default:
        return [];
    }
  }

  /** The prompt's response (or its error) ends the turn. */
  end(
    response: { stopReason?: unknown; usage?: unknown; _meta?: unknown } | null,
    error?: string,
  ): RunEvent[] {
    const events = this.flush();
    const answer = this.answerWithId ?? this.answer;
    const meta = isMap(response?._meta) && isMap(response._meta.quota)
      ? response._meta.quota.token_count
      : undefined;
    const usage = usageOf(response?.usage) ?? usageOf(meta) ?? this.callUsage;
    if (usage || this.costUsd !== null) {
      events.push({
        kind: "usage",
        usage: {
          ...(usage ?? emptyUsage()),
          turns: 1,
          costUsd: this.costUsd ?? usage?.costUsd ?? null,
        },
        cumulative: true,
      });
    }
    if (error !== undefined) {
      events.push({ kind: "result", text: error, isError: true });
      return events;
    }
    const reason = str(response?.stopReason) ?? "unknown";
    if (reason === "end_turn" && this.threadFailed) {
      events.push({ kind: "result", text: `the agent failed: ${answer.trim()}`, isError: true });
    } else if (reason === "end_turn") {
      events.push({ kind: "result", text: answer, isError: false });
    } else {
      events.push({
        kind: "result",
        text: `the agent stopped: ${reason}${answer ? `\n\n${answer}` : ""}`,
        isError: true,
      });
    }
    return events;
  }

  /**
   * The tool line of a call, once per call id, as soon as it says what it does: a call
   * still pending without input waits for the update that brings it (`now`: a permission
   * request, which shows what it asks for at once).
   */
  tool(call: unknown, o: { now?: boolean } = {}): RunEvent[] {
    if (!isMap(call)) return [];
    const id = str(call.toolCallId) ?? "";
    const entry = this.calls.get(id) ?? { call: {}, shown: false };
    for (const [k, v] of Object.entries(call)) {
      if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)) entry.call[k] = v;
    }
    this.calls.set(id, entry);
    if (entry.shown) return [];
    const input = isMap(entry.call.rawInput) && Object.keys(entry.call.rawInput).length > 0;
    const located = Array.isArray(entry.call.locations) && entry.call.locations.length > 0;
    const pending = (entry.call.status ?? "pending") === "pending";
    if (!o.now && !input && !located && pending) return [];
    entry.shown = true;
    const { name, summary } = toolSummary(entry.call);
    return [...this.flush(), { kind: "tool", name, summary }];
  }

  private flush(): RunEvent[] {
    const text = this.text.trim();
    this.text = "";
    if (!text) return [];
    this.answer = text;
    if (this.messageId !== undefined) this.answerWithId = text;
    return [{ kind: "text", text }];
  }
}

export interface PermissionAnswer {
  /** The JSON-RPC result to send back. */
  result: { outcome: { outcome: "selected"; optionId: string } | { outcome: "cancelled" } };
  allowed: boolean;
  events: RunEvent[];
}

/** The request's tool name and one-line summary, as progress lines show it. */
export function permissionSubject(params: unknown): { name: string; summary: string } {
  const p = isMap(params) ? params : {};
  return toolSummary(isMap(p.toolCall) ? p.toolCall : {});
}

/**
 * Picks the agent's own option by policy: allow once for bypass, reject otherwise. `why`
 * says why an `ask` run got no answer from a phone.
 */
export function answerPermission(
  mode: string,
  params: unknown,
  why = "no phone answered",
): PermissionAnswer {
  const p = isMap(params) ? params : {};
  const options = (Array.isArray(p.options) ? p.options : []).filter(isMap);
  const { name, summary } = permissionSubject(params);
  const pick = (...kinds: string[]) => {
    for (const k of kinds) {
      const o = options.find((x) => x.kind === k && typeof x.optionId === "string");
      if (o) return o.optionId as string;
    }
    return undefined;
  };
  const allow = mode === "bypass";
  const optionId = allow
    ? pick("allow_once", "allow_always")
    : pick("reject_once", "reject_always");
  const note = mode === "ask" ? ` (ask: ${why}, so rejected)` : "";
  const events: RunEvent[] = [{
    kind: "info",
    text: oneLine(`permission ${allow && optionId ? "allowed" : "rejected"}: ${summary}${note}`),
  }];
  if (!(allow && optionId)) events.push({ kind: "permission_denied", tool: name, detail: summary });
  return {
    result: { outcome: optionId ? { outcome: "selected", optionId } : { outcome: "cancelled" } },
    allowed: allow && !!optionId,
    events,
  };
}

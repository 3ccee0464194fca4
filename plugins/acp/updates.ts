// Pure mapping from what an ACP agent says to handoff's normalized run events: the
// `session/update` notifications of a turn, its permission requests and its stop reason.
// No I/O here (bridge.ts does it), so every case is a unit test.

import { emptyUsage, oneLine, type RunEvent, type Usage } from "../../core/events.ts";

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
  const path = str(raw.file_path) ?? str(raw.path) ?? str(raw.absolute_path) ??
    (Array.isArray(call.locations) && isMap(call.locations[0])
      ? str(call.locations[0].path)
      : undefined);
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
 * prompt's response. Message chunks become one text event at the next boundary, and the
 * turn's whole message text is the run's answer.
 */
export class Turn {
  private text = "";
  private answer = "";
  private tools = new Map<string, string>();

  update(params: unknown): RunEvent[] {
    const u = isMap(params) && isMap(params.update) ? params.update : null;
    if (!u) return [];
    switch (u.sessionUpdate) {
      case "agent_message_chunk": {
        const t = blockText(u.content);
        this.text += t;
        this.answer += t;
        return [];
      }
      case "tool_call":
        return this.tool(u);
      case "tool_call_update": {
        // Some agents (Gemini CLI asking permission) announce a call only by updating it.
        const first = this.tools.has(str(u.toolCallId) ?? "") ? [] : this.tool(u);
        if (u.status !== "failed") return first;
        const what = this.tools.get(str(u.toolCallId) ?? "") ?? str(u.title) ?? "a tool call";
        const why = Array.isArray(u.content)
          ? u.content.map((c) => isMap(c) ? blockText(c.content) : "").join(" ")
          : "";
        return [...this.flush(), {
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
      case "usage_update": {
        const usage = usageOf(u);
        return usage ? [{ kind: "usage", usage, cumulative: true }] : [];
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
    const meta = isMap(response?._meta) && isMap(response._meta.quota)
      ? response._meta.quota.token_count
      : undefined;
    const usage = usageOf(response?.usage) ?? usageOf(meta);
    if (usage) events.push({ kind: "usage", usage: { ...usage, turns: 1 }, cumulative: true });
    if (error !== undefined) {
      events.push({ kind: "result", text: error, isError: true });
      return events;
    }
    const reason = str(response?.stopReason) ?? "unknown";
    if (reason === "end_turn") {
      events.push({ kind: "result", text: this.answer.trim(), isError: false });
    } else {
      const said = this.answer.trim();
      events.push({
        kind: "result",
        text: `the agent stopped: ${reason}${said ? `\n\n${said}` : ""}`,
        isError: true,
      });
    }
    return events;
  }

  /** The tool line of a call, once per call id (a permission request names the call too). */
  tool(call: unknown): RunEvent[] {
    if (!isMap(call)) return [];
    const id = str(call.toolCallId) ?? "";
    if (id && this.tools.has(id)) return [];
    const { name, summary } = toolSummary(call);
    this.tools.set(id, summary);
    return [...this.flush(), { kind: "tool", name, summary }];
  }

  private flush(): RunEvent[] {
    if (!this.text.trim()) return [];
    const ev: RunEvent = { kind: "text", text: this.text.trim() };
    this.text = "";
    return [ev];
  }
}

/** How `permission_mode` answers `session/request_permission`. */
export const PERMISSION_MODES = ["bypass", "read-only", "plan", "ask"] as const;

export interface PermissionAnswer {
  /** The JSON-RPC result to send back. */
  result: { outcome: { outcome: "selected"; optionId: string } | { outcome: "cancelled" } };
  allowed: boolean;
  events: RunEvent[];
}

/** Picks the agent's own option by policy: allow once for bypass, reject otherwise. */
export function answerPermission(mode: string, params: unknown): PermissionAnswer {
  const p = isMap(params) ? params : {};
  const options = (Array.isArray(p.options) ? p.options : []).filter(isMap);
  const call = isMap(p.toolCall) ? p.toolCall : {};
  const { name, summary } = toolSummary(call);
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
  const note = mode === "ask"
    ? " (ask: no one to ask until phone approvals land, so rejected)"
    : "";
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

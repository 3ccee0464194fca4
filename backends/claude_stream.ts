/**
 * Claude Code `--output-format stream-json --verbose` → normalized run events.
 * Each content block arrives as its own `assistant` line; usage, cost and the final
 * answer are taken from the closing `result` line (assistant lines carry partial usage).
 */
import { emptyUsage, oneLine, type RunEvent, type Usage } from "../core/events.ts";
import type { StreamParser } from "../core/registry.ts";
import { type Json, jsonLine, num, obj } from "./json.ts";
import { claudeToolSummary } from "./tool_summary.ts";

export function claudeUsage(result: Json): Usage {
  const u = obj(result.usage);
  const creation = obj(u.cache_creation);
  const cacheWrite = num(u.cache_creation_input_tokens) ||
    num(creation.ephemeral_1h_input_tokens) +
      num(creation.ephemeral_5m_input_tokens);
  return {
    ...emptyUsage(),
    inputTokens: num(u.input_tokens),
    outputTokens: num(u.output_tokens),
    cacheReadTokens: num(u.cache_read_input_tokens),
    cacheWriteTokens: cacheWrite,
    turns: num(result.num_turns),
    costUsd: typeof result.total_cost_usd === "number" ? result.total_cost_usd : null,
  };
}

/**
 * One line → events. `seenMessages` holds the ids of assistant messages already counted:
 * each content block repeats its message's usage, which must be counted once.
 */
export function parseClaudeLine(line: string, seenMessages = new Set<string>()): RunEvent[] {
  const ev = jsonLine(line);
  if (!ev) return [];
  const events: RunEvent[] = [];
  switch (ev.type) {
    case "system": {
      if (ev.subtype === "init" && typeof ev.session_id === "string") {
        events.push({ kind: "session", id: ev.session_id });
      } else if (ev.subtype === "api_retry") {
        events.push({
          kind: "info",
          // No status: the request got no HTTP answer (refused, DNS, TLS, a dropped line).
          text: `API error ${ev.error_status ?? "(no HTTP response)"}, retry ${ev.attempt ?? "?"}/${
            ev.max_retries ?? "?"
          }`,
        });
      }
      break;
    }
    case "assistant": {
      const message = obj(ev.message);
      // A running tally while the run goes on; the closing result line replaces it.
      if (typeof message.id === "string" && !seenMessages.has(message.id)) {
        seenMessages.add(message.id);
        const u = obj(message.usage);
        events.push({
          kind: "usage",
          cumulative: false,
          usage: {
            ...emptyUsage(),
            inputTokens: num(u.input_tokens),
            outputTokens: num(u.output_tokens),
            cacheReadTokens: num(u.cache_read_input_tokens),
            cacheWriteTokens: num(u.cache_creation_input_tokens),
          },
        });
      }
      for (const block of (message.content ?? []) as Json[]) {
        if (
          block.type === "text" && typeof block.text === "string" &&
          block.text.trim()
        ) {
          events.push({ kind: "text", text: block.text });
        } else if (block.type === "tool_use") {
          const name = String(block.name ?? "tool");
          events.push({
            kind: "tool",
            name,
            summary: claudeToolSummary(name, obj(block.input)),
          });
        }
      }
      break;
    }
    case "result": {
      events.push({ kind: "usage", usage: claudeUsage(ev), cumulative: true });
      for (
        const d of (Array.isArray(ev.permission_denials) ? ev.permission_denials : []) as Json[]
      ) {
        const tool = String(d.tool_name ?? "tool");
        events.push({
          kind: "permission_denied",
          tool,
          detail: claudeToolSummary(tool, obj(d.tool_input)),
        });
      }
      const ok = ev.subtype === "success" && ev.is_error !== true;
      const text = typeof ev.result === "string"
        ? ev.result
        : Array.isArray(ev.errors)
        ? ev.errors.map(String).join("\n")
        : String(ev.subtype ?? "error");
      events.push({
        kind: "result",
        text: ok ? text : text || String(ev.subtype),
        isError: !ok,
      });
      if (!ok) {
        events.push({
          kind: "error",
          message: oneLine(text || String(ev.subtype), 300),
        });
      }
      break;
    }
  }
  return events;
}

export function createClaudeParser(): StreamParser {
  const seenMessages = new Set<string>();
  return { push: (line) => parseClaudeLine(line, seenMessages) };
}

/**
 * `codex exec --json` → normalized run events. Codex numbers its usage for the whole
 * thread (a resumed run reports earlier turns too), so usage events are cumulative and
 * the engine subtracts what the parent run already counted.
 */
import { emptyUsage, oneLine, type RunEvent } from "../core/events.ts";
import type { StreamParser } from "../core/registry.ts";
import { type Json, jsonLine, num, obj } from "./json.ts";
import { commandLine } from "./tool_summary.ts";

export function createCodexParser(): StreamParser {
  let lastMessage = "";
  let turns = 0;
  return {
    push(line: string): RunEvent[] {
      const ev = jsonLine(line);
      if (!ev) return [];
      const item = obj(ev.item);
      switch (ev.type) {
        case "thread.started":
          return typeof ev.thread_id === "string" ? [{ kind: "session", id: ev.thread_id }] : [];
        case "item.started":
          if (item.type === "command_execution") {
            return [{
              kind: "tool",
              name: "shell",
              summary: commandLine(String(item.command ?? "")),
            }];
          }
          return [];
        case "item.completed":
          switch (item.type) {
            case "agent_message":
              lastMessage = String(item.text ?? "");
              return lastMessage.trim() ? [{ kind: "text", text: lastMessage }] : [];
            case "reasoning":
              return typeof item.text === "string" && item.text.trim()
                ? [{ kind: "info", text: oneLine(item.text) }]
                : [];
            case "file_change":
              return ((item.changes ?? []) as Json[]).map((c) => ({
                kind: "tool" as const,
                name: "apply_patch",
                summary: `${c.kind === "add" ? "write" : c.kind === "delete" ? "delete" : "edit"} ${
                  c.path ?? ""
                }`,
              }));
            case "mcp_tool_call":
              return [{
                kind: "tool",
                name: "mcp",
                summary: `mcp ${item.server ?? ""}.${item.tool ?? ""}`,
              }];
            case "web_search":
              return [{
                kind: "tool",
                name: "web_search",
                summary: "search " + oneLine(String(item.query ?? ""), 80),
              }];
            case "error":
              return [{
                kind: "info",
                text: "warning: " + oneLine(String(item.message ?? "")),
              }];
          }
          return [];
        case "turn.completed": {
          turns++;
          const u = obj(ev.usage);
          return [
            {
              kind: "usage",
              cumulative: true,
              usage: {
                ...emptyUsage(),
                inputTokens: num(u.input_tokens),
                outputTokens: num(u.output_tokens),
                cacheReadTokens: num(u.cached_input_tokens),
                cacheWriteTokens: num(u.cache_write_input_tokens),
                reasoningTokens: num(u.reasoning_output_tokens),
                turns,
                costUsd: typeof u.total_cost_usd === "number" ? u.total_cost_usd : null,
              },
            },
            { kind: "result", text: lastMessage, isError: false },
          ];
        }
        case "turn.failed": {
          const message = String(obj(ev.error).message ?? "turn failed");
          return [
            { kind: "error", message: oneLine(message, 300) },
            { kind: "result", text: message, isError: true },
          ];
        }
        case "error":
          return [{
            kind: "error",
            message: oneLine(String(ev.message ?? "error"), 300),
          }];
      }
      return [];
    },
  };
}

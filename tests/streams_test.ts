/** Both stream parsers, fed real lines recorded from the real CLIs (tests/fixtures). */
import assert from "node:assert/strict";
import type { RunEvent } from "../core/events.ts";
import { createClaudeParser, parseClaudeLine } from "../backends/claude_stream.ts";
import { createCodexParser } from "../backends/codex_stream.ts";
import { commandLine, unwrapShell } from "../backends/tool_summary.ts";
import type { StreamParser } from "../core/registry.ts";

async function parse(fixture: string, parser: StreamParser): Promise<RunEvent[]> {
  const text = await Deno.readTextFile(new URL(`./fixtures/${fixture}`, import.meta.url));
  const events: RunEvent[] = [];
  for (const line of text.split("\n").filter(Boolean)) events.push(...await parser.push(line));
  return events;
}

const kinds = (events: RunEvent[]) => events.map((e) => e.kind);

Deno.test("claude success with a tool call: session, text, tool, usage, result", async () => {
  const events = await parse("claude/success_tool.jsonl", createClaudeParser());
  // A running usage tally once per assistant message (not per content block), then the
  // result's totals.
  assert.deepEqual(kinds(events), [
    "session",
    "usage",
    "text",
    "tool",
    "usage",
    "text",
    "usage",
    "result",
  ]);
  assert.match((events[0] as { id: string }).id, /^[0-9a-f-]{36}$/);
  assert.deepEqual(events[3], { kind: "tool", name: "Bash", summary: "$ echo hi > x.txt" });
  const running = events.filter((e) => e.kind === "usage" && !e.cumulative);
  assert.equal(running.length, 2);
  assert.ok(running.every((e) => e.kind === "usage" && e.usage.inputTokens > 0));
  const usage = events.find((e) => e.kind === "usage" && e.cumulative);
  assert.deepEqual(usage, {
    kind: "usage",
    cumulative: true,
    usage: {
      inputTokens: 300,
      outputTokens: 42,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
      turns: 2,
      costUsd: 0.00255,
    },
  });
  assert.deepEqual(events.at(-1), { kind: "result", text: "Created x.txt.", isError: false });
});

Deno.test("claude HTTP 500: the is_error result becomes an error result with its text", async () => {
  const events = await parse("claude/error_500.jsonl", createClaudeParser());
  const result = events.find((e) => e.kind === "result") as Extract<RunEvent, { kind: "result" }>;
  assert.equal(result.isError, true);
  assert.match(result.text, /API Error: 500/);
  assert.ok(events.some((e) => e.kind === "error" && /API Error: 500/.test(e.message)));
});

Deno.test("claude permission denial is reported as its own event", async () => {
  const events = await parse("claude/permission_denied.jsonl", createClaudeParser());
  const denied = events.filter((e) => e.kind === "permission_denied");
  assert.deepEqual(denied, [
    { kind: "permission_denied", tool: "Bash", detail: "$ node -e 'console.log(42)'" },
  ]);
});

Deno.test("claude resume keeps reporting the same session", async () => {
  const first = await parse("claude/success_tool.jsonl", createClaudeParser());
  const resumed = await parse("claude/resume.jsonl", createClaudeParser());
  const sid = (evs: RunEvent[]) => (evs.find((e) => e.kind === "session") as { id: string }).id;
  assert.match(sid(resumed), /^[0-9a-f-]{36}$/);
  assert.equal(typeof sid(first), "string");
  assert.equal(resumed.at(-1)?.kind, "result");
});

Deno.test("codex success: thread id, reasoning, command, message, cumulative usage, result", async () => {
  const events = await parse("codex/success_tool.jsonl", createCodexParser());
  assert.deepEqual(kinds(events), ["session", "info", "text", "tool", "text", "usage", "result"]);
  assert.deepEqual(events[3], { kind: "tool", name: "shell", summary: "$ echo hi > x.txt" });
  const usage = events[5] as Extract<RunEvent, { kind: "usage" }>;
  assert.equal(usage.cumulative, true);
  assert.equal(usage.usage.inputTokens, 300);
  assert.equal(usage.usage.outputTokens, 42);
  assert.deepEqual(events[6], { kind: "result", text: "Created x.txt.", isError: false });
});

Deno.test("codex apply_patch shows the file it writes", async () => {
  const events = await parse("codex/apply_patch.jsonl", createCodexParser());
  assert.ok(events.some((e) => e.kind === "tool" && e.summary === "write /tmp/fixture-cwd/y.txt"));
});

Deno.test("codex failure: error then a failed result carrying the message", async () => {
  const events = await parse("codex/error_500.jsonl", createCodexParser());
  const result = events.find((e) => e.kind === "result") as Extract<RunEvent, { kind: "result" }>;
  assert.equal(result.isError, true);
  assert.match(result.text, /high demand/);
});

Deno.test("codex resume reports the thread's totals (the engine subtracts the parent's)", async () => {
  const first = await parse("codex/success_tool.jsonl", createCodexParser());
  const resumed = await parse("codex/resume.jsonl", createCodexParser());
  const input = (evs: RunEvent[]) =>
    (evs.find((e) => e.kind === "usage") as Extract<RunEvent, { kind: "usage" }>).usage.inputTokens;
  assert.ok(input(resumed) > input(first), "thread totals grow across turns");
});

Deno.test("non-JSON noise and unknown events are ignored", () => {
  for (const p of [createClaudeParser(), createCodexParser()]) {
    assert.deepEqual(p.push("Reading additional input from stdin..."), []);
    assert.deepEqual(p.push("{not json"), []);
    assert.deepEqual(p.push('{"type":"something.new","x":1}'), []);
  }
});

Deno.test("shell wrappers are unwrapped for progress lines", () => {
  assert.equal(unwrapShell(`/bin/bash -lc 'echo it'\\''s'`), "echo it's");
  assert.equal(unwrapShell("ls -la"), "ls -la");
  assert.equal(commandLine("/usr/bin/zsh -lc 'make   test'"), "$ make test");
});

Deno.test("claude api_retry: the HTTP status when there is one, else that there was no answer", () => {
  const retry = (extra: Record<string, unknown>) =>
    parseClaudeLine(JSON.stringify({
      type: "system",
      subtype: "api_retry",
      attempt: 7,
      max_retries: 10,
      ...extra,
    }));
  assert.deepEqual(retry({ error_status: 529 }), [{
    kind: "info",
    text: "API error 529, retry 7/10",
  }]);
  assert.deepEqual(retry({ error_status: null }), [{
    kind: "info",
    text: "API error (no HTTP response), retry 7/10",
  }]);
});

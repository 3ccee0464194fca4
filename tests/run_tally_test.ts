import assert from "node:assert/strict";
import { RunTally, verdict } from "../core/run_tally.ts";
import { emptyUsage } from "../core/events.ts";

const usage = (inputTokens: number, outputTokens: number) => ({
  ...emptyUsage(),
  inputTokens,
  outputTokens,
});

Deno.test("progress: text is held back one event; the final answer is not echoed", () => {
  const t = new RunTally(null);
  assert.deepEqual(t.apply({ kind: "session", id: "s1" }), []);
  assert.equal(t.sessionId, "s1");
  assert.deepEqual(t.apply({ kind: "text", text: "Looking  at\nthe code" }), []);
  assert.deepEqual(t.apply({ kind: "tool", name: "Bash", summary: "$ ls" }), [
    "Looking at the code",
    "$ ls",
  ]);
  assert.deepEqual(t.apply({ kind: "text", text: "All done." }), []);
  assert.deepEqual(t.apply({ kind: "result", text: "All done.", isError: false }), []);
  assert.deepEqual(t.flush(), []);
  assert.equal(t.tools, 1);
});

Deno.test("progress: repeated lines are shown once; errors and denials are shown", () => {
  const t = new RunTally(null);
  assert.deepEqual(t.apply({ kind: "error", message: "overloaded" }), ["error: overloaded"]);
  assert.deepEqual(t.apply({ kind: "error", message: "overloaded" }), []);
  assert.deepEqual(t.apply({ kind: "permission_denied", tool: "Bash", detail: "$ rm x" }), [
    "denied: $ rm x",
  ]);
  assert.equal(t.lastError, "overloaded");
});

Deno.test("usage: running tallies add up; a cumulative total replaces them", () => {
  const t = new RunTally(null);
  t.apply({ kind: "usage", cumulative: false, usage: usage(10, 1) });
  t.apply({ kind: "usage", cumulative: false, usage: usage(20, 2) });
  assert.equal(t.usage.inputTokens, 30);
  t.apply({ kind: "usage", cumulative: true, usage: usage(25, 9) });
  assert.deepEqual([t.usage.inputTokens, t.usage.outputTokens], [25, 9]);
});

Deno.test("verdict: success needs a good result AND exit 0", () => {
  const t = new RunTally(null);
  t.apply({ kind: "result", text: "answer", isError: false });
  const why = { stderrTail: [] };
  assert.deepEqual(verdict(t, { code: 0, signal: null, interrupted: false }, "claude", why), {
    status: "success",
    answer: "answer",
    diagnostic: [],
    partial: null,
  });
  const v = verdict(t, { code: 3, signal: null, interrupted: false }, "claude", why);
  assert.equal(v.status, "error");
  assert.deepEqual(v.diagnostic, [
    "claude exited with status 3 after its result; treating the run as failed",
  ]);
  assert.equal(v.partial, "answer");
});

Deno.test("verdict: the backend's own error, a kill, a hint and stderr become the diagnostic", () => {
  const t = new RunTally(null);
  t.apply({ kind: "result", text: "API Error: 500", isError: true });
  let v = verdict(t, { code: 1, signal: null, interrupted: false }, "claude", {
    hint: "try again",
    stderrTail: ["noise"],
  });
  assert.deepEqual(v.diagnostic, [
    "the backend reported an error: API Error: 500",
    "no successful result: claude exited with status 1",
    "hint: try again",
  ]);
  v = verdict(new RunTally(null), { code: 137, signal: "SIGKILL", interrupted: false }, "codex", {
    stderrTail: ["a", "b"],
  });
  assert.deepEqual(v.diagnostic, [
    "no successful result: codex was killed by SIGKILL",
    "last stderr lines:\n  a\n  b",
  ]);
});

Deno.test("verdict: an interruption wins, keeping what was produced", () => {
  const t = new RunTally(null);
  t.apply({ kind: "result", text: "half", isError: false });
  const v = verdict(t, { code: 0, signal: null, interrupted: true }, "claude", { stderrTail: [] });
  assert.deepEqual(v, {
    status: "interrupted",
    answer: null,
    diagnostic: ["interrupted"],
    partial: "half",
  });
});

Deno.test("verdict: a timeout is an error that says so, even after a result", () => {
  const t = new RunTally(null);
  t.apply({ kind: "result", text: "late", isError: false });
  const exit = { code: null as unknown as number, signal: "SIGTERM", interrupted: false };
  const v = verdict(t, { ...exit, timedOutAfterMs: 90_000 }, "claude", { stderrTail: [] });
  assert.deepEqual(v, {
    status: "error",
    answer: null,
    diagnostic: ["timed out after 1m30s: the backend was stopped"],
    partial: "late",
    timedOut: true,
  });
  // A signal still wins: Ctrl-C during a timed run is an interruption.
  const both = verdict(t, { ...exit, interrupted: true, timedOutAfterMs: 90_000 }, "claude", {
    stderrTail: [],
  });
  assert.equal(both.status, "interrupted");
});

Deno.test("heartbeat: singular and plural tool calls", async () => {
  const { heartbeatText } = await import("../core/run_tally.ts");
  assert.equal(heartbeatText(3, 1), "… still running (3 min, 1 tool call)");
  assert.equal(heartbeatText(1, 0), "… still running (1 min, 0 tool calls)");
  assert.equal(heartbeatText(12, 7), "… still running (12 min, 7 tool calls)");
});

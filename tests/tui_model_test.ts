// The TUI's pure model: filter language, row windowing, the reducer and key handling.
import assert from "node:assert/strict";
import type { RunRow } from "../core/ledger.ts";
import {
  filterSql,
  formatFilter,
  likePattern,
  nextStatus,
  parseFilter,
  resolveStatus,
} from "../plugins/dispatch/tui/filter.ts";
import {
  follow,
  moveBy,
  pageBy,
  settle,
  textOffset,
  toEnd,
} from "../plugins/dispatch/tui/window.ts";
import {
  type Action,
  detailFor,
  initialState,
  reducer,
  type State,
} from "../plugins/dispatch/tui/state.ts";
import {
  type Intent,
  interpret,
  type KeyPress,
  NO_KEY,
  splitKeys,
} from "../plugins/dispatch/tui/keys.ts";

Deno.test("filter: words, status: and backend: (abbreviated), and back to text", () => {
  assert.deepEqual(parseFilter(""), { text: "" });
  assert.deepEqual(parseFilter("  parser   bug "), { text: "parser bug" });
  assert.deepEqual(parseFilter("s:run b:fake fix"), {
    text: "fix",
    status: "running",
    backend: "fake",
  });
  assert.deepEqual(parseFilter("status:INT"), { text: "", status: "interrupted" });
  assert.equal(resolveStatus("e"), "error"); // unique prefix
  assert.equal(resolveStatus("zz"), "zz"); // unknown: kept (matches nothing)
  assert.deepEqual(parseFilter("status:"), { text: "status:" }, "an empty value is text");
  const f = parseFilter("b:cx s:success hello world");
  assert.deepEqual(parseFilter(formatFilter(f)), f);
  assert.equal(formatFilter(f), "status:success backend:cx hello world");
});

Deno.test("filter SQL: indexed equality for status/backend, escaped LIKE per word", () => {
  assert.deepEqual(filterSql({ text: "" }), { where: "1", args: [] });
  const q = filterSql({ text: "50% a_b", status: "error", backend: "cx" });
  assert.match(q.where, /^status = \? AND backend = \? AND \(run_id LIKE/);
  assert.equal(q.args.length, 2 + 3 * 2);
  assert.deepEqual(q.args.slice(0, 3), ["error", "cx", "%50\\%%"]);
  assert.equal(likePattern("a_b\\c"), "%a\\_b\\\\c%");
});

Deno.test("filter: s cycles all → running → success → error → interrupted → lost → all", () => {
  const seen: (string | undefined)[] = [];
  let s: string | undefined;
  for (let i = 0; i < 6; i++) seen.push(s = nextStatus(s));
  assert.deepEqual(seen, ["running", "success", "error", "interrupted", "lost", undefined]);
});

Deno.test("window: the cursor stays visible and inside the list", () => {
  const h = 10;
  assert.deepEqual(settle({ cursor: 5, top: 0 }, h, 0), { cursor: 0, top: 0 });
  assert.deepEqual(moveBy({ cursor: 0, top: 0 }, -1, h, 100), { cursor: 0, top: 0 });
  assert.deepEqual(moveBy({ cursor: 9, top: 0 }, 1, h, 100), { cursor: 10, top: 1 });
  assert.deepEqual(moveBy({ cursor: 10, top: 5 }, -6, h, 100), { cursor: 4, top: 4 });
  assert.deepEqual(moveBy({ cursor: 99, top: 90 }, 1, h, 100), { cursor: 99, top: 90 });
  // Pages move the window and the cursor together (the cursor keeps its screen row).
  assert.deepEqual(pageBy({ cursor: 3, top: 0 }, 1, h, 100), { cursor: 13, top: 10 });
  assert.deepEqual(pageBy({ cursor: 13, top: 10 }, -1, h, 100), { cursor: 3, top: 0 });
  assert.deepEqual(pageBy({ cursor: 95, top: 90 }, 1, h, 100), { cursor: 99, top: 90 });
  assert.deepEqual(pageBy({ cursor: 0, top: 0 }, 1, h, 5), { cursor: 4, top: 0 });
  assert.deepEqual(toEnd(h, 100_000), { cursor: 99_999, top: 99_990 });
  assert.deepEqual(toEnd(h, 3), { cursor: 2, top: 0 });
  // A shrinking window keeps the cursor on screen.
  assert.deepEqual(settle({ cursor: 15, top: 10 }, 3, 100), { cursor: 15, top: 13 });
});

Deno.test("window: after new runs arrive the cursor follows its run; the view only scrolls at the top", () => {
  // Two runs arrived above: the highlighted run moved from 5 to 7.
  assert.deepEqual(follow({ cursor: 5, top: 0 }, 7, 10, 52), { cursor: 7, top: 0 });
  // Scrolled down: the window moves with it, so the screen does not jump.
  assert.deepEqual(follow({ cursor: 25, top: 20 }, 27, 10, 52), { cursor: 27, top: 22 });
  // The run left the filter: the cursor stays in range.
  assert.deepEqual(follow({ cursor: 5, top: 0 }, 5, 10, 3), { cursor: 2, top: 0 });
});

Deno.test("textOffset: following sticks to the end; otherwise clamped", () => {
  assert.equal(textOffset(0, true, 10, 25), 15);
  assert.equal(textOffset(0, true, 10, 4), 0);
  assert.equal(textOffset(30, false, 10, 25), 15);
  assert.equal(textOffset(-3, false, 10, 25), 0);
});

const st = (o: Partial<State> = {}) => initialState({ total: 100, listHeight: 10, ...o });

Deno.test("reducer: moving, paging, data refreshes keep the same state object when nothing changed", () => {
  let s = st();
  s = reducer(s, { type: "move", by: 3 });
  assert.deepEqual(s.view, { cursor: 3, top: 0 });
  s = reducer(s, { type: "page", by: 1 });
  assert.deepEqual(s.view, { cursor: 13, top: 10 });
  s = reducer(s, { type: "end" });
  assert.deepEqual(s.view, { cursor: 99, top: 90 });
  s = reducer(s, { type: "home" });
  assert.deepEqual(s.view, { cursor: 0, top: 0 });
  const same = reducer(s, { type: "data", total: 100, index: 0 });
  assert.equal(same, s, "an unchanged refresh returns the very same object (no re-render)");
  const grown = reducer(s, { type: "data", total: 101, index: 1 });
  assert.deepEqual([grown.total, grown.view.cursor], [101, 1]);
  s = reducer(s, { type: "resize", listHeight: 3 });
  assert.equal(s.listHeight, 3);
});

Deno.test("reducer: a new filter goes back to the newest run; detail tabs and scrolling", () => {
  let s = reducer(st({ view: { cursor: 40, top: 35 } }), {
    type: "filter",
    filter: { text: "x" },
    total: 7,
  });
  assert.deepEqual([s.total, s.view.cursor, s.view.top], [7, 0, 0]);
  s = reducer(s, { type: "open", runId: "r1" });
  assert.equal(s.detail?.tab, "stream");
  s = reducer(s, { type: "tabBy", by: -1 });
  assert.equal(s.detail?.tab, "result", "wraps around");
  s = reducer(s, { type: "tab", tab: "output" });
  assert.equal(s.detail?.tab, "output");
  // Output follows its end by default; scrolling up leaves follow mode, End resumes it.
  s = reducer(s, { type: "scroll", by: -5, lines: 50, height: 10 });
  assert.deepEqual(s.detail?.scroll.output, { offset: 35, follow: false });
  s = reducer(s, { type: "scroll", by: "bottom", lines: 50, height: 10 });
  assert.deepEqual(s.detail?.scroll.output, { offset: 40, follow: true });
  s = reducer(s, { type: "scroll", by: "top", lines: 50, height: 10 });
  assert.deepEqual(s.detail?.scroll.output, { offset: 0, follow: false });
  assert.equal(s.detail?.scroll.stream.follow, true, "other tabs keep their place");
  s = reducer(s, { type: "close" });
  assert.equal(s.detail, null);
});

Deno.test("reducer: prompts, editing and toasts", () => {
  let s = reducer(st(), { type: "ask", prompt: { kind: "resume", runId: "r", text: "" } });
  s = reducer(s, { type: "edit", text: "more" });
  assert.deepEqual(s.prompt, { kind: "resume", runId: "r", text: "more" });
  s = reducer(s, { type: "dismiss" });
  assert.equal(s.prompt, null);
  s = reducer(s, { type: "toast", text: "hi" });
  assert.deepEqual(s.toast, { text: "hi", tone: "info" });
  s = reducer(s, { type: "clearToast" });
  assert.equal(s.toast, null);
  assert.equal(reducer(s, { type: "clearToast" }), s);
});

// ---- keys ----

const key = (k: Partial<KeyPress>): KeyPress => ({ ...NO_KEY, ...k });
const run = (o: Partial<RunRow> = {}) =>
  ({ run_id: "1123-fa-01-x", status: "success", session_id: "sid-1", ...o }) as RunRow;
const actions = (xs: Intent[]) =>
  xs.map((x) => x.type === "action" ? x.action : x) as (Action | Intent)[];

Deno.test("keys on the list: move, page, ends, detail, filter, status cycle, quit", () => {
  const s = st();
  const r = run();
  assert.deepEqual(actions(interpret(s, r, "j", NO_KEY)), [{ type: "move", by: 1 }]);
  assert.deepEqual(actions(interpret(s, r, "", key({ downArrow: true }))), [
    { type: "move", by: 1 },
  ]);
  assert.deepEqual(actions(interpret(s, r, "", key({ upArrow: true }))), [
    { type: "move", by: -1 },
  ]);
  assert.deepEqual(actions(interpret(s, r, "p", key({ ctrl: true }))), [
    { type: "move", by: -1 },
  ]);
  assert.deepEqual(actions(interpret(s, r, "", key({ pageDown: true }))), [
    { type: "page", by: 1 },
  ]);
  assert.deepEqual(actions(interpret(s, r, "G", NO_KEY)), [{ type: "end" }]);
  assert.deepEqual(actions(interpret(s, r, "", key({ home: true }))), [{ type: "home" }]);
  assert.deepEqual(actions(interpret(s, r, "", key({ return: true }))), [
    { type: "open", runId: r.run_id },
  ]);
  assert.deepEqual(interpret(s, null, "", key({ return: true })), [], "no run, no detail");
  const slash = actions(interpret(st({ filter: { text: "x", status: "error" } }), r, "/", NO_KEY));
  assert.deepEqual(slash, [{
    type: "ask",
    prompt: { kind: "filter", text: "status:error x", before: { text: "x", status: "error" } },
  }]);
  assert.deepEqual(interpret(s, r, "s", NO_KEY), [{ type: "cycleStatus" }]);
  assert.deepEqual(interpret(s, r, "q", NO_KEY), [{ type: "quit" }]);
  assert.deepEqual(interpret(s, r, "c", key({ ctrl: true })), [{ type: "quit" }]);
  assert.deepEqual(interpret(s, r, "", key({ escape: true })), [], "Esc without a filter");
});

Deno.test("keys: kill asks first, only for running runs; y confirms, anything else keeps it", () => {
  const s = st();
  const [t] = actions(interpret(s, run(), "k", NO_KEY)) as Action[];
  assert.equal(t.type, "toast");
  assert.match((t as { text: string }).text, /only running runs can be killed/);
  const ask = actions(interpret(s, run({ status: "running" }), "k", NO_KEY));
  assert.deepEqual(ask, [{ type: "ask", prompt: { kind: "kill", runId: "1123-fa-01-x" } }]);
  assert.deepEqual(actions(interpret(s, run({ status: "running" }), "x", NO_KEY)), ask);
  const asking = st({ prompt: { kind: "kill", runId: "r9" } });
  assert.deepEqual(actions(interpret(asking, null, "y", NO_KEY)), [
    { type: "dismiss" },
    { type: "kill", runId: "r9" },
  ]);
  const no = actions(interpret(asking, null, "", key({ return: true })));
  assert.equal(no.length, 2);
  assert.deepEqual(no[0], { type: "dismiss" });
  assert.ok(!no.some((x) => x.type === "kill"), "Enter does not kill");
});

Deno.test("keys: a / d answer the oldest permission request, after a y", () => {
  const s = st();
  const none = actions(interpret(s, run(), "a", NO_KEY)) as Action[];
  assert.match((none[0] as { text: string }).text, /no agent is waiting/);
  const waiting = { requestId: "Ha7Jf_X53KgEHc0CnKSOIw", summary: "Bash: touch x" };
  assert.deepEqual(actions(interpret(s, run(), "d", NO_KEY, waiting)), [
    { type: "ask", prompt: { kind: "answer", ...waiting, allow: false } },
  ]);
  const asking = st({ prompt: { kind: "answer", ...waiting, allow: true } });
  assert.deepEqual(actions(interpret(asking, null, "y", NO_KEY)), [
    { type: "dismiss" },
    { type: "answer", requestId: waiting.requestId, allow: true },
  ]);
  const no = actions(interpret(asking, null, "a", NO_KEY));
  assert.ok(!no.some((x) => x.type === "answer"), "only y answers");
  // In the detail view the keys are not taken (nothing is answered by accident).
  const detail = st({ detail: detailFor("1123-fa-01-x", "stream") });
  assert.ok(!actions(interpret(detail, run(), "a", NO_KEY, waiting)).some((x) => x.type === "ask"));
});

Deno.test("keys: resume asks for the follow-up; refused while running or without a conversation", () => {
  const s = st();
  assert.deepEqual(actions(interpret(s, run(), "r", NO_KEY)), [
    { type: "ask", prompt: { kind: "resume", runId: "1123-fa-01-x", text: "" } },
  ]);
  for (const r of [run({ status: "running" }), run({ session_id: null })]) {
    const [t] = actions(interpret(s, r, "r", NO_KEY)) as Action[];
    assert.equal(t.type, "toast");
  }
  let asking = st({ prompt: { kind: "resume", runId: "r1", text: "fix" } });
  assert.deepEqual(actions(interpret(asking, null, "es", NO_KEY)), [{
    type: "edit",
    text: "fixes",
  }]);
  assert.deepEqual(actions(interpret(asking, null, "", key({ backspace: true }))), [{
    type: "edit",
    text: "fi",
  }]);
  assert.deepEqual(actions(interpret(asking, null, "", key({ return: true }))), [
    { type: "dismiss" },
    { type: "resume", runId: "r1", prompt: "fix" },
  ]);
  asking = st({ prompt: { kind: "resume", runId: "r1", text: "  " } });
  const empty = actions(interpret(asking, null, "", key({ return: true })));
  assert.ok(!empty.some((x) => x.type === "resume"), "an empty follow-up is not sent");
});

Deno.test("keys: the filter line edits live and Esc restores the filter from before", () => {
  const before = { text: "", status: "error" };
  const s = st({ filter: before, prompt: { kind: "filter", text: "status:error", before } });
  assert.deepEqual(actions(interpret(s, null, " x", NO_KEY)), [
    { type: "edit", text: "status:error x" },
    { type: "filter", text: "status:error x" },
  ]);
  assert.deepEqual(actions(interpret(s, null, "u", key({ ctrl: true }))), [
    { type: "edit", text: "" },
    { type: "filter", text: "" },
  ]);
  assert.deepEqual(actions(interpret(s, null, "", key({ escape: true }))), [
    { type: "dismiss" },
    { type: "filter", text: "status:error" },
  ]);
  assert.deepEqual(actions(interpret(s, null, "", key({ return: true }))), [{ type: "dismiss" }]);
  // Esc on the list clears an applied filter.
  const [clear] = interpret(st({ filter: before }), null, "", key({ escape: true }));
  assert.deepEqual(clear, { type: "filter", text: "" });
});

Deno.test("keys in the detail view: tabs, scrolling, back; y/Y copy; o opens", () => {
  const s = st({ detail: detailFor("r1") });
  const r = run();
  assert.deepEqual(actions(interpret(s, r, "3", NO_KEY)), [{ type: "tab", tab: "prompt" }]);
  assert.deepEqual(actions(interpret(s, r, "", key({ tab: true }))), [{ type: "tabBy", by: 1 }]);
  assert.deepEqual(actions(interpret(s, r, "", key({ tab: true, shift: true }))), [
    { type: "tabBy", by: -1 },
  ]);
  assert.deepEqual(actions(interpret(s, r, "", key({ leftArrow: true }))), [
    { type: "tabBy", by: -1 },
  ]);
  assert.deepEqual(interpret(s, r, "j", NO_KEY), [{ type: "scroll", by: 1 }]);
  assert.deepEqual(interpret(s, r, "", key({ pageUp: true })), [{ type: "scroll", by: "pageUp" }]);
  assert.deepEqual(interpret(s, r, "G", NO_KEY), [{ type: "scroll", by: "bottom" }]);
  assert.deepEqual(actions(interpret(s, r, "", key({ escape: true }))), [{ type: "close" }]);
  assert.deepEqual(interpret(s, r, "y", NO_KEY), [{ type: "copy", run: r, what: "session" }]);
  assert.deepEqual(interpret(s, r, "Y", NO_KEY), [{ type: "copy", run: r, what: "result" }]);
  assert.deepEqual(interpret(s, r, "o", NO_KEY), [{ type: "open", run: r }]);
  const [t] = actions(interpret(s, run({ session_id: null }), "o", NO_KEY)) as Action[];
  assert.equal(t.type, "toast");
});

Deno.test("splitKeys: a chunk of typed characters is handled key by key", () => {
  assert.deepEqual(splitKeys("j", NO_KEY), [["j", NO_KEY]]);
  const keys = splitKeys("jj\r", NO_KEY);
  assert.equal(keys.length, 3);
  assert.deepEqual(keys[2], ["", key({ return: true })]);
  assert.deepEqual(splitKeys("a\x7f", NO_KEY)[1], ["", key({ backspace: true })]);
  assert.deepEqual(splitKeys("u", key({ ctrl: true })), [["u", key({ ctrl: true })]]);
});

// What the TUI draws, as text: columns, rows, the chrome around them, detail lines, colours.
import assert from "node:assert/strict";
import type { RunRow } from "../core/ledger.ts";
import { emptyUsage } from "../core/events.ts";
import {
  headerLine,
  layoutColumns,
  rowSegments,
  SPINNER,
  statusCell,
} from "../plugins/dispatch/tui/columns.ts";
import { paint } from "../plugins/dispatch/tui/paint.ts";
import {
  eventLines,
  foldUsage,
  LineLog,
  outLine,
  textLines,
  wrapLog,
} from "../plugins/dispatch/tui/stream.ts";
import { displayWidth } from "../plugins/dispatch/tui/text.ts";
import {
  costText,
  detailTitle,
  inputTail,
  positionText,
  promptSegments,
  tabSegments,
  tabStatus,
  titleSegments,
} from "../plugins/dispatch/tui/view.ts";

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

function row(o: Partial<RunRow> = {}): RunRow {
  return {
    id: 1,
    run_id: "1123-fa-01-write-the-hello-file",
    run_day: "2026-11-23",
    seq: 1,
    slug: "write-the-hello-file",
    backend: "fake",
    backend_type: "claude",
    model: "m",
    pro: 0,
    permission_mode: null,
    cwd: "/home/me/src/project",
    title: "Write hello.txt 你好 and explain",
    session_id: "sid",
    parent_run_id: null,
    status: "success",
    exit_code: 0,
    error: null,
    pid: null,
    pid_start: null,
    owner_pid: null,
    owner_start: null,
    created_at: NOW - 180_000,
    started_at: NOW - 180_000,
    ended_at: NOW - 120_000,
    input_tokens: 1200,
    output_tokens: 80,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    reasoning_tokens: 0,
    turns: 2,
    cost_usd: 0.0123,
    thread_usage: null,
    tmux_session: null,
    tmux_window: null,
    cost_estimated: 0,
    chain_id: 1,
    group_key: 1,
    ...o,
  };
}

const line = (r: RunRow, width: number, selected = false) =>
  rowSegments(r, layoutColumns(width, 4), NOW, 0, selected).map((s) => s.text).join("");

Deno.test("columns: every row is exactly the terminal width, at any width", () => {
  for (const width of [40, 50, 60, 70, 80, 100, 120, 200]) {
    const cols = layoutColumns(width, 4);
    assert.equal(displayWidth(headerLine(cols)), width, `header at ${width}`);
    for (const r of [row(), row({ status: "interrupted", title: "x".repeat(300) })]) {
      assert.equal(displayWidth(line(r, width)), width, `row at ${width}`);
    }
  }
});

Deno.test("columns: narrow terminals drop the least useful columns first", () => {
  const keys = (w: number) => layoutColumns(w).map((c) => c.key).join(",");
  assert.equal(keys(80), "status,id,backend,age,time,cost,cwd,title");
  assert.equal(keys(60), "status,id,age,time,title");
  assert.equal(keys(40), "status,id,title");
  // At 120 the whole run id fits; wider, the prompt gets the rest.
  assert.ok(line(row(), 120).includes("1123-fa-01-write-the-hello-file"));
  assert.ok(line(row(), 140).includes("Write hello.txt 你好 and explain"));
  assert.equal(layoutColumns(120, 4).find((c) => c.key === "backend")?.header, "BKND");
  assert.equal(layoutColumns(120, 8).find((c) => c.key === "backend")?.header, "BACKEND");
});

Deno.test("rows: marker on the selected row, status glyph and colour, spinner while running", () => {
  assert.ok(line(row(), 120, true).startsWith("› ✓ success"));
  assert.ok(line(row(), 120).startsWith("  ✓ success"));
  // Narrower, the status is its glyph alone.
  assert.ok(line(row(), 80, true).startsWith("› ✓ "));
  assert.equal(statusCell("running", 0), `${SPINNER[0]} running`);
  assert.equal(statusCell("running", 3), `${SPINNER[3]} running`);
  assert.equal(statusCell("running", SPINNER.length), `${SPINNER[0]} running`);
  assert.equal(statusCell("lost", 0), "✗ lost");
  const segs = rowSegments(row({ status: "error" }), layoutColumns(80), NOW, 0, false);
  assert.equal(segs[1].tone, "red");
  const running = line(row({ status: "running", ended_at: null, cost_usd: null }), 120);
  assert.match(running, /⠋ running/);
  assert.match(running, / 3m00s /, "a running run's time counts up to now");
  // Control characters in a prompt never reach the terminal.
  assert.ok(!line(row({ title: "evil \x1b[2J" }), 80).includes("\x1b"));
});

Deno.test("rows: the slug stays visible at 80 and 60 columns; later turns of a conversation marked", () => {
  const r = row({ run_id: "1201-ds-03-fix-auth-timeout", slug: "fix-auth-timeout" });
  for (const width of [80, 60]) {
    const text = line(r, width);
    assert.ok(text.includes("ds-03-fix-auth-timeout"), `${width}: ${text}`);
  }
  assert.ok(line(r, 120).includes("1201-ds-03-fix-auth-timeout"), "the whole id when it fits");
  assert.match(line(row({ parent_run_id: "x" }), 120), /↳ Write hello/);
});

Deno.test("paint: colours only when allowed; attributes (bold, dim, inverse) always", () => {
  const segs = [{ text: "ok", tone: "green" as const }, { text: " note", tone: "dim" as const }];
  assert.equal(paint(segs, { color: true }), "\x1b[32mok\x1b[39m\x1b[2m note\x1b[22m");
  assert.equal(paint(segs, { color: false }), "ok\x1b[2m note\x1b[22m");
  assert.equal(paint(segs, { color: true, inverse: true }), "\x1b[7mok note\x1b[27m");
  // deno-lint-ignore no-control-regex
  const colour = /\x1b\[(3\d|9\d|38;)/;
  assert.ok(!colour.test(paint(segs, { color: false })));
});

Deno.test("chrome: title, position, tabs, the file line under them", () => {
  const text = (xs: { text: string }[]) => xs.map((x) => x.text).join("");
  assert.equal(text(titleSegments(3, { text: "" }, 0)), " handoff · 3 runs");
  assert.equal(
    text(titleSegments(100_000, { text: "bug", status: "error" }, 2)),
    " handoff · 100,000 matching runs · /status:error bug · 2 running",
  );
  assert.equal(positionText(0, 100_000), "1/100,000");
  assert.equal(positionText(0, 0), "0/0");
  assert.equal(text(tabSegments("output")), " 1 Stream [2 Output] 3 Prompt  4 Result ");
  assert.equal(tabSegments("output")[1].tone, "inverse");
  assert.equal(tabStatus("/x/y.out.txt", 0, 10, 5, 80), " /x/y.out.txt");
  assert.equal(tabStatus("/x/y.out.txt", 0, 10, 50, 80), " /x/y.out.txt · 40 more below");
  assert.equal(tabStatus("/x/y.out.txt", 40, 10, 50, 80), " /x/y.out.txt · end");
  assert.ok(displayWidth(tabStatus("/a/".repeat(60) + "f.md", 0, 10, 50, 40)) <= 40);
});

Deno.test("chrome: the bottom-line questions fit the width; typing shows its end", () => {
  const text = (p: ReturnType<typeof promptSegments>) =>
    [...p.before, ...p.after].map((x) => x.text).join("");
  const kill = text(promptSegments({ kind: "kill", runId: "1123-fa-01-x" }, 80));
  assert.match(kill, /^Kill 1123-fa-01-x\? y = kill, n = keep/);
  const long = "word ".repeat(40);
  const resume = text(promptSegments({ kind: "resume", runId: "r1", text: long }, 80));
  assert.ok(displayWidth(resume) <= 79, resume);
  assert.match(resume, /^Follow-up for r1: …/);
  assert.equal(inputTail("abcdef", 4), "…def");
  assert.equal(inputTail("abc", 4), "abc");
});

Deno.test("detail title: duration and cost; a running run shows the usage reported so far", () => {
  const text = (xs: { text: string }[]) => xs.map((x) => x.text).join("");
  assert.equal(
    text(detailTitle(row(), NOW, 0, null)),
    " ✓ success · 1123-fa-01-write-the-hello-file · 1m00s · $0.0123",
  );
  const live = row({
    status: "running",
    ended_at: null,
    cost_usd: null,
    input_tokens: 0,
    output_tokens: 0,
  });
  assert.equal(costText(live, null), "-");
  assert.equal(costText(live, { ...emptyUsage(), inputTokens: 2500, outputTokens: 40 }), "2.5k/40");
  assert.equal(costText(live, { ...emptyUsage(), costUsd: 0.5 }), "$0.5000");
});

Deno.test("stream lines: a mark per event kind, usage folded like the engine does", () => {
  const t = (ev: Parameters<typeof eventLines>[0]) => eventLines(ev).map((l) => l.text);
  assert.deepEqual(t({ kind: "tool", name: "Bash", summary: "$ ls" }), ["▷ $ ls"]);
  assert.equal(eventLines({ kind: "tool", name: "Bash", summary: "$ ls" })[0].tone, "cyan");
  assert.deepEqual(t({ kind: "text", text: "two\nlines" }), ["✎ two lines"]);
  assert.deepEqual(t({ kind: "result", text: "done", isError: false }), ["✓ done"]);
  assert.deepEqual(t({ kind: "result", text: "bad", isError: true }), ["✗ bad"]);
  assert.deepEqual(t({ kind: "error", message: "boom" }), ["✗ error: boom"]);
  assert.deepEqual(t({ kind: "session", id: "abc" }), ["· session abc"]);
  const u = { ...emptyUsage(), inputTokens: 10, outputTokens: 2, costUsd: 0.01 };
  assert.deepEqual(t({ kind: "usage", usage: u, cumulative: true }), [
    "· usage 10 in / 2 out · $0.0100",
  ]);
  let sum = foldUsage(null, { kind: "usage", usage: u, cumulative: false });
  sum = foldUsage(sum, { kind: "usage", usage: u, cumulative: false });
  assert.equal(sum?.inputTokens, 20);
  sum = foldUsage(sum, { kind: "usage", usage: u, cumulative: true });
  assert.equal(sum?.inputTokens, 10, "a cumulative report replaces");
  assert.equal(foldUsage(sum, { kind: "text", text: "x" }), sum);
});

Deno.test("output lines: the clock becomes a gutter; RESULT= stands out; wrapping keeps them aligned", () => {
  assert.deepEqual(outLine("12:00:01 $ ls -la"), {
    gutter: "12:00:01 ",
    text: "$ ls -la",
    tone: undefined,
  });
  assert.equal(outLine("12:00:02 error: boom").tone, "red");
  assert.deepEqual(outLine("RESULT=/x/y.result.md"), {
    text: "RESULT=/x/y.result.md",
    tone: "bold",
  });
  const rows = wrapLog([outLine("12:00:01 " + "word ".repeat(10))], 30);
  assert.equal(rows[0].gutter, "12:00:01 ");
  assert.equal(rows[1].gutter, "         ", "continuations sit under the text");
  for (const r of rows) assert.ok(displayWidth((r.gutter ?? "") + r.text) <= 30);
  const marked = wrapLog(eventLines({ kind: "text", text: "alpha ".repeat(8) }), 20);
  assert.ok(marked[1].gutter === "  ", "stream continuations hang under the text");
  assert.deepEqual(textLines("a\r\nb\n"), [{ text: "a" }, { text: "b" }]);
});

Deno.test("LineLog: bounded, optional de-duplication of repeated lines", () => {
  const log = new LineLog(3, true);
  for (const t of ["a", "a", "b", "c", "d"]) log.push({ text: t });
  assert.deepEqual(log.lines.map((l) => l.text), ["b", "c", "d"]);
  assert.equal(log.dropped, 1);
  const plain = new LineLog(10);
  plain.push({ text: "x" });
  plain.push({ text: "x" });
  assert.equal(plain.lines.length, 2);
});

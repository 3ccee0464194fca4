// The TUI's data layer against a real SQLite ledger (tui/data.ts) and real run files
// (tui/content.ts), with the backends' own stream parsers.
import assert from "node:assert/strict";
import { join } from "node:path";
import { openDb } from "../core/store.ts";
import { finishRun, insertRun, type RunRow } from "../core/ledger.ts";
import { emptyUsage } from "../core/events.ts";
import { runFiles } from "../core/paths.ts";
import { createClaudeParser } from "../backends/claude_stream.ts";
import { createCodexParser } from "../backends/codex_stream.ts";
import { LedgerView } from "../plugins/dispatch/tui/data.ts";
import { RunContent } from "../plugins/dispatch/tui/content.ts";
import { NO_FILTER } from "../plugins/dispatch/tui/filter.ts";

async function withDb(fn: (dir: string, file: string) => Promise<void> | void) {
  const dir = await Deno.makeTempDir({ prefix: "handoff-tui-data-" });
  try {
    await fn(dir, join(dir, "handoff.db"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** `n` finished runs, oldest first: every 3rd on backend "cx", every 5th an error. */
function fill(file: string, n: number): RunRow[] {
  const db = openDb(file);
  try {
    const rows: RunRow[] = [];
    for (let i = 0; i < n; i++) {
      const r = insertRun(db, {
        backend: i % 3 === 0 ? "cx" : "fake",
        backendType: i % 3 === 0 ? "codex" : "claude",
        slug: `job ${i}`,
        cwd: `/src/proj${i % 4}`,
        title: i === 7 ? "fix the 100% parser_bug" : `task number ${i}`,
        status: "running",
      });
      rows.push(
        finishRun(db, r.run_id, {
          status: i % 5 === 0 ? "error" : "success",
          exitCode: 0,
          error: null,
          usage: emptyUsage(),
          threadUsage: null,
        })!,
      );
    }
    return rows;
  } finally {
    db.close();
  }
}

Deno.test("LedgerView: counts, windows and positions under filters, newest first", async () => {
  await withDb((_dir, file) => {
    const rows = fill(file, 60);
    const db = openDb(file);
    try {
      const v = new LedgerView(db);
      assert.equal(v.count(NO_FILTER), 60);
      const top = v.window(NO_FILTER, 0, 5);
      assert.deepEqual(top.map((r) => r.id), rows.slice(-5).reverse().map((r) => r.id));
      assert.deepEqual(v.window(NO_FILTER, 58, 5).map((r) => r.id), [rows[1].id, rows[0].id]);
      assert.deepEqual(v.window(NO_FILTER, 0, 0), []);
      const errors = { text: "", status: "error" };
      assert.equal(v.count(errors), 12);
      assert.ok(v.window(errors, 0, 20).every((r) => r.status === "error"));
      assert.equal(v.count({ text: "", backend: "cx" }), 20);
      assert.equal(v.count({ text: "", backend: "cx", status: "error" }), 4);
      // Text: every word must match id, title or cwd; % and _ are literal.
      assert.equal(v.count({ text: "100%" }), 1);
      assert.equal(v.count({ text: "parser_bug fix" }), 1);
      assert.equal(v.count({ text: "proj3 number" }), 14); // i = 3, 11, …, 59 but not 7
      assert.equal(v.count({ text: "nothing-like-this" }), 0);
      // Position of a run in the filtered list = how many newer ones match.
      assert.equal(v.indexOf(NO_FILTER, rows[59].id), 0);
      assert.equal(v.indexOf(NO_FILTER, rows[0].id), 59);
      assert.equal(v.indexOf(errors, rows[0].id), 11);
      assert.equal(v.run(rows[3].run_id)?.id, rows[3].id);
      assert.equal(v.run("nope"), null);
      assert.deepEqual(v.backends(), ["cx", "fake"]);
    } finally {
      db.close();
    }
  });
});

Deno.test("LedgerView.changed: only another connection's commit counts; counts are re-read then", async () => {
  await withDb((_dir, file) => {
    fill(file, 3);
    const db = openDb(file);
    const other = openDb(file);
    try {
      const v = new LedgerView(db);
      assert.equal(v.changed(), true, "the first call takes the baseline");
      assert.equal(v.changed(), false);
      assert.equal(v.count(NO_FILTER), 3);
      other.exec("UPDATE runs SET status = 'lost' WHERE id = 1");
      assert.equal(v.count({ text: "", status: "lost" }), 1, "uncached filter reads fresh");
      assert.equal(v.changed(), true);
      assert.equal(v.changed(), false);
      assert.equal(v.count(NO_FILTER), 3);
      insertRun(other, {
        backend: "fake",
        backendType: "claude",
        slug: "x",
        cwd: "/",
        title: "",
        status: "running",
      });
      assert.equal(v.count(NO_FILTER), 3, "cached until the change is noticed");
      assert.equal(v.changed(), true);
      assert.equal(v.count(NO_FILTER), 4);
      db.exec("UPDATE runs SET title = 'mine'");
      assert.equal(v.changed(), false, "our own writes do not move data_version…");
      v.invalidate(); // …so the writer invalidates
      assert.equal(v.count({ text: "mine" }), 4);
    } finally {
      other.close();
      db.close();
    }
  });
});

Deno.test("LedgerView.reconcile: a running run whose handoff died becomes lost", async () => {
  await withDb((_dir, file) => {
    const db = openDb(file);
    try {
      const r = insertRun(db, {
        backend: "fake",
        backendType: "claude",
        slug: "x",
        cwd: "/",
        title: "",
        status: "running",
        ownerPid: 2 ** 22 + 12345, // beyond pid_max: no such process
        ownerStart: "1",
      });
      const v = new LedgerView(db);
      assert.equal(v.reconcile(), true);
      assert.equal(v.run(r.run_id)?.status, "lost");
      assert.equal(v.reconcile(), false);
    } finally {
      db.close();
    }
  });
});

Deno.test("RunContent: parses the raw stream with the backend's parser, incrementally", async () => {
  await withDb(async (dir) => {
    for (
      const [type, parser] of [["claude", createClaudeParser], [
        "codex",
        createCodexParser,
      ]] as const
    ) {
      const files = runFiles(`1123-xx-01-${type}`, {
        home: dir,
        config: "",
        db: "",
        tasks: dir,
        runs: dir,
        keys: "",
      });
      const fixture = (await Deno.readTextFile(
        new URL(`./fixtures/${type}/success_tool.jsonl`, import.meta.url),
      )).trimEnd().split("\n");
      const c = new RunContent("x", parser(), files);
      assert.equal(c.poll(), false, "no files yet: nothing");
      assert.deepEqual(c.lines("result"), []);
      // Half the stream, with a partial last line that must wait for its newline.
      const half = Math.floor(fixture.length / 2);
      await Deno.writeTextFile(files.raw, fixture.slice(0, half).join("\n") + "\n" + '{"type":');
      assert.equal(c.poll(), true);
      const early = c.lines("stream").length;
      assert.ok(early >= 1);
      await Deno.writeTextFile(
        files.raw,
        fixture.slice(0, half).join("\n") + "\n" + fixture.slice(half).join("\n") + "\n",
      );
      assert.equal(c.poll(), true);
      const stream = c.lines("stream").map((l) => l.text);
      assert.ok(stream.includes("▷ $ echo hi > x.txt"), `${type}: ${stream.join(" | ")}`);
      assert.ok(stream.includes("✓ Created x.txt."), `${type}: ${stream.join(" | ")}`);
      assert.equal(c.usage?.inputTokens, 300);
      assert.equal(c.poll(), false, "nothing new: no change (no re-render)");

      await Deno.writeTextFile(files.out, "12:00:00 $ echo hi > x.txt\n");
      await Deno.writeTextFile(files.prompt, "do it\nplease\n");
      assert.equal(c.poll(), true);
      await Deno.writeTextFile(files.out, `RESULT=${files.result}\n`, { append: true });
      await Deno.writeTextFile(files.result, "Created x.txt.");
      const v = c.version;
      assert.equal(c.poll(), true);
      assert.ok(c.version > v);
      assert.deepEqual(c.lines("output").map((l) => l.text), [
        "$ echo hi > x.txt",
        `RESULT=${files.result}`,
      ]);
      assert.deepEqual(c.lines("prompt").map((l) => l.text), ["do it", "please"]);
      assert.deepEqual(c.lines("result").map((l) => l.text), ["Created x.txt."]);
      assert.equal(c.path("result"), files.result);
    }
  });
});

Deno.test("RunContent: a huge finished run is read from near its end, not whole", async () => {
  await withDb(async (dir) => {
    const files = runFiles("1123-xx-02-big", {
      home: dir,
      config: "",
      db: "",
      tasks: dir,
      runs: dir,
      keys: "",
    });
    const line = (i: number) => `12:00:00 line ${i} ${"x".repeat(90)}\n`;
    await Deno.writeTextFile(files.out, Array.from({ length: 40_000 }, (_, i) => line(i)).join(""));
    const c = new RunContent("x", null, files);
    assert.equal(c.poll(), true);
    const out = c.lines("output");
    assert.ok(out.length <= 5000, String(out.length));
    assert.match(out.at(-1)!.text, /^line 39999 /);
    await Deno.writeTextFile(files.out, line(40_000), { append: true });
    assert.equal(c.poll(), true);
    assert.match(c.lines("output").at(-1)!.text, /^line 40000 /);
  });
});

Deno.test("LedgerView: the turns of a conversation are grouped, the chain sorted by its latest turn", async () => {
  await withDb((_dir, file) => {
    const db = openDb(file);
    try {
      const base = { backendType: "claude", cwd: "/p", title: "t", status: "reserved" as const };
      const a = insertRun(db, { ...base, backend: "fake", slug: "first" });
      const b = insertRun(db, { ...base, backend: "fake", slug: "second" });
      const c = insertRun(db, { ...base, backend: "fake", slug: "first", parentRunId: a.run_id });
      const d = insertRun(db, { ...base, backend: "fake", slug: "first", parentRunId: c.run_id });
      const view = new LedgerView(db);
      const ids = view.window(NO_FILTER, 0, 10).map((r) => r.run_id);
      assert.deepEqual(ids, [d.run_id, c.run_id, a.run_id, b.run_id]);
      assert.equal(view.indexOf(NO_FILTER, a.id), 2);
      assert.equal(view.indexOf(NO_FILTER, b.id), 3);
      assert.equal(view.indexOf(NO_FILTER, d.id), 0);
      // A new turn of the older conversation moves it back to the top.
      const e = insertRun(db, { ...base, backend: "fake", slug: "second", parentRunId: b.run_id });
      assert.deepEqual(view.window(NO_FILTER, 0, 2).map((r) => r.run_id), [e.run_id, b.run_id]);
    } finally {
      db.close();
    }
  });
});

Deno.test("backfillChains: chains from the parent links (migration 9, bulk imports)", async () => {
  const { backfillChains } = await import("../core/store.ts");
  await withDb((_dir, file) => {
    const db = openDb(file);
    try {
      const insert = db.prepare(
        `INSERT INTO runs (run_id, run_day, seq, slug, backend, backend_type, cwd, status,
           created_at, parent_run_id) VALUES (?, '2026-12-01', ?, 's', 'b', 'claude', '/', 'success', 0, ?)`,
      );
      insert.run("1201-bb-01-s", 1, null);
      insert.run("1201-bb-02-s", 2, "1201-bb-01-s");
      insert.run("1201-bb-03-s", 3, null);
      insert.run("1201-bb-04-s", 4, "1201-bb-02-s");
      insert.run("1201-bb-05-s", 5, "gone-parent");
      backfillChains(db);
      const rows = db.prepare("SELECT id, chain_id, group_key FROM runs ORDER BY id").all()
        .map((r) => ({ ...r }));
      assert.deepEqual(rows, [
        { id: 1, chain_id: 1, group_key: 4 },
        { id: 2, chain_id: 1, group_key: 4 },
        { id: 3, chain_id: 3, group_key: 3 },
        { id: 4, chain_id: 1, group_key: 4 },
        { id: 5, chain_id: 5, group_key: 5 },
      ]);
    } finally {
      db.close();
    }
  });
});

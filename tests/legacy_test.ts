import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { startWorld } from "./helpers/handoff.ts";
import { seedTime } from "../core/legacy.ts";

/** The original tool's schema (seed-dispatch-spec §5.1). */
const SEED_SCHEMA = `CREATE TABLE runs(
  id INTEGER PRIMARY KEY AUTOINCREMENT, seq INTEGER NOT NULL, seq_code TEXT NOT NULL,
  run_id TEXT NOT NULL UNIQUE, run_day TEXT NOT NULL, uuid TEXT NOT NULL UNIQUE, session_id TEXT,
  cwd TEXT NOT NULL, prompt TEXT NOT NULL, jsonl_path TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (datetime('now','localtime')), status TEXT DEFAULT 'running',
  backend TEXT DEFAULT '', runtime_info TEXT DEFAULT '{}');
CREATE TABLE run_counters(day TEXT PRIMARY KEY, last_n INTEGER NOT NULL);`;

Deno.test("a new ledger adopts the original handoff's runs once", async () => {
  const w = await startWorld();
  try {
    await Deno.mkdir(join(w.home, "runs"), { recursive: true });
    const seed = new DatabaseSync(join(w.home, "runs", "handoff.db"));
    seed.exec(SEED_SCHEMA);
    const ins = seed.prepare(
      "INSERT INTO runs(seq, seq_code, run_id, run_day, uuid, session_id, cwd, prompt, jsonl_path, created_at, status, backend, runtime_info) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
    );
    ins.run(
      3,
      "03",
      "0611-ds-03-fix-auth",
      "2026-06-11",
      "u-1",
      "s-1",
      "/src",
      "\n  Fix the auth bug\nmore",
      "/x.jsonl",
      "2026-06-11 10:00:00",
      "success",
      "deepseek",
      JSON.stringify({
        model: "deepseek-v4-flash",
        pro: true,
        usage: { input_tokens: 10, output_tokens: 5, cost_usd: 0.5, turns: 2 },
      }),
    );
    ins.run(
      4,
      "04",
      "0611-cx-04-stuck",
      "2026-06-11",
      "u-2",
      null,
      "/src",
      "stuck",
      "/y.jsonl",
      "2026-06-11 11:00:00",
      "running",
      "codex",
      "{}",
    );
    seed.exec("INSERT INTO run_counters VALUES ('2026-06-11', 4)");
    seed.close();

    const r = await w.handoff(["list", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /imported 2 runs/);
    const runs = JSON.parse(r.stdout);
    assert.deepEqual(runs.map((x: { run_id: string }) => x.run_id), [
      "0611-cx-04-stuck",
      "0611-ds-03-fix-auth",
    ]);
    const [stuck, done] = runs;
    assert.equal(done.status, "success");
    assert.equal(done.title, "Fix the auth bug");
    assert.equal(done.session_id, "s-1");
    assert.equal(done.model, "deepseek-v4-flash");
    assert.equal(done.pro, true);
    assert.equal(done.usage.cost_usd, 0.5);
    assert.equal(done.created_at, new Date(seedTime("2026-06-11 10:00:00")).toISOString());
    assert.equal(stuck.status, "lost", "a run the old tool left running is not running now");
    assert.equal(stuck.backend_type, "codex");
    assert.equal(stuck.session_id, "u-2");

    const again = await w.handoff(["list", "--json"]);
    assert.doesNotMatch(again.stderr, /imported/, "only once");
    assert.equal(JSON.parse(again.stdout).length, 2);
  } finally {
    await w.close();
  }
});

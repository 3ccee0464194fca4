/**
 * Upgrading from the original Python handoff (dazuiba/handoff): it kept its ledger in
 * `<home>/runs/handoff.db` and its files in `<home>/tasks/` with the same names we use.
 * When our database is first created, its runs are copied in once, so `handoff list`
 * shows them and `handoff resume <old id>` keeps working.
 */
import { DatabaseSync } from "node:sqlite";
import { join } from "./path.ts";
import { parseRunId, promptTitle } from "./runid.ts";

interface SeedRow {
  seq: number;
  run_id: string;
  run_day: string;
  uuid: string;
  session_id: string | null;
  cwd: string;
  prompt: string;
  created_at: string;
  status: string | null;
  backend: string | null;
  runtime_info: string | null;
}

/** `YYYY-MM-DD HH:MM:SS` in local time (the seed's created_at) → epoch ms. */
export function seedTime(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/.exec(s);
  if (!m) return 0;
  return new Date(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]).getTime();
}

export function importSeedLedger(db: DatabaseSync, home: string): number {
  const file = join(home, "runs", "handoff.db");
  try {
    Deno.statSync(file);
  } catch {
    return 0;
  }
  const seed = new DatabaseSync(file, { readOnly: true });
  try {
    const cols = new Set(
      (seed.prepare("PRAGMA table_info(runs)").all() as { name: string }[]).map((c) => c.name),
    );
    if (!cols.has("run_id") || !cols.has("uuid")) return 0;
    const pick = (c: string) => (cols.has(c) ? c : `NULL AS ${c}`);
    const rows = seed.prepare(
      `SELECT seq, run_id, run_day, uuid, ${pick("session_id")}, cwd, prompt, created_at,
         ${pick("status")}, ${pick("backend")}, ${pick("runtime_info")} FROM runs ORDER BY id`,
    ).all() as unknown as SeedRow[];
    const insert = db.prepare(
      `INSERT OR IGNORE INTO runs (run_id, run_day, seq, slug, backend, backend_type, model, pro,
         cwd, title, session_id, status, created_at, started_at, input_tokens, output_tokens,
         cache_read_tokens, cache_write_tokens, reasoning_tokens, turns, cost_usd, error)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    let imported = 0;
    db.exec("BEGIN IMMEDIATE");
    try {
      for (const r of rows) {
        let info: Record<string, unknown> = {};
        try {
          info = JSON.parse(r.runtime_info ?? "{}");
        } catch { /* keep the run, without its usage */ }
        const u = (info.usage ?? {}) as Record<string, number>;
        const backend = r.backend || "deepseek";
        const status = r.status === "running" || !r.status ? "lost" : r.status;
        const at = seedTime(r.created_at);
        const res = insert.run(
          r.run_id,
          r.run_day,
          r.seq,
          parseRunId(r.run_id)?.slug ?? "task",
          backend,
          /codex/.test(backend) ? "codex" : "claude",
          typeof info.model === "string" ? info.model : null,
          info.pro ? 1 : 0,
          r.cwd,
          promptTitle(r.prompt ?? ""),
          r.session_id || r.uuid,
          status,
          at,
          at,
          u.input_tokens ?? 0,
          u.output_tokens ?? 0,
          u.cache_read_input_tokens ?? 0,
          u.cache_creation_input_tokens ?? 0,
          u.reasoning_output_tokens ?? 0,
          u.turns ?? 0,
          typeof u.cost_usd === "number" ? u.cost_usd : null,
          status === "lost" ? "imported from the original handoff while marked running" : null,
        );
        imported += Number(res.changes);
      }
      db.exec(
        `INSERT INTO run_counters(day, last_n) SELECT run_day, max(seq) FROM runs GROUP BY run_day
         ON CONFLICT(day) DO UPDATE SET last_n = max(last_n, excluded.last_n)`,
      );
      db.exec("COMMIT");
    } catch (e) {
      db.exec("ROLLBACK");
      throw e;
    }
    return imported;
  } finally {
    seed.close();
  }
}

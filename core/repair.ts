/**
 * `handoff doctor --repair`: a damaged ledger is moved aside (never deleted), a new one is
 * created (which rebuilds the runs from their files), and whatever the old one still lets
 * us read is copied back: runs (richer than what files tell), counters, settings, devices
 * and events (with their ids, which phones keep as cursors). Run files are not touched.
 */
import { join } from "./path.ts";
import { openDb } from "./store.ts";

export interface RepairReport {
  /** Where the damaged database (and its -wal/-shm) went; null when there was none. */
  movedTo: string | null;
  /** Rows copied back, per table. */
  salvaged: Record<string, number>;
  /** Tables that could not be read (the damage was there). */
  unreadable: string[];
  /** Runs in the new ledger. */
  runs: number;
}

/** Tables copied back, and whether their `id` column is kept (ids others refer to). */
const TABLES: [table: string, keepId: boolean, conflict: "REPLACE" | "IGNORE"][] = [
  ["runs", false, "REPLACE"],
  ["run_counters", true, "REPLACE"],
  ["settings", true, "IGNORE"],
  ["devices", true, "IGNORE"],
  ["events", true, "IGNORE"],
];

function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${
    p(d.getMinutes())
  }${p(d.getSeconds())}`;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

export function repairLedger(home: string, now = new Date()): RepairReport {
  const file = join(home, "handoff.db");
  let movedTo: string | null = null;
  if (exists(file)) {
    movedTo = `${file}.damaged-${stamp(now)}`;
    for (const suffix of ["", "-wal", "-shm"]) {
      if (exists(file + suffix)) Deno.renameSync(file + suffix, movedTo + suffix);
    }
  }
  // A new database rebuilds the runs from their files (see core/rebuild.ts).
  const db = openDb(file);
  const salvaged: Record<string, number> = {};
  const unreadable: string[] = [];
  try {
    let attached = false;
    if (movedTo) {
      try {
        db.exec(`ATTACH DATABASE '${movedTo.replaceAll("'", "''")}' AS old`);
        db.prepare("SELECT count(*) FROM old.sqlite_master").get();
        attached = true;
      } catch {
        unreadable.push(...TABLES.map(([t]) => t));
      }
    }
    if (attached) {
      try {
        for (const [table, keepId, conflict] of TABLES) {
          try {
            const cols = (table: string, schema: string) =>
              (db.prepare(`PRAGMA ${schema}.table_info(${table})`).all() as { name: string }[])
                .map((c) => c.name);
            const theirs = new Set(cols(table, "old"));
            const shared = cols(table, "main").filter((c) =>
              theirs.has(c) && (keepId || c !== "id")
            );
            if (shared.length === 0) continue;
            const list = shared.map((c) => `"${c}"`).join(", ");
            const res = db.prepare(
              `INSERT OR ${conflict} INTO main.${table} (${list}) SELECT ${list} FROM old.${table}`,
            ).run();
            salvaged[table] = Number(res.changes);
          } catch {
            unreadable.push(table);
          }
        }
      } finally {
        db.exec("DETACH DATABASE old");
      }
    }
    const runs = Number((db.prepare("SELECT count(*) AS n FROM runs").get() as { n: number }).n);
    return { movedTo, salvaged, unreadable, runs };
  } finally {
    db.close();
  }
}

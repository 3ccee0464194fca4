/**
 * What the TUI reads from the ledger, and how it notices changes cheaply.
 *
 * Only the visible window is ever queried (`LIMIT height OFFSET top` in the (group_key, id)
 * order, ~0.1 ms at the top and ~8 ms at offset 100,000). Change detection is
 * `PRAGMA data_version`, which SQLite bumps whenever another connection commits: a few
 * microseconds, so it can be asked often; when it has not moved nothing is re-read.
 */
import type { RunRow } from "../../../core/ledger.ts";
import { getRun, reconcile } from "../../../core/ledger.ts";
import type { Db } from "../../../core/store.ts";
import { type Filter, filterKey, filterSql } from "./filter.ts";

export class LedgerView {
  private version = -1;
  private counts = new Map<string, number>();
  private backendNames: string[] | null = null;

  constructor(readonly db: Db) {}

  /**
   * True when the database changed since the last call (the first call is true). Our own
   * writes do not move data_version, so callers that write call `invalidate()`.
   */
  changed(): boolean {
    const v = Number(
      (this.db.prepare("PRAGMA data_version").get() as { data_version: number }).data_version,
    );
    if (v === this.version) return false;
    this.version = v;
    this.invalidate();
    return true;
  }

  /** Forgets cached counts and names (after our own writes). */
  invalidate(): void {
    this.counts.clear();
    this.backendNames = null;
  }

  /** Runs matching the filter (cached until the next change). */
  count(f: Filter): number {
    const key = filterKey(f);
    let n = this.counts.get(key);
    if (n === undefined) {
      const { where, args } = filterSql(f);
      n = Number(
        (this.db.prepare(`SELECT count(*) AS n FROM runs WHERE ${where}`).get(...args) as {
          n: number;
        }).n,
      );
      this.counts.set(key, n);
    }
    return n;
  }

  /** Rows [offset, offset + limit) of the filtered list, newest first. */
  window(f: Filter, offset: number, limit: number): RunRow[] {
    if (limit <= 0) return [];
    const { where, args } = filterSql(f);
    return this.db.prepare(
      `SELECT * FROM runs WHERE ${where} ORDER BY group_key DESC, id DESC LIMIT ? OFFSET ?`,
    ).all(...args, limit, Math.max(0, offset)) as unknown as RunRow[];
  }

  /** Position of a run (by primary key) in the filtered list: how many rows come before it. */
  indexOf(f: Filter, id: number): number {
    const { where, args } = filterSql(f);
    const row = this.db.prepare("SELECT group_key FROM runs WHERE id = ?").get(id) as
      | { group_key: number | null }
      | undefined;
    const key = row?.group_key ?? id;
    return Number(
      (this.db.prepare(
        `SELECT count(*) AS n FROM runs WHERE (group_key > ? OR (group_key = ? AND id > ?)) AND ${where}`,
      ).get(key, key, id, ...args) as { n: number }).n,
    );
  }

  run(runId: string): RunRow | null {
    return getRun(this.db, runId);
  }

  /**
   * Backend names in the ledger (for the column width), cached. One index seek per name:
   * `SELECT DISTINCT` would walk the whole index (~35 ms at 100,000 runs).
   */
  backends(): string[] {
    if (this.backendNames) return this.backendNames;
    const next = this.db.prepare(
      "SELECT backend FROM runs WHERE backend > ? ORDER BY backend LIMIT 1",
    );
    const names: string[] = [];
    for (let last = ""; names.length < 1000;) {
      const row = next.get(last) as { backend: string } | undefined;
      if (!row) break;
      names.push(row.backend);
      last = row.backend;
    }
    return this.backendNames = names;
  }

  /** Marks runs whose handoff process died as lost (see ledger.reconcile). */
  reconcile(): boolean {
    const lost = reconcile(this.db);
    if (lost.length) this.invalidate();
    return lost.length > 0;
  }
}

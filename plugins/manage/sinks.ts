/** Sink cursors for `plugin add`/`enable` (start at the newest event) and `remove`. */
import { escapeControls } from "../../core/output.ts";
import { paths } from "../../core/paths.ts";
import type { Manifest } from "../../core/plugin/manifest.ts";
import type { SinkState } from "../../core/delivery.ts";

/** How a sink's deliveries go, as `plugin status` and `plugin info` show it. */
export interface SinkRecord {
  sink: string;
  delivered: number;
  pending: number;
  missed: number;
  attempts: number;
  next_attempt_at: string | null;
  last_ok_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
}

/** A sink's stored state as users read it: times as ISO strings, no internal cursor. */
export function sinkRecord(st: SinkState, pending: number): SinkRecord {
  return {
    sink: st.sink,
    delivered: st.delivered,
    pending,
    missed: st.missed,
    attempts: st.attempts,
    next_attempt_at: st.next_at ? new Date(st.next_at).toISOString() : null,
    last_ok_at: st.last_ok_at,
    last_error: st.last_error,
    last_error_at: st.last_error_at,
  };
}

/** One line: failing (and why, and when it is tried next), delivering or up to date. */
export function sinkSummary(r: SinkRecord): string {
  const state = r.attempts > 0
    ? `FAILING (${r.attempts} attempt(s), next ${r.next_attempt_at}): ${
      escapeControls(r.last_error ?? "")
    }`
    : r.pending > 0
    ? "delivering"
    : "up to date";
  return `${r.sink}: ${state}; ${r.delivered} delivered, ${r.pending} pending` +
    (r.missed ? `, ${r.missed} pruned before delivery` : "");
}

/** A new sink starts at the newest event: it is not handed the log's history. */
export async function initSinkCursors(home: string, m: Manifest): Promise<void> {
  if (m.provides.sinks.length === 0) return;
  const { openDb } = await import("../../core/store.ts");
  const { sinkState } = await import("../../core/delivery.ts");
  const db = openDb(paths(home).db);
  try {
    for (const s of m.provides.sinks) sinkState(db, `${m.name}/${s}`);
  } finally {
    db.close();
  }
}

/** Forgets a removed plugin's cursors. */
export async function dropSinkCursors(home: string, name: string): Promise<void> {
  const { openDb } = await import("../../core/store.ts");
  const db = openDb(paths(home).db);
  try {
    db.prepare("DELETE FROM sink_state WHERE sink LIKE ? ESCAPE '\\'").run(
      `${name.replace(/[\\%_]/g, (c) => "\\" + c)}/%`,
    );
  } finally {
    db.close();
  }
}

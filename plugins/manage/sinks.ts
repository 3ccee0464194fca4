/** Sink cursors for `plugin add`/`enable` (start at the newest event) and `remove`. */
import { paths } from "../../core/paths.ts";
import type { Manifest } from "../../core/plugin/manifest.ts";

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

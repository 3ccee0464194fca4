/**
 * Following a run from another process (tail, wait): read the readable progress file as
 * it grows, a whole line at a time, until the ledger says the run is over.
 */
import { getRun, reconcile, type RunRow } from "./ledger.ts";
import type { Db } from "./store.ts";

const POLL_MS = 150;
const RECONCILE_EVERY_MS = 1000;

/** Reads a file from a byte offset; returns complete lines and the new offset. */
export function readNewLines(
  path: string,
  offset: number,
): { lines: string[]; offset: number } {
  let f: Deno.FsFile;
  try {
    f = Deno.openSync(path, { read: true });
  } catch {
    return { lines: [], offset };
  }
  try {
    const size = f.statSync().size;
    if (size < offset) offset = 0; // truncated: start over
    if (size === offset) return { lines: [], offset };
    f.seekSync(offset, Deno.SeekMode.Start);
    const buf = new Uint8Array(size - offset);
    let read = 0;
    while (read < buf.length) {
      const n = f.readSync(buf.subarray(read));
      if (n === null || n === 0) break;
      read += n;
    }
    const lastNl = buf.subarray(0, read).lastIndexOf(10);
    if (lastNl < 0) return { lines: [], offset };
    const text = new TextDecoder().decode(buf.subarray(0, lastNl));
    return { lines: text.split("\n"), offset: offset + lastNl + 1 };
  } finally {
    f.close();
  }
}

export interface FollowOptions {
  /** Called with each complete line of the file, in order. */
  onLine?: (line: string) => void;
  /** Called every poll while the run is going (e.g. to draw a status line). */
  onTick?: (row: RunRow) => void;
  file?: string;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/** Resolves with the finished row, or null when the timeout or signal came first. */
export async function followRun(
  db: Db,
  runId: string,
  o: FollowOptions = {},
): Promise<RunRow | null> {
  let offset = 0;
  let lastReconcile = 0;
  const deadline = o.timeoutMs === undefined ? Infinity : Date.now() + o.timeoutMs;
  while (true) {
    if (Date.now() - lastReconcile >= RECONCILE_EVERY_MS) {
      reconcile(db);
      lastReconcile = Date.now();
    }
    const row = getRun(db, runId);
    if (o.file && o.onLine) {
      const r = readNewLines(o.file, offset);
      offset = r.offset;
      r.lines.forEach(o.onLine);
    }
    if (!row) return null;
    if (row.status !== "running" && row.status !== "reserved") {
      if (o.file && o.onLine) {
        readNewLines(o.file, offset).lines.forEach(o.onLine);
      }
      return row;
    }
    o.onTick?.(row);
    if (o.signal?.aborted || Date.now() >= deadline) return null;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

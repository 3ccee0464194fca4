/**
 * A ledger that starts empty while run files exist (a database deleted, emptied with
 * `truncate`, or moved aside by `doctor --repair`) is rebuilt from those files, so no run
 * is forgotten and no id is handed out twice. What the files tell: the id (day, backend
 * code, sequence, slug), the prompt, the result and, from the raw stream's first lines,
 * the backend type, session id and working directory. A run with a result file finished
 * (its first line says how); one without is `lost`, and gets a result file saying so.
 */
import { join } from "./path.ts";
import type { DatabaseSync } from "node:sqlite";
import { localDay, parseRunId, promptTitle } from "./runid.ts";

type Db = DatabaseSync;

/** The files one run left behind (each null when absent). */
export interface RunFilesFound {
  runId: string;
  prompt: string | null;
  /** The result file's first 4 KB (enough for its status line). */
  result: string | null;
  /** Start of the raw stream (first lines), for the backend type, session and cwd. */
  rawHead: string | null;
  /** The progress file, read only for a run without a result (its partial output). */
  out: string | null;
  /** Earliest and latest modification time among the files (epoch ms). */
  firstMs: number;
  lastMs: number;
}

const SUFFIXES: [dir: "tasks" | "runs", suffix: string][] = [
  ["tasks", ".prompt.md"],
  ["tasks", ".out.txt"],
  ["tasks", ".result.md"],
  ["runs", ".jsonl"],
  ["runs", ".stderr.log"],
];

/** How a finished run's result file begins: its status. Null: no result file. */
export function statusFromResult(result: string | null): string {
  if (result === null) return "lost";
  if (result.startsWith("INTERRUPTED")) return "interrupted";
  if (result.startsWith("LOST")) return "lost";
  if (/^handoff: /.test(result)) return "error";
  return "success";
}

/** The result file of a run that was lost: what is known, so `RESULT=` is always readable. */
export function lostResultBody(why: string, partial: string | null): string {
  return `LOST\n\nhandoff: ${why}\n` +
    (partial && partial.trim()
      ? `\nLast output before it was lost:\n\n${partial.trimEnd()}\n`
      : "");
}

/** The last `n` lines of a text (the partial output a lost result quotes). */
export function lastLines(text: string | null, n = 40): string | null {
  if (text === null) return null;
  const lines = text.trimEnd().split("\n");
  return lines.slice(-n).join("\n");
}

/** Backend type, session id and cwd from the first lines of a raw stream. */
export function rawFacts(head: string | null): {
  type: string;
  sessionId: string | null;
  cwd: string | null;
  model: string | null;
} {
  const facts = { type: "unknown", sessionId: null as string | null, cwd: null as string | null };
  let model: string | null = null;
  for (const line of (head ?? "").split("\n").slice(0, 20)) {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line);
    } catch {
      continue;
    }
    if (o.type === "system" && o.subtype === "init") {
      facts.type = "claude";
      if (typeof o.session_id === "string") facts.sessionId = o.session_id;
      if (typeof o.cwd === "string") facts.cwd = o.cwd;
      if (typeof o.model === "string") model = o.model;
      break;
    }
    if (o.type === "thread.started" && typeof o.thread_id === "string") {
      facts.type = "codex";
      facts.sessionId = o.thread_id;
      break;
    }
  }
  return { ...facts, model };
}

function readOrNull(path: string, max = 1 << 20): string | null {
  try {
    const f = Deno.openSync(path);
    try {
      const buf = new Uint8Array(max);
      let n = 0;
      while (n < max) {
        const got = f.readSync(buf.subarray(n));
        if (got === null || got === 0) break;
        n += got;
      }
      return new TextDecoder().decode(buf.subarray(0, n));
    } finally {
      f.close();
    }
  } catch {
    return null;
  }
}

/** Every run id with a file under tasks/ or runs/ (other files are left alone). */
export function scanRunFiles(home: string): RunFilesFound[] {
  const found = new Map<string, { first: number; last: number }>();
  for (const [dir, suffix] of SUFFIXES) {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(join(home, dir))];
    } catch {
      continue;
    }
    for (const e of entries) {
      if (!e.isFile || !e.name.endsWith(suffix)) continue;
      const runId = e.name.slice(0, -suffix.length);
      if (!parseRunId(runId)) continue;
      let mtime = 0;
      try {
        mtime = Deno.statSync(join(home, dir, e.name)).mtime?.getTime() ?? 0;
      } catch { /* gone meanwhile */ }
      const seen = found.get(runId);
      found.set(runId, {
        first: Math.min(seen?.first ?? mtime, mtime),
        last: Math.max(seen?.last ?? mtime, mtime),
      });
    }
  }
  // Only the heads are read (a title, a status, a session): histories can be large.
  return [...found.entries()].map(([runId, t]) => {
    const result = readOrNull(join(home, "tasks", `${runId}.result.md`), 4096);
    return {
      runId,
      prompt: readOrNull(join(home, "tasks", `${runId}.prompt.md`), 4096),
      result,
      rawHead: readOrNull(join(home, "runs", `${runId}.jsonl`), 64 * 1024),
      out: result === null ? readOrNull(join(home, "tasks", `${runId}.out.txt`)) : null,
      firstMs: t.first,
      lastMs: t.last,
    };
  });
}

/**
 * Adds a row for every run that has files but no row; lost ones get their result file.
 * Returns how many runs were added. Runs inside the caller's write transaction if any.
 */
export function rebuildFromFiles(db: Db, home: string): number {
  const runs = scanRunFiles(home);
  if (runs.length === 0) return 0;
  const exists = db.prepare("SELECT 1 FROM runs WHERE run_id = ?");
  const insert = db.prepare(
    `INSERT INTO runs (run_id, run_day, seq, slug, backend, backend_type, model, cwd, title,
       session_id, status, error, created_at, started_at, ended_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  let added = 0;
  for (const r of runs.sort((a, b) => a.firstMs - b.firstMs)) {
    if (exists.get(r.runId)) continue;
    const id = parseRunId(r.runId)!;
    const facts = rawFacts(r.rawHead);
    const status = statusFromResult(r.result);
    const why = "rebuilt from its files after the ledger was lost: no result had been written";
    if (r.result === null) {
      try {
        Deno.writeTextFileSync(
          join(home, "tasks", `${r.runId}.result.md`),
          lostResultBody(why, lastLines(r.out)),
          { mode: 0o600, createNew: true },
        );
      } catch { /* written meanwhile, or a read-only home: the row still says lost */ }
    }
    insert.run(
      r.runId,
      localDay(new Date(r.firstMs)),
      id.seq,
      id.slug,
      id.abbrev,
      facts.type,
      facts.model,
      facts.cwd ?? "",
      r.prompt === null ? "" : promptTitle(r.prompt),
      facts.sessionId,
      status,
      status === "success" ? null : (status === "lost" ? why : "rebuilt from its files"),
      r.firstMs,
      r.firstMs,
      r.lastMs,
    );
    added++;
  }
  return added;
}

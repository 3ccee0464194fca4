/** The run ledger: rows in `runs`, and the rules that keep their status honest. */
import type { Db } from "./store.ts";
import { transaction } from "./store.ts";
import { formatRunId, localDay, parseRunId, parseSeqCode } from "./runid.ts";
import type { Usage } from "./events.ts";
import { isSameProcess, killTreeNow } from "./proc.ts";
import { basename } from "./path.ts";
import { paths, runFiles } from "./paths.ts";
import { lastLines, lostResultBody } from "./rebuild.ts";
import { insertEvent, runNoticeEvent } from "./event_log.ts";
import { kickDeliveryIfSinks } from "./delivery_kick.ts";

/** Every status a run can have, in the order of its life. */
export const RUN_STATUSES = [
  "reserved",
  "running",
  "success",
  "error",
  "interrupted",
  "lost",
] as const;
export type RunStatus = typeof RUN_STATUSES[number];
export interface RunRow {
  id: number;
  run_id: string;
  run_day: string;
  seq: number;
  slug: string;
  backend: string;
  backend_type: string;
  model: string | null;
  pro: number;
  permission_mode: string | null;
  cwd: string;
  title: string;
  session_id: string | null;
  parent_run_id: string | null;
  status: RunStatus;
  exit_code: number | null;
  error: string | null;
  pid: number | null;
  pid_start: string | null;
  owner_pid: number | null;
  owner_start: string | null;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  turns: number;
  cost_usd: number | null;
  thread_usage: string | null;
  /** The tmux tab the run was started from (scopes its events), if known. */
  tmux_session: string | null;
  tmux_window: number | null;
  /** 1 when cost_usd is the CLI's estimate rather than what the endpoint charges. */
  cost_estimated: number;
  /** The first run of this conversation (its own id for a first run). */
  chain_id: number | null;
  /** The newest turn of the conversation: lists sort chains by it, keeping turns together. */
  group_key: number | null;
}

export interface NewRun {
  backend: string;
  backendType: string;
  slug: string;
  cwd: string;
  title: string;
  status: "reserved" | "running";
  model?: string | null;
  pro?: boolean;
  permissionMode?: string | null;
  sessionId?: string | null;
  parentRunId?: string | null;
  ownerPid?: number | null;
  ownerStart?: string | null;
  now?: Date;
  /** The home whose files an id must not collide with (default: the current one). */
  home?: string;
}

export { promptTitle } from "./runid.ts";

/** True when any file of this run id exists (a run the ledger does not know about). */
function hasFiles(runId: string, home?: string): boolean {
  const f = runFiles(runId, home === undefined ? undefined : paths(home));
  return [f.prompt, f.out, f.result, f.raw].some((p) => {
    try {
      Deno.statSync(p);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * The next sequence number of a day. Past the day's counter, and past every run of the
 * same MMDD in the ledger, whatever its year (ids carry no year: next year's 0611 must
 * not reuse this year's numbers), and past any id whose files exist on disk. A damaged
 * counter can therefore never hand out an id that is taken.
 */
function nextSeq(db: Db, now: Date, r: NewRun): number {
  const day = localDay(now);
  const counter = db.prepare("SELECT last_n FROM run_counters WHERE day = ?").get(day) as
    | { last_n: number }
    | undefined;
  const mmdd = formatRunId(now, r.backend, 1, "x").slice(0, 4);
  const used = db.prepare(
    "SELECT max(seq) AS n FROM runs WHERE run_id >= ? AND run_id < ?",
  ).get(`${mmdd}-`, `${mmdd}.`) as { n: number | null };
  let n = Math.max(counter?.last_n ?? 0, used.n ?? 0) + 1;
  while (hasFiles(formatRunId(now, r.backend, n, r.slug), r.home)) n++;
  return n;
}

/** Allocates the next id of the day and inserts the row, atomically. */
export function insertRun(db: Db, r: NewRun): RunRow {
  const now = r.now ?? new Date();
  return transaction(db, () => {
    const day = localDay(now);
    const n = nextSeq(db, now, r);
    db.prepare(
      "INSERT INTO run_counters(day, last_n) VALUES (?, ?) ON CONFLICT(day) DO UPDATE SET last_n = excluded.last_n",
    ).run(day, n);
    const runId = formatRunId(now, r.backend, n, r.slug);
    return insertRow(db, runId, day, n, r, now);
  });
}

/**
 * Inserts a row under an id chosen elsewhere (a prompt file named by an older `handoff
 * new` that kept no row). The day counter is moved past it so the id is never reissued.
 */
export function insertRunWithId(db: Db, runId: string, r: NewRun): RunRow {
  const parsed = parseRunId(runId);
  if (!parsed) throw new Error(`not a run id: ${runId}`);
  const now = r.now ?? new Date();
  return transaction(db, () => {
    const day = localDay(now);
    db.prepare(
      "INSERT INTO run_counters(day, last_n) VALUES (?, ?) ON CONFLICT(day) DO UPDATE SET last_n = max(last_n, excluded.last_n)",
    ).run(day, parsed.seq);
    return insertRow(db, runId, day, parsed.seq, r, now);
  });
}

/**
 * Puts a run into its parent's conversation chain (or a new one) and moves the chain's
 * group key to it: the chain sorts by its latest turn.
 */
function joinChain(db: Db, row: RunRow): RunRow {
  const parent = row.parent_run_id === null ? null : getRun(db, row.parent_run_id);
  const chain = parent?.chain_id ?? parent?.id ?? row.id;
  db.prepare("UPDATE runs SET chain_id = ? WHERE id = ?").run(chain, row.id);
  db.prepare("UPDATE runs SET group_key = ? WHERE chain_id = ? OR id = ?").run(
    row.id,
    chain,
    chain,
  );
  return getRun(db, row.run_id)!;
}

function insertRow(
  db: Db,
  runId: string,
  day: string,
  n: number,
  r: NewRun,
  now: Date,
): RunRow {
  const row = db.prepare(
    `INSERT INTO runs (run_id, run_day, seq, slug, backend, backend_type, model, pro,
       permission_mode, cwd, title, session_id, parent_run_id, status, owner_pid,
       owner_start, created_at, started_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
  ).get(
    runId,
    day,
    n,
    parseRunId(runId)?.slug ?? r.slug,
    r.backend,
    r.backendType,
    r.model ?? null,
    r.pro ? 1 : 0,
    r.permissionMode ?? null,
    r.cwd,
    r.title,
    r.sessionId ?? null,
    r.parentRunId ?? null,
    r.status,
    r.ownerPid ?? null,
    r.ownerStart ?? null,
    now.getTime(),
    r.status === "running" ? now.getTime() : null,
  ) as unknown as RunRow;
  return joinChain(db, row);
}

/** Turns a reserved row (from `handoff new`) into a running one; false if someone else did. */
export function startReserved(
  db: Db,
  runId: string,
  fields: {
    model: string;
    pro: boolean;
    permissionMode: string;
    cwd: string;
    title: string;
    sessionId: string | null;
    parentRunId: string | null;
    ownerPid: number;
    ownerStart: string | null;
  },
): RunRow | null {
  const row = db.prepare(
    `UPDATE runs SET status = 'running', model = ?, pro = ?, permission_mode = ?, cwd = ?,
       title = ?, session_id = ?, parent_run_id = ?, owner_pid = ?, owner_start = ?,
       started_at = ?
     WHERE run_id = ? AND status = 'reserved' RETURNING *`,
  ).get(
    fields.model,
    fields.pro ? 1 : 0,
    fields.permissionMode,
    fields.cwd,
    fields.title,
    fields.sessionId,
    fields.parentRunId,
    fields.ownerPid,
    fields.ownerStart,
    Date.now(),
    runId,
  ) as RunRow | undefined ?? null;
  // A reserved turn learns its conversation only now (resume adopting a `new` id).
  return row && row.parent_run_id !== null ? transaction(db, () => joinChain(db, row)) : row;
}

export function getRun(db: Db, runId: string): RunRow | null {
  return (db.prepare("SELECT * FROM runs WHERE run_id = ?").get(runId) as
    | RunRow
    | undefined) ??
    null;
}

/** Records the tab the run was started from. */
export function setOrigin(
  db: Db,
  runId: string,
  tab: { session: string; window: number | null },
): void {
  db.prepare("UPDATE runs SET tmux_session = ?, tmux_window = ? WHERE run_id = ?")
    .run(tab.session, tab.window, runId);
}

export function setCostEstimated(db: Db, runId: string): void {
  db.prepare("UPDATE runs SET cost_estimated = 1 WHERE run_id = ?").run(runId);
}

export function setSession(db: Db, runId: string, sessionId: string): void {
  db.prepare("UPDATE runs SET session_id = ? WHERE run_id = ?").run(
    sessionId,
    runId,
  );
}

export function setChild(
  db: Db,
  runId: string,
  pid: number,
  pidStart: string | null,
): void {
  db.prepare("UPDATE runs SET pid = ?, pid_start = ? WHERE run_id = ?").run(
    pid,
    pidStart,
    runId,
  );
}

export function usageColumns(u: Usage) {
  return {
    input_tokens: u.inputTokens,
    output_tokens: u.outputTokens,
    cache_read_tokens: u.cacheReadTokens,
    cache_write_tokens: u.cacheWriteTokens,
    reasoning_tokens: u.reasoningTokens,
    turns: u.turns,
    cost_usd: u.costUsd,
  };
}

/**
 * Records the end of a run. Only a row still `running` is finished, so a `kill` that
 * already marked it interrupted is not overwritten by a late success.
 */
export function finishRun(
  db: Db,
  runId: string,
  f: {
    status: RunStatus;
    exitCode: number | null;
    error: string | null;
    usage: Usage;
    threadUsage: Usage | null;
  },
): RunRow | null {
  const u = usageColumns(f.usage);
  return db.prepare(
    `UPDATE runs SET status = CASE status WHEN 'interrupted' THEN 'interrupted' ELSE ? END,
       exit_code = ?, error = ?, ended_at = ?, input_tokens = ?,
       output_tokens = ?, cache_read_tokens = ?, cache_write_tokens = ?, reasoning_tokens = ?,
       turns = ?, cost_usd = ?, thread_usage = ?
     WHERE run_id = ? AND status IN ('running', 'interrupted') RETURNING *`,
  ).get(
    f.status,
    f.exitCode,
    f.error,
    Date.now(),
    u.input_tokens,
    u.output_tokens,
    u.cache_read_tokens,
    u.cache_write_tokens,
    u.reasoning_tokens,
    u.turns,
    u.cost_usd,
    f.threadUsage ? JSON.stringify(f.threadUsage) : null,
    runId,
  ) as RunRow | undefined ?? null;
}

/** `fn`'s result, or null when the database cannot be written (a read-only home). */
function writable<T>(fn: () => T): T | null {
  try {
    return fn();
  } catch (e) {
    if (/readonly|read-only/i.test(String(e))) return null;
    throw e;
  }
}

/** The running turn of a run's conversation (itself, or a later turn), if any. */
export function runningTurn(db: Db, r: RunRow): RunRow | null {
  return (db.prepare(
    `SELECT * FROM runs WHERE status = 'running' AND (run_id = ? OR parent_run_id = ? OR
       (session_id IS NOT NULL AND session_id = ?)) ORDER BY id DESC LIMIT 1`,
  ).get(r.run_id, r.run_id, r.session_id) as RunRow | undefined) ?? null;
}

/**
 * Removes an ended (or reserved) run: its row, then its files. A running run is refused
 * (false), checked inside the write lock so a run that just started is never removed.
 * Returns the bytes of the files removed.
 */
export function deleteRun(db: Db, runId: string): number | false {
  const gone = transaction(db, () => {
    const res = db.prepare("DELETE FROM runs WHERE run_id = ? AND status != 'running'").run(runId);
    return Number(res.changes) === 1;
  });
  if (!gone) return false;
  let bytes = 0;
  const f = runFiles(runId);
  for (const path of [f.prompt, f.out, f.result, f.raw, f.stderr]) {
    try {
      bytes += Deno.statSync(path).size;
      Deno.removeSync(path);
    } catch { /* not there */ }
  }
  return bytes;
}

/** Cancels a reservation (`handoff new` that never ran): its row goes, its files stay. */
export function cancelReserved(db: Db, runId: string): boolean {
  const res = db.prepare("DELETE FROM runs WHERE run_id = ? AND status = 'reserved'").run(runId);
  return Number(res.changes) === 1;
}

/** Marks a running row with a new status (kill → interrupted, reconcile → lost). */
export function markEnded(
  db: Db,
  runId: string,
  status: RunStatus,
  error: string,
): boolean {
  const res = db.prepare(
    "UPDATE runs SET status = ?, error = coalesce(error, ?), ended_at = ? WHERE run_id = ? AND status = 'running'",
  ).run(status, error, Date.now(), runId);
  return Number(res.changes) > 0;
}

/**
 * A row says `running` only while its handoff process lives. One whose owner died
 * (SIGKILL, reboot) becomes `lost`; its orphaned backend, if still alive, is stopped
 * because nobody is reading its output any more.
 */
export function reconcile(db: Db): string[] {
  const rows = db.prepare(
    `SELECT run_id, backend, cwd, pid, pid_start, owner_pid, owner_start, tmux_session,
       tmux_window FROM runs WHERE status = 'running'`,
  ).all() as unknown as Pick<
    RunRow,
    | "run_id"
    | "backend"
    | "cwd"
    | "pid"
    | "pid_start"
    | "owner_pid"
    | "owner_start"
    | "tmux_session"
    | "tmux_window"
  >[];
  const lost: string[] = [];
  for (const r of rows) {
    if (isSameProcess(r.owner_pid, r.owner_start)) continue;
    if (r.pid && isSameProcess(r.pid, r.pid_start)) killTreeNow(r.pid);
    const error = "the handoff process supervising this run died";
    // Marked and announced together: of two processes reconciling, exactly one tells.
    // (On a read-only home nothing can be marked: the run is listed as it is.)
    const marked = writable(() =>
      transaction(db, () => {
        if (!markEnded(db, r.run_id, "lost", error)) return false;
        insertEvent(
          db,
          runNoticeEvent({
            kind: "ended",
            run: {
              runId: r.run_id,
              backend: r.backend,
              status: "lost",
              exitCode: null,
              resultPath: "",
              resultHead: error,
              cwd: r.cwd,
              tab: r.tmux_session === null
                ? null
                : { session: r.tmux_session, window: r.tmux_window },
            },
          }),
        );
        return true;
      })
    );
    if (marked === null) break;
    if (marked) {
      writeLostResult(r.run_id, error);
      lost.push(r.run_id);
    }
  }
  if (lost.length > 0) {
    kickDeliveryIfSinks(paths().home, db);
  }
  return lost;
}

/**
 * The result file of a run marked lost (unless its supervisor wrote one before dying):
 * why, and the last progress lines, so a `RESULT=` path is always there to read.
 */
export function writeLostResult(runId: string, why: string): void {
  const files = runFiles(runId);
  let out: string | null = null;
  try {
    out = Deno.readTextFileSync(files.out);
  } catch { /* no progress was written */ }
  try {
    Deno.writeTextFileSync(files.result, lostResultBody(why, lastLines(out)), {
      mode: 0o600,
      createNew: true,
    });
  } catch { /* it has one already, or the home is read-only */ }
}

export interface RunFilter {
  status?: string;
  backend?: string;
  /** Words that must all occur (case-insensitively) in the run id, prompt title or cwd. */
  text?: string;
}

/** Escapes LIKE wildcards so `%` and `_` typed by a person match themselves. */
export function likePattern(word: string): string {
  return "%" + word.replace(/[\\%_]/g, (c) => "\\" + c) + "%";
}

/**
 * The WHERE clause (without the keyword; "1" when empty) and its arguments. Status and
 * backend use the indexes on those columns; text is a scan, fine up to 100k rows (~50 ms).
 */
export function runsWhere(f: RunFilter): { where: string; args: string[] } {
  const where: string[] = [];
  const args: string[] = [];
  if (f.status) {
    where.push("status = ?");
    args.push(f.status);
  }
  if (f.backend) {
    where.push("backend = ?");
    args.push(f.backend);
  }
  for (const word of (f.text ?? "").split(/\s+/).filter(Boolean)) {
    where.push(
      "(run_id LIKE ? ESCAPE '\\' OR title LIKE ? ESCAPE '\\' OR cwd LIKE ? ESCAPE '\\')",
    );
    const p = likePattern(word);
    args.push(p, p, p);
  }
  return { where: where.length ? where.join(" AND ") : "1", args };
}

/** Newest first; uses the primary key so 100,000 rows cost the same as 100. */
export function listRuns(db: Db, f: RunFilter & { limit: number }): RunRow[] {
  const { where, args } = runsWhere(f);
  return db.prepare(`SELECT * FROM runs WHERE ${where} ORDER BY id DESC LIMIT ?`)
    .all(...args, f.limit) as unknown as RunRow[];
}

export class AmbiguousRun extends Error {
  constructor(readonly selector: string, readonly candidates: string[]) {
    super(`"${selector}" matches several runs`);
  }
}

export interface FindOptions {
  now?: Date;
  /**
   * For a name or `latest`: a running run before a newer ended one (what `kill` and `wait`
   * mean by "the fix-auth run" while one is going).
   */
  preferRunning?: boolean;
}

/**
 * Finds a run by: exact id; a `.result.md` / `.prompt.md` path; a sequence code of
 * today (`03`, `A0`) or `MMDD-03`; a unique id prefix; a slug (its newest run); `latest`.
 * Null when nothing matches.
 */
export function findRun(
  db: Db,
  selector: string,
  opts: FindOptions = {},
): RunRow | null {
  const now = opts.now ?? new Date();
  // Among runs of one name: started ones first (a reservation only when nothing else
  // has the name), and with preferRunning a live one first of all.
  const order = `${opts.preferRunning ? "status = 'running' DESC, " : ""}` +
    "status = 'reserved', id DESC";
  const exact = getRun(db, selector);
  if (exact) return exact;
  if (selector === "latest" || selector === "last") {
    return (db.prepare(
      `SELECT * FROM runs WHERE status != 'reserved' ORDER BY ${order} LIMIT 1`,
    )
      .get() as RunRow | undefined) ?? null;
  }
  const file = basename(selector).match(
    /^(.+)\.(result|prompt|out)\.(md|txt)$/,
  );
  if (file) return getRun(db, file[1]);
  const day = /^(\d{4})-([0-9A-Z]{2}|\d{4,})$/.exec(selector);
  const code = day ? day[2] : /^([0-9A-Z]{2}|\d{1,2})$/.test(selector) ? selector : null;
  if (code) {
    const seq = parseSeqCode(code.length === 1 ? "0" + code : code);
    if (seq !== null) {
      const mmdd = day ? day[1] : localDay(now).slice(5).replace("-", "");
      const row = db.prepare(
        "SELECT * FROM runs WHERE seq = ? AND substr(run_day, 6, 2) || substr(run_day, 9, 2) = ? ORDER BY id DESC LIMIT 1",
      ).get(seq, mmdd) as RunRow | undefined;
      if (row) return row;
    }
  }
  if (selector.length >= 3) {
    const rows = db.prepare(
      "SELECT * FROM runs WHERE run_id >= ? AND run_id < ? ORDER BY id DESC LIMIT 6",
    ).all(selector, selector + "\uffff") as unknown as RunRow[];
    if (rows.length === 1) return rows[0];
    if (rows.length > 1) {
      throw new AmbiguousRun(
        selector,
        rows.map((r) => r.run_id),
      );
    }
  }
  // By name: the newest run with this slug, the latest turn of `run --slug fix-auth`.
  // Any length: a two-letter slug (`qw`) is a name too.
  const named = db.prepare(
    `SELECT * FROM runs WHERE slug = ? ORDER BY ${order} LIMIT 1`,
  ).get(selector) as RunRow | undefined;
  return named ?? null;
}

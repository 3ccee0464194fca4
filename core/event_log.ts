/**
 * The event log: what `handoff notify`, agent hooks and the run engine record, and what
 * paired phones stream (`gate subscribe`) and people read (`handoff events`).
 *
 * Rows live in the SQLite `events` table. AUTOINCREMENT ids are allocated inside the
 * insert transaction, so they are monotonic, never reused and gapless: a hole in the ids a
 * reader sees can only mean pruned rows. The log keeps the newest N rows (pruned inside
 * the insert transaction every so often), and a reader whose range was pruned gets a
 * `gap` record instead of silence.
 *
 * The wire record keeps the field names of the seed's events.jsonl (`id`, `ts`, `type`,
 * `message`, `title`, `tmux_session`, `tmux_window`, `cwd`, `source`,
 * `claude_session_id`) so the Android app's parser keeps working, and adds `tab`,
 * `agent_session_id`, `run_id` and `backend`. An event may carry fields of its own
 * (`data`, stored as JSON): they are added to the record without replacing any of those.
 */
import { type Db, getSetting, transaction } from "./store.ts";

/** The terminal tab a run was started from (a tmux session and window). */
export interface RunTab {
  session: string;
  window: number | null;
}

/** A finished run as the run engine records it. */
export interface RunEnded {
  runId: string;
  backend: string;
  status: string;
  exitCode: number | null;
  resultPath: string;
  resultHead: string;
  cwd: string;
  /** Where it was started from; null when that is not known (not in tmux). */
  tab: RunTab | null;
}

/** What the run engine records in the event log: a run ended, or its stream shows a denial. */
export type RunNotice =
  | { kind: "ended"; run: RunEnded }
  | {
    kind: "permission_denied";
    runId: string;
    backend: string;
    cwd: string;
    detail: string;
    tab: RunTab | null;
  };

/** Record types that mean something else on the stream; events may not use them. */
export const CONTROL_TYPES: readonly string[] = ["ready", "ping", "gap"];

export const DEFAULT_MAX_EVENTS = 10_000;
/** Silence after which a stream sends a `ping` (seed §11.2: 25 s). */
export const PING_MS = 25_000;
/** A stream re-checks the log this long after its last wake-up even without one. */
export const BACKSTOP_MS = 10_000;
/** A second look shortly after a wake-up: a commit's last WAL write precedes its visibility. */
const SETTLE_MS = 30;
const BATCH = 500;

export interface NewEvent {
  type: string;
  message: string;
  title?: string | null;
  session?: string | null;
  window?: number | null;
  cwd?: string | null;
  source?: string | null;
  agentSessionId?: string | null;
  runId?: string | null;
  backend?: string | null;
  /** Fields of this kind of event (a permission request's id, its options …). */
  data?: Record<string, EventValue> | null;
  at?: Date;
}

/** What an event's own fields may hold: any JSON value. */
export type EventValue =
  | string
  | number
  | boolean
  | null
  | EventValue[]
  | { [key: string]: EventValue };

/** One event as streamed: NDJSON, absent fields left out. */
export interface EventRecord {
  id: number;
  ts: string;
  type: string;
  message: string;
  title?: string;
  tmux_session?: string;
  tmux_window?: number;
  /** "session:window" (or just "session"): the phone's per-tab dedupe and suppression key. */
  tab?: string;
  cwd?: string;
  source?: string;
  agent_session_id?: string;
  /** The seed's name for the agent session id, kept for Claude Code events. */
  claude_session_id?: string;
  run_id?: string;
  backend?: string;
  /** Set by a subscription: the device is viewing this tab right now. */
  suppress?: boolean;
  /** The event's own fields (NewEvent.data). */
  [field: string]: unknown;
}

interface EventRow {
  id: number;
  ts: string;
  type: string;
  title: string | null;
  message: string;
  tmux_session: string | null;
  tmux_window: number | null;
  cwd: string | null;
  source: string | null;
  agent_session_id: string | null;
  run_id: string | null;
  backend: string | null;
  data: string | null;
}

/** The stable key of a tmux tab: `session:window`, `session` alone, or none. */
export function tabKey(
  session: string | null | undefined,
  window: number | null | undefined,
): string | undefined {
  if (!session) return undefined;
  return window === null || window === undefined ? session : `${session}:${window}`;
}

export function rowToRecord(row: EventRow): EventRecord {
  const rec: EventRecord = { id: row.id, ts: row.ts, type: row.type, message: row.message };
  if (row.title !== null) rec.title = row.title;
  if (row.tmux_session !== null) rec.tmux_session = row.tmux_session;
  if (row.tmux_window !== null) rec.tmux_window = row.tmux_window;
  const tab = tabKey(row.tmux_session, row.tmux_window);
  if (tab) rec.tab = tab;
  if (row.cwd !== null) rec.cwd = row.cwd;
  if (row.source !== null) rec.source = row.source;
  if (row.agent_session_id !== null) {
    rec.agent_session_id = row.agent_session_id;
    if (row.source === "claude-code") rec.claude_session_id = row.agent_session_id;
  }
  if (row.run_id !== null) rec.run_id = row.run_id;
  if (row.backend !== null) rec.backend = row.backend;
  if (row.data !== null) {
    try {
      const data = JSON.parse(row.data);
      for (const [k, v] of Object.entries(data ?? {})) if (!(k in rec)) rec[k] = v;
    } catch { /* unreadable extra fields: the common ones still go out */ }
  }
  return rec;
}

const RUN_TITLES: Record<string, string> = {
  success: "run finished",
  error: "run failed",
  interrupted: "run interrupted",
  lost: "run lost",
};

/** The first `lines` non-blank lines of a text, at most `max` characters: what a phone shows. */
export function headLines(text: string, lines = 3, max = 300): string {
  const head = text.split("\n").map((l) => l.trimEnd()).filter((l) => l.trim() !== "")
    .slice(0, lines).join("\n");
  return head.length > max ? head.slice(0, max - 1) + "…" : head;
}

/**
 * The event for a run notice: `run-<status>` when a run ends (its result's first lines as
 * the message), `run-denied` when its stream shows a permission denial. Either carries the
 * tab the run was started from, so only devices allowed that session see it.
 */
export function runNoticeEvent(notice: RunNotice): NewEvent {
  if (notice.kind === "permission_denied") {
    return {
      type: "run-denied",
      title: `${notice.backend} run needs a permission`,
      message: headLines(`${notice.runId}: denied ${notice.detail}`),
      session: notice.tab?.session ?? null,
      window: notice.tab?.window ?? null,
      cwd: notice.cwd,
      source: "handoff",
      runId: notice.runId,
      backend: notice.backend,
    };
  }
  const r = notice.run;
  return {
    type: `run-${r.status}`,
    title: `${r.backend} ${RUN_TITLES[r.status] ?? `run ${r.status}`}`,
    message: headLines(r.resultHead) || r.runId,
    session: r.tab?.session ?? null,
    window: r.tab?.window ?? null,
    cwd: r.cwd,
    source: "handoff",
    runId: r.runId,
    backend: r.backend,
  };
}

/** How many events to keep: $HANDOFF_EVENTS_MAX, else the `events.max` setting, else 10,000. */
export function maxEvents(db: Db): number {
  const raw = Deno.env.get("HANDOFF_EVENTS_MAX") ?? getSetting(db, "events.max");
  const n = Number(raw);
  return raw !== undefined && Number.isInteger(n) && n > 0 ? n : DEFAULT_MAX_EVENTS;
}

/**
 * Prune every `pruneEvery(max)` inserts (when the new id is a multiple): the log holds at
 * most max + that many rows, and most inserts skip the DELETE.
 */
export function pruneEvery(max: number): number {
  return Math.max(1, Math.min(100, Math.floor(max / 10)));
}

/** Appends one event (and prunes now and then) in one write transaction. */
export function appendEvent(db: Db, ev: NewEvent): EventRecord {
  return transaction(db, () => insertEvent(db, ev));
}

/** appendEvent's body, for a caller already inside a write transaction. */
export function insertEvent(db: Db, ev: NewEvent): EventRecord {
  const ts = (ev.at ?? new Date()).toISOString();
  const row = db.prepare(
    `INSERT INTO events (ts, type, title, message, tmux_session, tmux_window, cwd, source,
       agent_session_id, run_id, backend, data)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
  ).get(
    ts,
    ev.type,
    ev.title ?? null,
    ev.message,
    ev.session ?? null,
    ev.window ?? null,
    ev.cwd ?? null,
    ev.source ?? null,
    ev.agentSessionId ?? null,
    ev.runId ?? null,
    ev.backend ?? null,
    ev.data ? JSON.stringify(ev.data) : null,
  ) as unknown as EventRow;
  const max = maxEvents(db);
  if (row.id % pruneEvery(max) === 0) {
    db.prepare("DELETE FROM events WHERE id <= ?").run(row.id - max);
  }
  return rowToRecord(row);
}

/** Up to `limit` events with id > `afterId`, oldest first. */
export function eventsAfter(db: Db, afterId: number, limit = BATCH): EventRecord[] {
  const rows = db.prepare("SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?")
    .all(afterId, limit) as unknown as EventRow[];
  return rows.map(rowToRecord);
}

/** The newest `limit` events, oldest first. */
export function latestEvents(db: Db, limit: number): EventRecord[] {
  const rows = db.prepare("SELECT * FROM events ORDER BY id DESC LIMIT ?")
    .all(limit) as unknown as EventRow[];
  return rows.reverse().map(rowToRecord);
}

/** The id of the newest event ever written (0 for an empty log). */
export function lastEventId(db: Db): number {
  const row = db.prepare(
    "SELECT coalesce((SELECT max(id) FROM events), (SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0) AS id",
  ).get() as { id: number };
  return Number(row.id);
}

/**
 * The ids a reader at `cursor` missed, given the first id it can still read: ids are
 * gapless, so any hole is a pruned range. Null when nothing was missed.
 */
export function gapBetween(cursor: number, nextId: number): { from: number; to: number } | null {
  return nextId > cursor + 1 ? { from: cursor + 1, to: nextId - 1 } : null;
}

/**
 * Wakes a reader when the database changes: a watch on the WAL file sees every commit's
 * writes (and the close that follows a writer's commit). No polling.
 *
 * Only the WAL, never the database file or its directory: Deno's watcher opens the path
 * of each event it reports, and closing that descriptor drops every POSIX lock this
 * process holds on the file. On the database file that includes SQLite's shared lock, so
 * the next writer to close believes it is the last user, checkpoints and deletes the WAL
 * under us, and this reader silently stops seeing new rows. SQLite locks no byte of the
 * WAL. The connection keeps the WAL in existence while it is open.
 */
export class ChangeWatcher {
  private watcher: Deno.FsWatcher | null = null;
  private pending = false;
  private wake: (() => void) | null = null;
  private readonly wal: string;

  constructor(dbFile: string) {
    this.wal = `${dbFile}-wal`;
    this.arm();
  }

  /** (Re)starts the watch; without one (no WAL yet, no inotify) the backstop timer wakes us. */
  private arm(): void {
    let watcher: Deno.FsWatcher;
    try {
      watcher = Deno.watchFs(this.wal, { recursive: false });
    } catch {
      return;
    }
    this.watcher = watcher;
    (async () => {
      try {
        for await (const e of watcher) {
          this.pending = true;
          this.wake?.();
          // A WAL replaced by another program: watch the new file from the next wait on.
          if (e.kind === "remove" && this.watcher === watcher) {
            this.watcher = null;
            watcher.close();
          }
        }
      } catch { /* closed */ }
    })();
  }

  /** Resolves "change" at the next database write (or at once if one came meanwhile). */
  wait(ms: number, signal: AbortSignal): Promise<"change" | "timeout" | "abort"> {
    if (signal.aborted) return Promise.resolve("abort");
    if (this.watcher === null) this.arm();
    if (this.pending) {
      this.pending = false;
      return Promise.resolve("change");
    }
    return new Promise((resolve) => {
      const done = (why: "change" | "timeout" | "abort") => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        this.wake = null;
        this.pending = false;
        resolve(why);
      };
      const onAbort = () => done("abort");
      const timer = setTimeout(() => done("timeout"), Math.max(0, ms));
      signal.addEventListener("abort", onAbort);
      this.wake = () => done("change");
    });
  }

  close(): void {
    const w = this.watcher;
    this.watcher = null;
    try {
      w?.close();
    } catch { /* already closed */ }
  }
}

export interface StreamOptions {
  db: Db;
  dbFile: string;
  since: number;
  /** Writes one NDJSON record (newline included); rejects when the reader has gone. */
  write(line: string): Promise<void>;
  signal: AbortSignal;
  /** Keep streaming after the drain (`ready`), until the reader goes or `signal` aborts. */
  follow: boolean;
  /**
   * Called once per batch; returns what to send for each event (null: not for this
   * reader). Lets a subscription filter by patterns and mark suppressed tabs.
   */
  view?: () => (ev: EventRecord) => EventRecord | null;
  /** Checked at each wake-up; false ends the stream (the device lost access). */
  stillAllowed?: () => boolean;
  pingMs?: number;
  backstopMs?: number;
}

/**
 * The stream of §11.2: events after `since` (a `gap` record first if part of that range
 * was pruned), one `ready` record with `last_id`, then live events as they are written,
 * a `ping` after `pingMs` of silence. Resolves when the reader goes away.
 */
export async function streamEvents(o: StreamOptions): Promise<void> {
  const pingMs = o.pingMs ?? PING_MS;
  const backstopMs = o.backstopMs ?? BACKSTOP_MS;
  // Watch before the first read, so a write between the two is not missed.
  const watcher = o.follow ? new ChangeWatcher(o.dbFile) : null;
  let lastOutput = Date.now();
  const send = async (rec: object) => {
    try {
      await o.write(JSON.stringify(rec) + "\n");
    } catch {
      throw new ReaderGone();
    }
    lastOutput = Date.now();
  };
  // A cursor ahead of the log (the log was reset) snaps back, as the phone does on `ready`.
  // Decided before the drain: anything committed after this read has a higher id.
  let cursor = Math.min(Math.max(0, Math.floor(o.since)), lastEventId(o.db));
  const pump = async (): Promise<void> => {
    while (true) {
      const batch = eventsAfter(o.db, cursor);
      if (batch.length === 0) return;
      const gap = gapBetween(cursor, batch[0].id);
      if (gap) await send({ type: "gap", ts: new Date().toISOString(), ...gap });
      const view = o.view?.() ?? ((ev: EventRecord) => ev);
      for (const ev of batch) {
        const out = view(ev);
        if (out) await send(out);
      }
      cursor = batch[batch.length - 1].id;
      if (batch.length < BATCH) return;
    }
  };
  try {
    await pump();
    await send({ type: "ready", ts: new Date().toISOString(), last_id: cursor });
    if (!watcher) return;
    let settle = false;
    while (!o.signal.aborted) {
      const untilPing = lastOutput + pingMs - Date.now();
      const why = await watcher.wait(
        Math.min(settle ? SETTLE_MS : backstopMs, untilPing),
        o.signal,
      );
      if (why === "abort") return;
      if (o.stillAllowed && !o.stillAllowed()) return;
      await pump();
      settle = why === "change";
      if (Date.now() - lastOutput >= pingMs) {
        await send({ type: "ping", ts: new Date().toISOString() });
      }
    }
  } catch (e) {
    // The reader went away (EPIPE, closed channel): a quiet end, not an error.
    if (!(e instanceof ReaderGone)) throw e;
  } finally {
    watcher?.close();
  }
}

/** A write failed: the reader has gone. */
class ReaderGone extends Error {}

/**
 * The delivery process (`handoff deliver`, started by core/delivery_kick.ts): hands every
 * stored event to every event sink, then exits. No daemon: a writer that stores an event
 * starts it, and it lives only while there is work (and the linger below).
 *
 * - It lingers a while after the log is drained (a minute; HANDOFF_DELIVERY_LINGER_MS):
 *   an agent's turn stores several events in a row, and a writer that finds a delivery
 *   process alive starts none, so only the first event of a burst pays for a spawn. When
 *   the plugins or the config change meanwhile (a sink removed, a URL edited), it hands
 *   over to a fresh process, which loads them again.
 * - One at a time: a lease (the owner's pid and start time in `settings`) is taken in a
 *   write transaction; a second process finds it held by a live owner and exits. The
 *   owner gives it up in a transaction that first checks nothing is due, so an event
 *   stored while it was finishing is seen either by it or by the next process.
 * - At least once: a sink's cursor (`sink_state`) moves past a batch only after the batch
 *   was delivered; an event handed over twice carries the same `id`.
 * - A failing sink is retried with exponential back-off (1 s doubling to 5 min) and its
 *   error kept for `handoff plugin status`; the others go on. Events pruned from the log
 *   before a sink got them are counted as missed, never skipped silently.
 */
import type { EventRecord } from "./event_log.ts";
import { eventsAfter, lastEventId } from "./event_log.ts";
import { isSameProcess, processStartTime } from "./proc.ts";
import type { RegisteredSink, Registry } from "./registry.ts";
import { type Db, getSetting, openDb, setSetting, transaction } from "./store.ts";
import { lockPath, paths } from "./paths.ts";
import { envMs } from "./duration.ts";
import { DELIVERY_LEASE as LEASE, kickDelivery } from "./delivery_kick.ts";

export const DELIVERY_BATCH = 100;
const BACKOFF_MAX_MS = 5 * 60_000;
/** How long one delivery process waits out back-offs before it leaves them to the next. */
const LIFETIME_MS = 15 * 60_000;
/** How long a delivery process waits for more events once the log is drained. */
const LINGER_MS = 60_000;
/** While a sink backs off, the others' new events are looked for this often. */
const POLL_MS = 250;
/** One delivery call may take this long before it counts as failed. */
const DELIVER_TIMEOUT_MS = 30_000;

export interface SinkState {
  sink: string;
  cursor: number;
  attempts: number;
  next_at: number;
  delivered: number;
  missed: number;
  last_ok_at: string | null;
  last_error: string | null;
  last_error_at: string | null;
}

/** The wait before attempt `attempts + 1`: 1 s, 2 s, 4 s … at most 5 min. */
export function backoffMs(attempts: number, baseMs = 1000, maxMs = BACKOFF_MAX_MS): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
}

/**
 * A sink's state, created when first seen with its cursor at the newest event: a sink
 * added today is not flooded with the log's history.
 */
export function sinkState(db: Db, key: string): SinkState {
  const row = db.prepare("SELECT * FROM sink_state WHERE sink = ?").get(key) as
    | SinkState
    | undefined;
  if (row) return row;
  db.prepare("INSERT OR IGNORE INTO sink_state (sink, cursor) VALUES (?, ?)").run(
    key,
    lastEventId(db),
  );
  return db.prepare("SELECT * FROM sink_state WHERE sink = ?").get(key) as unknown as SinkState;
}

export function sinkStates(db: Db): SinkState[] {
  return db.prepare("SELECT * FROM sink_state ORDER BY sink").all() as unknown as SinkState[];
}

/** Events a sink has not had yet. */
export function pendingCount(db: Db, state: SinkState): number {
  return Math.max(0, lastEventId(db) - state.cursor);
}

function claim(db: Db): boolean {
  return transaction(db, () => {
    const held = getSetting(db, LEASE);
    if (held) {
      try {
        const { pid, start } = JSON.parse(held);
        if (pid !== Deno.pid && isSameProcess(pid, start)) return false;
      } catch { /* a damaged lease is no lease */ }
    }
    setSetting(db, LEASE, JSON.stringify({ pid: Deno.pid, start: processStartTime(Deno.pid) }));
    return true;
  });
}

/** Gives the lease up unless some sink has events due now; true when it was given up. */
function releaseIfIdle(db: Db, keys: string[]): boolean {
  return transaction(db, () => {
    const last = lastEventId(db);
    const now = Date.now();
    const due = keys.some((k) => {
      const s = sinkState(db, k);
      return s.cursor < last && s.next_at <= now;
    });
    if (due) return false;
    dropLease(db);
    return true;
  });
}

function dropLease(db: Db): void {
  db.prepare("DELETE FROM settings WHERE key = ?").run(LEASE);
}

/** Thrown when the settings changed under a delivery: not the sink's failure. */
class SettingsChanged extends Error {}

async function deliverWithTimeout(
  sink: RegisteredSink,
  events: EventRecord[],
  stale: () => boolean,
): Promise<void> {
  const ac = new AbortController();
  const ms = envMs("HANDOFF_DELIVERY_TIMEOUT_MS", DELIVER_TIMEOUT_MS);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let watch: ReturnType<typeof setInterval> | undefined;
  try {
    await Promise.race([
      sink.sink.deliver(events, ac.signal),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          ac.abort();
          reject(new Error(`no answer within ${ms} ms`));
        }, ms);
        // A sink disabled or reconfigured mid-batch stops at once (the batch comes again,
        // to whichever sinks the new settings have: at least once).
        watch = setInterval(() => {
          if (!stale()) return;
          ac.abort();
          reject(new SettingsChanged());
        }, POLL_MS);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    clearInterval(watch);
  }
}

/**
 * One pass over the sinks: each that is due gets its next batch. Returns whether anything
 * was attempted, and when the soonest backing-off sink with events is due again.
 */
export async function deliveryRound(
  db: Db,
  sinks: RegisteredSink[],
  baseMs: number,
  stale: () => boolean = () => false,
): Promise<{ attempted: boolean; soonest: number | null }> {
  let attempted = false;
  let soonest: number | null = null;
  for (const sink of sinks) {
    const state = sinkState(db, sink.key);
    const last = lastEventId(db);
    if (state.cursor >= last) continue;
    if (state.next_at > Date.now()) {
      soonest = Math.min(soonest ?? Infinity, state.next_at);
      continue;
    }
    const batch = eventsAfter(db, state.cursor, DELIVERY_BATCH);
    // Ids are gapless but for pruning: a hole before the batch is what the sink missed.
    const firstId = batch[0]?.id ?? last + 1;
    const missed = Math.max(0, firstId - state.cursor - 1);
    if (batch.length === 0) {
      db.prepare("UPDATE sink_state SET cursor = ?, missed = missed + ? WHERE sink = ?")
        .run(last, missed, sink.key);
      continue;
    }
    attempted = true;
    try {
      await deliverWithTimeout(sink, batch, stale);
      db.prepare(
        `UPDATE sink_state SET cursor = ?, attempts = 0, next_at = 0, delivered = delivered + ?,
           missed = missed + ?, last_ok_at = ? WHERE sink = ?`,
      ).run(batch[batch.length - 1].id, batch.length, missed, new Date().toISOString(), sink.key);
    } catch (e) {
      if (e instanceof SettingsChanged) throw e;
      const attempts = state.attempts + 1;
      db.prepare(
        `UPDATE sink_state SET attempts = ?, next_at = ?, last_error = ?, last_error_at = ?
         WHERE sink = ?`,
      ).run(
        attempts,
        Date.now() + backoffMs(attempts, baseMs),
        ((e as Error).message ?? String(e)).slice(0, 500),
        new Date().toISOString(),
        sink.key,
      );
    }
  }
  return { attempted, soonest };
}

/** What the sinks were built from (the config and the plugin lock), to notice a change. */
function setupStamp(home: string): string {
  return [paths().config, lockPath(home)].map((file) => {
    try {
      const s = Deno.statSync(file);
      return `${s.mtime?.getTime()}:${s.size}`;
    } catch {
      return "-";
    }
  }).join("|");
}

/** `handoff deliver`: drains the log into the sinks, then exits (0; 1 on a storage error). */
export async function deliverMain(
  _args: string[],
  loadRegistry: () => Promise<Registry>,
): Promise<number> {
  const home = paths().home;
  const stamp = setupStamp(home);
  const registry = await loadRegistry();
  const sinks = registry.sinks();
  if (sinks.length === 0) return 0;
  const db = openDb(paths().db);
  try {
    db.exec("PRAGMA busy_timeout = 5000");
    if (!claim(db)) return 0;
    const started = Date.now();
    const baseMs = envMs("HANDOFF_DELIVERY_BACKOFF_MS", 1000);
    const lifetime = envMs("HANDOFF_DELIVERY_LIFETIME_MS", LIFETIME_MS);
    const linger = envMs("HANDOFF_DELIVERY_LINGER_MS", LINGER_MS, 0);
    const keys = sinks.map((s) => s.key);
    let lastWork = Date.now();
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(10, ms)));
    const stale = () => setupStamp(home) !== stamp;
    while (true) {
      let round: Awaited<ReturnType<typeof deliveryRound>> | null = null;
      if (!stale()) {
        try {
          round = await deliveryRound(db, sinks, baseMs, stale);
        } catch (e) {
          if (!(e instanceof SettingsChanged)) throw e;
        }
      }
      if (round === null) {
        // Sinks built from old settings must not deliver another event: a fresh process
        // (started after the lease is given up, so it can take it) loads the new ones.
        dropLease(db);
        kickDelivery(home);
        return 0;
      }
      const { attempted, soonest } = round;
      const now = Date.now();
      if (attempted) {
        lastWork = now;
        continue;
      }
      const alive = now - started < lifetime;
      if (soonest !== null && alive) {
        await sleep(Math.min(POLL_MS, soonest - now));
        continue;
      }
      if (alive && now - lastWork < linger) {
        await sleep(Math.min(POLL_MS, lastWork + linger - now));
        continue;
      }
      // Nothing due (back-offs past this process's lifetime are left to the next one).
      if (releaseIfIdle(db, keys)) return 0;
    }
  } finally {
    db.close();
  }
}

/**
 * The event sink behind the gate's `subscribe since=<id> [types=a,b]`: the event log's
 * stream (core/event_log.ts), seen through one device's eyes.
 *
 * - Only events whose tmux session matches one of the device's patterns. An event with
 *   no session (a plain `notify`, a run started outside tmux) may concern any session, so
 *   only a device allowed every session (`*`) gets it. (The seed sent such events to
 *   everyone, and they carry cwds and result text.)
 * - The patterns are read again for every batch: an edit applies to the next event.
 * - `types=` narrows to those event types (control records always pass).
 * - An event for the tab the device is attached to right now carries `suppress: true`.
 * - The stream ends when the device is revoked, deleted or past its soft expiry.
 */
import { type EventRecord, streamEvents } from "../../core/event_log.ts";
import { paths } from "../../core/paths.ts";
import { isSameProcess } from "../../core/proc.ts";
import type { GateDevice, Subscription } from "../../core/registry.ts";
import { type Db, openDb } from "../../core/store.ts";
import { isSoftExpired } from "../gate/expiry.ts";
import { sessionAllowed } from "../gate/glob.ts";

export interface OpenAttachment {
  session: string;
  window: number | null;
}

/** True when the patterns let a device see events that name no session. */
export function seesUntagged(patterns: readonly string[]): boolean {
  return patterns.includes("*");
}

/** What one device receives of an event: null to skip it, else the record (maybe suppressed). */
export function deviceView(
  device: Pick<GateDevice, "sessions">,
  types: readonly string[] | null,
  attached: readonly OpenAttachment[],
): (ev: EventRecord) => EventRecord | null {
  const wanted = types && types.length ? new Set(types) : null;
  const untagged = seesUntagged(device.sessions);
  return (ev) => {
    if (wanted && !wanted.has(ev.type)) return null;
    if (ev.tmux_session === undefined) return untagged ? ev : null;
    if (!sessionAllowed(ev.tmux_session, device.sessions)) return null;
    // Exact tab only: an attachment without a window index is not known to show this one.
    const viewing = attached.some((a) =>
      a.session === ev.tmux_session && a.window === (ev.tmux_window ?? null)
    );
    return viewing ? { ...ev, suppress: true } : ev;
  };
}

/** The device's open attachments whose gate process is still alive (a crashed gate leaves none). */
export function openAttachments(db: Db, deviceId: number): OpenAttachment[] {
  const rows = db.prepare(
    "SELECT session, window, pid, pid_start FROM attachments WHERE device_id = ? AND ended_at IS NULL",
  ).all(deviceId) as unknown as {
    session: string;
    window: number | null;
    pid: number | null;
    pid_start: string | null;
  }[];
  return rows.filter((r) => r.pid !== null && isSameProcess(r.pid, r.pid_start))
    .map((r) => ({ session: r.session, window: r.window }));
}

/** The device's patterns now, if it is still active and not past the soft expiry. */
export function currentPatterns(db: Db, deviceId: number, now: Date): string[] | null {
  const row = db.prepare("SELECT status, soft_expiry, sessions FROM devices WHERE id = ?")
    .get(deviceId) as
      | { status: string; soft_expiry: string | null; sessions: string }
      | undefined;
  if (!row || row.status !== "active" || isSoftExpired({ softExpiry: row.soft_expiry }, now)) {
    return null;
  }
  try {
    const v = JSON.parse(row.sessions);
    return Array.isArray(v) ? v.filter((p): p is string => typeof p === "string") : [];
  } catch {
    return []; // unreadable patterns allow nothing
  }
}

export interface SubscribeTuning {
  dbFile?: string;
  pingMs?: number;
  backstopMs?: number;
}

export async function subscribe(sub: Subscription, tune: SubscribeTuning = {}): Promise<number> {
  const dbFile = tune.dbFile ?? paths().db;
  const db = openDb(dbFile);
  try {
    await streamEvents({
      db,
      dbFile,
      since: sub.since,
      write: sub.write,
      signal: sub.signal,
      follow: true,
      view: () =>
        deviceView(
          { sessions: currentPatterns(db, sub.device.id, new Date()) ?? [] },
          sub.types,
          openAttachments(db, sub.device.id),
        ),
      stillAllowed: () => currentPatterns(db, sub.device.id, new Date()) !== null,
      pingMs: tune.pingMs,
      backstopMs: tune.backstopMs,
    });
    return 0;
  } finally {
    db.close();
  }
}

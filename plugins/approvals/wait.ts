// Asking, and waiting for the answer to one request: woken by every database commit (the watch on the
// WAL that the event stream uses), with a short poll only for the checks that are not in
// the database (the agent's own prompt answered, the agent went away).

import { ChangeWatcher } from "../../core/event_log.ts";
import { kickDeliveryIfSinks } from "../../core/delivery_kick.ts";
import type { Db } from "../../core/store.ts";
import { listDevices } from "../gate/devices_db.ts";
import {
  createRequest,
  type NewRequest,
  type PermissionRequest,
  requestById,
  type Resolution,
  resolveRequest,
} from "./requests.ts";
import { canAnswer } from "./rights.ts";

/** A commit's last WAL write precedes its visibility: look again this soon after a wake. */
const SETTLE_MS = 30;

export interface WaitOptions {
  db: Db;
  dbFile: string;
  requestId: string;
  /** Give up at this instant (ms since the epoch). */
  until: number;
  signal?: AbortSignal;
  /** Asked at every wake and poll: a resolution found outside the database, else null. */
  elsewhere?: () => Resolution | null;
  pollMs?: number;
}

/**
 * The request once it is no longer open (decided by someone, or resolved by `elsewhere`),
 * or "timeout" / "abort" while it still is.
 */
export async function waitForAnswer(
  o: WaitOptions,
): Promise<PermissionRequest | "timeout" | "abort"> {
  const watcher = new ChangeWatcher(o.dbFile);
  const never = new AbortController();
  const signal = o.signal ?? never.signal;
  const pollMs = o.pollMs ?? 250;
  try {
    let settle = false;
    while (true) {
      const req = requestById(o.db, o.requestId);
      if (req === null) return "timeout";
      if (req.status !== "open") return req;
      const found = o.elsewhere?.();
      if (found) {
        const r = resolveRequest(o.db, o.requestId, found, new Date());
        if (r.ok) return r.request;
        continue; // someone else answered first: read what they chose
      }
      const left = o.until - Date.now();
      if (left <= 0) return "timeout";
      const ms = Math.min(left, settle ? SETTLE_MS : o.elsewhere ? pollMs : left);
      const why = await watcher.wait(ms, signal);
      if (why === "abort") return "abort";
      settle = why === "change";
    }
  } finally {
    watcher.close();
  }
}

/**
 * waitForAnswer, then a request nobody answered is closed as expired (`timeout`, or by
 * the `agent` when it stopped waiting), so every phone is told; an answer that came in the
 * instant between is the answer after all. Sinks are kicked for what was written.
 */
export async function waitOrClose(
  o: WaitOptions & { home: string },
): Promise<PermissionRequest | "timeout" | "abort"> {
  const answer = await waitForAnswer(o);
  if (answer === "timeout" || answer === "abort") {
    const by = answer === "abort" ? "agent" : "timeout";
    const closed = resolveRequest(o.db, o.requestId, { status: "expired", by }, new Date());
    kickDeliveryIfSinks(o.home, o.db);
    const late = closed.ok ? null : requestById(o.db, o.requestId);
    return late && late.status !== "open" && late.status !== "expired" ? late : answer;
  }
  kickDeliveryIfSinks(o.home, o.db);
  return answer;
}

/** Whether any device could answer a request from this tmux session now. */
export function anyoneMayAnswer(db: Db, session: string | null, now: Date): boolean {
  return listDevices(db).some((d) => canAnswer(d, { session }, now));
}

/**
 * Records the request (its `permission` event goes out) and waits for the first answer, as
 * waitOrClose; "flooded" when too many requests wait for its tab already.
 */
export async function askAndWait(
  o: Omit<WaitOptions, "requestId" | "until"> & { home: string; request: NewRequest; now: Date },
): Promise<PermissionRequest | "timeout" | "abort" | "flooded"> {
  const created = createRequest(o.db, o.request, o.now);
  if (!created) return "flooded";
  kickDeliveryIfSinks(o.home, o.db);
  return await waitOrClose({
    ...o,
    requestId: created.request.requestId,
    until: created.request.expiresMs,
  });
}

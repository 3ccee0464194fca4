// How devices are shown: effective status, expiry text, the JSON shape. Pure.

import type { StoredDevice } from "../gate/devices_db.ts";
import { isSoftExpired, relativeExpiry } from "../gate/expiry.ts";

export type ShownStatus = "pending" | "active" | "expired" | "revoked";

export function shownStatus(d: StoredDevice, now: Date): ShownStatus {
  if (d.status === "active" && isSoftExpired(d, now)) return "expired";
  return d.status;
}

/**
 * A read/write device limited to some sessions: its patterns bind the gate's verbs, not a
 * shell it types into (which reaches every session of the account).
 */
export function patternsAreSoft(d: Pick<StoredDevice, "readOnly" | "sessions">): boolean {
  return !d.readOnly && !d.sessions.includes("*");
}

/** A device as `--json` shows it: snake_case, as runs and events (and the seed's devices.json). */
export function deviceJson(d: StoredDevice, now = new Date()): Record<string, unknown> {
  return {
    name: d.name,
    fingerprint: d.fingerprint,
    status: shownStatus(d, now),
    sessions: d.sessions,
    read_only: d.readOnly,
    soft_expiry: d.softExpiry,
    hard_expiry: d.hardExpiry,
    expires_in: relativeExpiry(d.softExpiry, now),
    created_at: d.createdAt,
    last_seen: d.lastSeen,
    last_command: d.lastCommand,
    renewal_requested: d.renewalRequested,
    reported_name: d.reportedName,
    pair_requested_at: d.pairRequestedAt,
    pair_source: d.pairSource,
    pending_until: d.pendingUntil,
    revoked_at: d.revokedAt,
    revoked_reason: d.revokedReason,
    authorized_keys: d.authorizedKeys,
  };
}

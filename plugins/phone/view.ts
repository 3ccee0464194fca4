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

export function deviceJson(d: StoredDevice, now = new Date()): Record<string, unknown> {
  return {
    name: d.name,
    fingerprint: d.fingerprint,
    status: shownStatus(d, now),
    sessions: d.sessions,
    readOnly: d.readOnly,
    softExpiry: d.softExpiry,
    hardExpiry: d.hardExpiry,
    expiresIn: relativeExpiry(d.softExpiry, now),
    createdAt: d.createdAt,
    lastSeen: d.lastSeen,
    lastCommand: d.lastCommand,
    renewalRequested: d.renewalRequested,
    reportedName: d.reportedName,
    pairRequestedAt: d.pairRequestedAt,
    pairSource: d.pairSource,
    pendingUntil: d.pendingUntil,
    revokedAt: d.revokedAt,
    revokedReason: d.revokedReason,
    authorizedKeys: d.authorizedKeys,
  };
}

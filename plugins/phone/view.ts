// How devices are shown: effective status, expiry text, the JSON shape. Pure.

import type { StoredDevice } from "../gate/devices_db.ts";
import { isSoftExpired, relativeExpiry } from "../gate/expiry.ts";

export type ShownStatus = "pending" | "active" | "expired" | "revoked";

export function shownStatus(d: StoredDevice, now: Date): ShownStatus {
  if (d.status === "active" && isSoftExpired(d, now)) return "expired";
  return d.status;
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
    pendingUntil: d.pendingUntil,
    revokedAt: d.revokedAt,
    authorizedKeys: d.authorizedKeys,
  };
}

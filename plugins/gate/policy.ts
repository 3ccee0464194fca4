// What the gate allows. Pure: the caller looks the device up, passes the clock, and turns a
// denial into its one-line `error:` reply and audit result.

import type { Device } from "./device.ts";
import { isSoftExpired, parseInstant } from "./expiry.ts";
import { sessionAllowed } from "./glob.ts";
import {
  type GateRequest,
  type GateVerb,
  validDeviceName,
  validEventType,
  validSessionName,
} from "./grammar.ts";

export type Decision =
  | { allow: true }
  | { allow: false; reply: string; result: string };

type SessionRequest = Extract<GateRequest, { session: string }>;

const ALLOW: Decision = { allow: true };

function deny(reply: string, result: string): Decision {
  return { allow: false, reply: `error:${reply}`, result: `denied:${result}` };
}

const MUTATING: ReadonlySet<GateVerb> = new Set([
  "create-session",
  "create-window",
  "kill-session",
  "kill-window",
]);

// Order matters and follows the seed: read-only, then missing arguments, then validity,
// then the session patterns (for create-session the new name itself must match).
function decideSession(device: Device, req: SessionRequest): Decision {
  if (device.readOnly && MUTATING.has(req.verb)) {
    return deny("read_only", "read_only");
  }
  const window = "window" in req ? req.window : null;
  if (req.verb === "kill-window" && (req.session === "" || window === null)) {
    return deny("denied", "missing_args");
  }
  if (req.session === "") {
    return deny(
      "denied",
      req.verb === "create-session" ? "missing_name" : "missing_session",
    );
  }
  if (
    !validSessionName(req.session) ||
    (window !== null && !Number.isInteger(window))
  ) {
    return deny("denied", "invalid_args");
  }
  if (!sessionAllowed(req.session, device.sessions)) {
    return deny("denied", "session_not_allowed");
  }
  return ALLOW;
}

export function decide(
  device: Device | null,
  req: GateRequest,
  now: Date,
): Decision {
  if (device === null) return deny("not_found", "not_found");
  // A revoked device looks exactly like an unknown one to the client.
  if (device.status === "revoked") return deny("not_found", "revoked");
  // A pairing nobody confirmed in time is void (sshd's expiry-time on the key says the same).
  if (
    device.status === "pending" && device.pendingUntil &&
    !(now.getTime() <= parseInstant(device.pendingUntil))
  ) {
    return deny("not_found", "pending_expired");
  }
  if (device.status === "pending" && req.verb !== "pair") {
    return deny("pending", "pending");
  }
  if (req.verb === "pair") {
    // Only while pending: an active device must not rename itself (seed weakness 14).
    if (device.status !== "pending") return deny("denied", "already_paired");
    // An empty name keeps the placeholder, as the seed does (its case 3 sends a bare `pair`).
    if (req.name !== "" && !validDeviceName(req.name)) {
      return deny("denied", "invalid_name");
    }
    return ALLOW;
  }
  if (req.verb !== "renew" && isSoftExpired(device, now)) {
    return deny("soft_expired", "soft_expired");
  }
  switch (req.verb) {
    case "renew":
      return device.status === "active" ? ALLOW : deny("denied", "invalid_status");
    case "unknown":
      return deny("unknown_command", "unknown_command");
    case "list":
      return ALLOW;
    case "plugin":
      // The plugin's verb checks its own rights (read-only, patterns) and arguments.
      return ALLOW;
    case "subscribe":
      // Events are filtered by the device's patterns downstream; no read-only check.
      if (req.since === null) return deny("denied", "missing_args");
      if (req.types !== null && !req.types.every(validEventType)) {
        return deny("denied", "invalid_args");
      }
      return ALLOW;
    default:
      return decideSession(device, req);
  }
}

/** The sessions `list` may show: the same checks `windows`/`attach` apply later. */
export function filterSessions(
  device: Device,
  sessions: readonly string[],
): string[] {
  return sessions.filter((s) => validSessionName(s) && sessionAllowed(s, device.sessions));
}

/** First line of every `list` reply; the Android app strips it only when it is line 1. */
export function permissionsHeader(device: Device): string {
  return `#permissions:read_only=${device.readOnly},sessions=${device.sessions.join(";")}`;
}

/** The whole `list` reply: header, then `<session>:<window count>` per visible session. */
export function listReply(
  device: Device,
  sessions: ReadonlyArray<{ name: string; windows: number }>,
): string {
  const visible = new Set(filterSessions(device, sessions.map((s) => s.name)));
  const lines = sessions.filter((s) => visible.has(s.name)).map((s) => `${s.name}:${s.windows}`);
  return [permissionsHeader(device), ...lines].join("\n") + "\n";
}

/** Why a device may no longer keep a live connection; null while it may. */
export type LiveVerdict = null | "revoked" | "pending" | "soft_expired" | "rights_changed";

/** Whether an open `subscribe` stream may go on: the device is active and not expired. */
export function streamVerdict(device: Device | null, now: Date): LiveVerdict {
  if (device === null || device.status === "revoked") return "revoked";
  if (device.status !== "active") return "pending";
  return isSoftExpired(device, now) ? "soft_expired" : null;
}

/**
 * Whether an open attachment may go on: as for a stream, and with the rights it was opened
 * with (read-only flag and session patterns). A change of rights in either direction ends
 * it; the phone attaches again under the new ones.
 */
export function attachmentVerdict(
  device: Device | null,
  opened: { readOnly: boolean; sessions: readonly string[] | null },
  now: Date,
): LiveVerdict {
  const stream = streamVerdict(device, now);
  if (stream !== null) return stream;
  const same = opened.sessions !== null && opened.readOnly === device!.readOnly &&
    opened.sessions.join("\n") === device!.sessions.join("\n");
  return same ? null : "rights_changed";
}

/** Milliseconds until the device's soft expiry (Infinity when it never expires). */
export function msUntilExpiry(device: Pick<Device, "softExpiry">, now: Date): number {
  if (device.softExpiry === null) return Number.POSITIVE_INFINITY;
  const at = parseInstant(device.softExpiry);
  return Number.isNaN(at) ? 0 : Math.max(0, at - now.getTime());
}

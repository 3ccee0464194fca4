// Who may answer a permission request. Pure: the caller reads the device and the request.

import type { Device } from "../gate/device.ts";
import { isSoftExpired } from "../gate/expiry.ts";
import { sessionAllowed } from "../gate/glob.ts";
import { seesUntagged } from "../notify/subscribe.ts";

/** Why a device may not answer a request; null when it may. */
export type AnswerRefusal = null | "read_only" | "not_found";

/** What of a request decides who sees it: the tmux session it came from, if any. */
export interface RequestScope {
  session: string | null;
}

/** True when the device's event stream shows the request (the same rule as every event). */
export function seesRequest(device: Pick<Device, "sessions">, req: RequestScope): boolean {
  return req.session === null
    ? seesUntagged(device.sessions)
    : sessionAllowed(req.session, device.sessions);
}

/**
 * Whether the device may answer. Checked in the seed's order: read-only first (so a
 * read-only phone learns nothing about which ids exist), then whether the request is one
 * its patterns show; an inactive or expired device never gets here (the gate refuses it).
 */
export function answerRefusal(
  device: Pick<Device, "readOnly" | "sessions">,
  req: RequestScope | null,
): AnswerRefusal {
  if (device.readOnly) return "read_only";
  if (req === null || !seesRequest(device, req)) return "not_found";
  return null;
}

/** True when the device could answer the request now: active, unexpired, read/write, in scope. */
export function canAnswer(device: Device, req: RequestScope, now: Date): boolean {
  return device.status === "active" && !isSoftExpired(device, now) &&
    answerRefusal(device, req) === null;
}

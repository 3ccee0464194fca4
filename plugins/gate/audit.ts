// access.log lines: one real JSON object per gate call, so a quote, backslash or newline in
// the client's command can neither break the line nor forge fields (seed weakness 3), and
// with every control, format and separator character as a \u escape, so not even a C1
// control, a bidi override or U+2028 reaches a terminal or a line splitter raw.

import { jsonVisible } from "../../core/output.ts";
import type { Device } from "./device.ts";
import { isoUtc } from "./expiry.ts";
import type { GateRequest } from "./grammar.ts";
import type { Decision } from "./policy.ts";

/** Longer client commands are cut (in code points) so one call cannot bloat the log. */
export const MAX_LOGGED_COMMAND = 512;

export function auditResult(req: GateRequest, decision: Decision): string {
  if (!decision.allow) return decision.result;
  return req.verb === "subscribe" ? `ok:subscribe:since=${req.since}` : "ok";
}

/** Longer commands are cut to at most this many bytes once JSON-escaped (controls take 6). */
export const MAX_LOGGED_BYTES = 1024;

function clip(s: string): string {
  let chars = Array.from(s);
  let cut = chars.length > MAX_LOGGED_COMMAND;
  if (cut) chars = chars.slice(0, MAX_LOGGED_COMMAND);
  // A command of control characters must not make a line of kilobytes either.
  while (jsonVisible(chars.join("")).length > MAX_LOGGED_BYTES) {
    chars = chars.slice(0, Math.floor(chars.length * 0.75));
    cut = true;
  }
  return cut ? `${chars.join("")}…` : s;
}

/**
 * The access.log line (without newline) for one gate call, keys in the seed's order, or
 * null for an unknown fingerprint, which is never logged. `name` is the new name for an
 * allowed `pair <name>`.
 */
export function accessLogLine(
  device: Device | null,
  rawCommand: string | undefined,
  req: GateRequest,
  decision: Decision,
  startedAt: Date,
  /** The name as stored after the call, when the store decided it (locked or de-duplicated). */
  loggedName?: string,
): string | null {
  if (device === null) return null;
  const renamed = decision.allow && req.verb === "pair" && req.name !== "";
  return jsonVisible({
    ts: isoUtc(startedAt.getTime()),
    fp: device.fingerprint,
    name: loggedName ?? (renamed ? req.name : device.name),
    cmd: clip(rawCommand || "list"),
    result: auditResult(req, decision),
  });
}

/**
 * The line for a fingerprint no device has (ever) had. The seed logged nothing here; every
 * call is logged now, so probing with a stray key shows up too. `fp` comes from the forced
 * command, not from the client, and is capped like the command.
 */
export function unknownDeviceLogLine(
  fingerprint: string,
  rawCommand: string | undefined,
  startedAt: Date,
): string {
  return jsonVisible({
    ts: isoUtc(startedAt.getTime()),
    fp: clip(fingerprint),
    name: null,
    cmd: clip(rawCommand || "list"),
    result: "denied:not_found",
  });
}

/**
 * The line for something the gate did by itself rather than a request: a live attach or
 * stream ended because the device lost access (`result` such as `ended:revoked`). `cmd`
 * is the request that opened it.
 */
export function noticeLogLine(
  device: Pick<Device, "fingerprint" | "name">,
  cmd: string,
  result: string,
  at: Date,
): string {
  return jsonVisible({
    ts: isoUtc(at.getTime()),
    fp: device.fingerprint,
    name: device.name,
    cmd: clip(cmd),
    result,
  });
}

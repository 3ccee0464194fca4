// The gate's line protocol: SSH_ORIGINAL_COMMAND → request, plus the validators the policy
// applies. Parsing never rejects; validation lives in policy.ts so the seed's check order
// (read-only before missing args before pattern) is kept.

import { isPrintable } from "../../core/output.ts";

export { isPrintable };

export type GateRequest =
  | { verb: "list" }
  | { verb: "windows"; session: string }
  | { verb: "attach"; session: string; window: number | null }
  | { verb: "create-session"; session: string }
  | { verb: "create-window"; session: string }
  | { verb: "kill-session"; session: string }
  | { verb: "kill-window"; session: string; window: number | null }
  | { verb: "pair"; name: string }
  | { verb: "renew" }
  | { verb: "subscribe"; since: number | null; types: string[] | null }
  | { verb: "unknown"; raw: string }
  /** A verb a plugin answers (see the registry's gateVerbs); `args` is verbatim. */
  | { verb: "plugin"; name: string; args: string };

export type GateVerb = GateRequest["verb"];

export const MAX_SESSION_NAME = 128;
export const MAX_DEVICE_NAME = 64;

function length(s: string): number {
  return Array.from(s).length;
}

/**
 * A tmux session name the gate will pass on. Rejected: a leading `$ @ % = - + !` (tmux ID
 * and target prefixes, option look-alikes), `:` and `.` (target separators), `/` (tmux
 * reads `pts/6` as a client's terminal and acts on *its* session), `#` (tmux expands
 * formats in `new-session -s`, and `#(…)` runs a shell command), `\` (tmux stores it
 * escaped, so the name would not round-trip), leading/trailing spaces, anything unprintable.
 */
export function validSessionName(s: string): boolean {
  const n = length(s);
  return n >= 1 && n <= MAX_SESSION_NAME && isPrintable(s) &&
    !/^[$@%=+!-]/.test(s) && !/[:.#\\/]/.test(s) &&
    !s.startsWith(" ") && !s.endsWith(" ");
}

/**
 * The name a phone reports in `pair <name>`; printed in the Mac user's terminal later, and
 * typed back in `devices rm NAME`, which also takes a fingerprint: so no name may look like
 * one.
 */
export function validDeviceName(s: string): boolean {
  const n = length(s);
  return n >= 1 && n <= MAX_DEVICE_NAME && isPrintable(s) && !/[|"\\]/.test(s) &&
    !/^\s*sha256:/i.test(s);
}

export function validWindowIndex(s: string): boolean {
  return /^\d{1,6}$/.test(s);
}

/** Session patterns are joined with `;` in the permissions header and typed as a `,` list. */
export function validSessionPattern(p: string): boolean {
  const n = length(p);
  return n >= 1 && n <= MAX_SESSION_NAME && isPrintable(p) && !/[;,]/.test(p) &&
    !p.startsWith(" ") && !p.endsWith(" ");
}

/** Mac-side `Sessions [*]:` input: comma-separated, trimmed, empties dropped. */
export function parseSessionPatterns(input: string): string[] {
  const patterns = input.split(",").map((p) => p.trim()).filter((p) => p !== "");
  const bad = patterns.find((p) => !validSessionPattern(p));
  if (bad !== undefined) {
    throw new Error(`invalid session pattern ${JSON.stringify(bad)}`);
  }
  return patterns;
}

export function validEventType(s: string): boolean {
  return /^[A-Za-z0-9_-]{1,32}$/.test(s);
}

// `<session> <window>`: the window is a trailing run of digits after the last space, so
// session names with spaces work. An over-long index parses to NaN for the policy to reject.
function splitWindow(rest: string): { session: string; window: number | null } {
  const space = rest.lastIndexOf(" ");
  const tail = rest.slice(space + 1);
  if (space < 0 || !/^\d+$/.test(tail)) return { session: rest, window: null };
  return {
    session: rest.slice(0, space),
    window: validWindowIndex(tail) ? Number(tail) : Number.NaN,
  };
}

// Unknown tokens are ignored so newer phones can add parameters.
function parseSubscribe(
  rest: string,
): { since: number | null; types: string[] | null } {
  let since: number | null = null;
  let types: string[] | null = null;
  for (const token of rest.split(" ")) {
    if (token.startsWith("since=")) {
      const value = token.slice("since=".length);
      since = /^\d{1,15}$/.test(value) ? Number(value) : null;
    } else if (token.startsWith("types=")) {
      const list = token.slice("types=".length).split(",").filter((t) => t !== "");
      types = list.length > 0 ? list : null;
    }
  }
  return { since, types };
}

/** The first word of a command the gate does not know, and the rest verbatim. */
export function splitVerb(raw: string): { name: string; args: string } {
  const space = raw.indexOf(" ");
  return space < 0
    ? { name: raw, args: "" }
    : { name: raw.slice(0, space), args: raw.slice(space + 1) };
}

/**
 * Parse SSH_ORIGINAL_COMMAND. Empty or absent means `list`. The verb is everything before
 * the first space, matched exactly; the rest is kept verbatim.
 */
export function parseGateCommand(raw: string | undefined): GateRequest {
  if (raw === undefined || raw === "") return { verb: "list" };
  const space = raw.indexOf(" ");
  const verb = space < 0 ? raw : raw.slice(0, space);
  const rest = space < 0 ? "" : raw.slice(space + 1);
  switch (verb) {
    case "list":
    case "renew":
      return { verb };
    case "windows":
    case "create-session":
    case "create-window":
    case "kill-session":
      return { verb, session: rest };
    case "attach":
    case "kill-window":
      return { verb, ...splitWindow(rest) };
    case "pair":
      return { verb, name: rest };
    case "subscribe":
      return { verb, ...parseSubscribe(rest) };
    default:
      return { verb: "unknown", raw };
  }
}

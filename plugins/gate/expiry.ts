// Two-tier expiry: the gate refuses after the soft expiry (except `renew`), sshd refuses the
// key after the hard expiry (soft + 48 h) through the authorized_keys `expiry-time` option.
// All instants are compared as UTC; nothing here reads the wall clock.

import type { Device } from "./device.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
export const HARD_EXPIRY_GRACE_MS = 48 * HOUR;
const MAX_DURATION_MS = 3650 * DAY;

const DURATION_FORMS = "<n>h, <n>d or never (e.g. 8h, 24h, 7d, 30d)";

/** `"24h"`, `"7d"`, … → milliseconds; `"never"` → null. Throws on anything else. */
export function parseDuration(text: string): number | null {
  if (text === "never") return null;
  const m = /^([1-9]\d{0,5})([hd])$/.exec(text);
  const ms = m ? Number(m[1]) * (m[2] === "d" ? DAY : HOUR) : Number.NaN;
  if (!(ms <= MAX_DURATION_MS)) {
    throw new Error(
      `invalid duration ${JSON.stringify(text)}: use ${DURATION_FORMS}`,
    );
  }
  return ms;
}

export { isoUtc, parseInstant } from "../../core/instant.ts";
import { isoUtc, parseInstant } from "../../core/instant.ts";

export function expiryFor(
  now: Date,
  durationMs: number | null,
): { softExpiry: string | null; hardExpiry: string | null } {
  if (durationMs === null) return { softExpiry: null, hardExpiry: null };
  const soft = Math.floor(now.getTime() / 1000) * 1000 + durationMs;
  return {
    softExpiry: isoUtc(soft),
    hardExpiry: isoUtc(soft + HARD_EXPIRY_GRACE_MS),
  };
}

/** Past the soft expiry. An unreadable expiry counts as expired (fail closed). */
export function isSoftExpired(
  device: Pick<Device, "softExpiry">,
  now: Date,
): boolean {
  if (device.softExpiry === null) return false;
  return !(now.getTime() <= parseInstant(device.softExpiry));
}

/** Time left for listings: `never`, `expired`, `3d 4h`, `5h 12m`, `7m`. */
export function relativeExpiry(iso: string | null, now: Date): string {
  if (iso === null) return "never";
  const left = parseInstant(iso) - now.getTime();
  if (!(left > 0)) return "expired";
  const days = Math.floor(left / DAY);
  const hours = Math.floor((left % DAY) / HOUR);
  const minutes = Math.floor((left % HOUR) / MINUTE);
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${minutes}m`;
  return `${minutes}m`;
}

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

/** ISO 8601 UTC without milliseconds, e.g. `2027-01-01T00:00:00Z`. */
export function isoUtc(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * An ISO instant with an explicit zone (`Z` or `±HH:MM`) → epoch ms; NaN otherwise. A bare
 * local time is refused on purpose: reading UTC as local time was the seed's expiry bug.
 */
export function parseInstant(iso: string): number {
  const zoned = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
  return zoned.test(iso) ? Date.parse(iso) : Number.NaN;
}

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

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** Minutes east of UTC of the zone's standard (non-DST) time in the year of `at`. */
export function localStandardOffsetMinutes(at: Date): number {
  const year = at.getFullYear();
  const jan = new Date(year, 0, 1).getTimezoneOffset();
  const jul = new Date(year, 6, 1).getTimezoneOffset();
  return -Math.max(jan, jul);
}

/**
 * The authorized_keys `expiry-time` value for a hard expiry, to the minute (seconds are
 * dropped, so the key dies up to a minute early, never late).
 * - `utcSuffix` (OpenSSH ≥ 9.1): `YYYYMMDDHHMMZ`.
 * - otherwise `YYYYMMDDHHMM` in sshd's local time. sshd parses it with `tm_isdst = 0`, i.e.
 *   as standard time all year, so it is written in standard time too; otherwise it would be
 *   an hour late during DST. `standardOffsetMinutes` (east of UTC) defaults to this process'
 *   zone, which must be sshd's.
 */
export function authorizedKeysExpiry(
  hardExpiryIso: string,
  opts: { utcSuffix: boolean; standardOffsetMinutes?: number },
): string {
  const ms = parseInstant(hardExpiryIso);
  if (Number.isNaN(ms)) {
    throw new Error(`invalid expiry ${JSON.stringify(hardExpiryIso)}`);
  }
  const offset = opts.utcSuffix
    ? 0
    : opts.standardOffsetMinutes ?? localStandardOffsetMinutes(new Date(ms));
  const d = new Date(ms + offset * MINUTE);
  const text = `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}` +
    `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}`;
  return opts.utcSuffix ? `${text}Z` : text;
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

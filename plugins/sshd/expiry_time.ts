// OpenSSH's `expiry-time` key option: sshd itself refuses a device's key after this
// instant, whatever happens to handoff.

import { parseInstant } from "../../core/instant.ts";

const MINUTE = 60_000;

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

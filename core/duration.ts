/** Durations typed by people: `90` (seconds), `90s`, `30m`, `2h`, `1h30m`. */
import { usageError } from "./errors.ts";

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds, or null when `text` is not a duration. A bare number is seconds. */
export function parseDuration(text: string): number | null {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  if (!/^(\d+[smhd])+$/.test(t)) return null;
  let ms = 0;
  for (const [, n, unit] of t.matchAll(/(\d+)([smhd])/g)) ms += Number(n) * UNIT_MS[unit];
  return ms;
}

/** A `--timeout`-style flag in milliseconds (undefined when absent); bad text is a usage error. */
export function durationFlag(
  flag: string,
  text: string | undefined,
  o: { zero: boolean },
): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === null || (ms === 0 && !o.zero)) {
    throw usageError(`${flag} takes a duration such as 90s, 30m or 2h, got "${text}"`);
  }
  return ms;
}

/**
 * Milliseconds from the environment (tests shorten waits and timeouts): `fallback` unless
 * the variable holds a number of at least `min`.
 */
export function envMs(name: string, fallback: number, min = 1): number {
  const raw = Deno.env.get(name)?.trim();
  const n = Number(raw);
  return raw && Number.isFinite(n) && n >= min ? n : fallback;
}

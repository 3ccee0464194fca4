/**
 * Run ids in the seed format `<MMDD>-<b2>-<SEQ>-<slug>`, e.g. `0611-ds-03-fix-auth`.
 * SEQ is the day's counter: 01..99, then A0..ZZ (100..1035). Beyond 1035 the seed gave
 * up; we continue with the plain number (1036, 1037, …), which can never be confused
 * with a two-character code.
 */

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

export function seqCode(n: number): string {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`sequence must be ≥ 1, got ${n}`);
  }
  if (n <= 99) return String(n).padStart(2, "0");
  if (n <= 1035) {
    const k = n - 100;
    return ALPHABET[10 + Math.floor(k / 36)] + ALPHABET[k % 36];
  }
  return String(n);
}

export function parseSeqCode(code: string): number | null {
  if (/^\d{2}$/.test(code)) return Number(code) || null;
  if (/^[A-Z][0-9A-Z]$/.test(code)) {
    return 100 + (ALPHABET.indexOf(code[0]) - 10) * 36 +
      ALPHABET.indexOf(code[1]);
  }
  if (/^\d{4,}$/.test(code) && Number(code) > 1035) return Number(code);
  return null;
}

/** Two-letter backend code: the seed's special cases, else the first two letters. */
export function backendAbbrev(name: string): string {
  const lower = name.toLowerCase();
  if (lower === "deepseek") return "ds";
  if (lower === "codex") return "cx";
  const letters = lower.replace(/[^a-z]/g, "");
  return (letters + "xx").slice(0, 2);
}

/** Lower-case, `[a-z0-9-]` only, at most three dash-separated words; `task` when empty. */
export function cleanSlug(raw: string | undefined, fallback = "task"): string {
  const words = (raw ?? "").toLowerCase().replace(/[^a-z0-9-]/g, "-").split("-")
    .filter(
      Boolean,
    );
  return words.slice(0, 3).join("-") || fallback;
}

export function formatRunId(
  date: Date,
  backend: string,
  n: number,
  slug: string,
): string {
  const mmdd = String(date.getMonth() + 1).padStart(2, "0") +
    String(date.getDate()).padStart(2, "0");
  return `${mmdd}-${backendAbbrev(backend)}-${seqCode(n)}-${cleanSlug(slug)}`;
}

export interface ParsedRunId {
  mmdd: string;
  abbrev: string;
  seq: number;
  slug: string;
}

export function parseRunId(id: string): ParsedRunId | null {
  const m = /^(\d{4})-([a-z]{2})-([0-9A-Z]{2}|\d{4,})-([a-z0-9]+(?:-[a-z0-9]+)*)$/.exec(
    id,
  );
  if (!m) return null;
  const seq = parseSeqCode(m[3]);
  if (seq === null) return null;
  return { mmdd: m[1], abbrev: m[2], seq, slug: m[4] };
}

/** ISO local date `YYYY-MM-DD`: the key of the daily counter. */
export function localDay(date: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}`;
}

/** First non-blank line of a prompt, cut to 120 characters: what lists show. */
export function promptTitle(prompt: string): string {
  const line = prompt.split("\n").map((l) => l.trim()).find((l) => l.length > 0) ?? "";
  return line.length > 120 ? line.slice(0, 119) + "…" : line;
}

/** Tolerant readers for the JSON lines agent CLIs print: a missing field is never a crash. */
export type Json = Record<string, unknown>;

export const obj = (v: unknown): Json => (typeof v === "object" && v !== null ? v as Json : {});

export const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/** Parses a line that looks like a JSON object; anything else (CLI noise) is null. */
export function jsonLine(line: string): Json | null {
  if (!line.startsWith("{")) return null;
  try {
    return obj(JSON.parse(line));
  } catch {
    return null;
  }
}

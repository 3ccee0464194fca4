// Reading access.log. Pure. A line that is not a JSON object is reported as invalid, never
// skipped: the seed's viewer silently dropped such lines, so a forged one could hide.

export interface LogEntry {
  line: number;
  ts?: string;
  fp?: string;
  name?: string | null;
  cmd?: string;
  result?: string;
  invalid?: string;
}

export function parseLogLine(text: string, line: number): LogEntry {
  try {
    const o = JSON.parse(text);
    if (o && typeof o === "object" && !Array.isArray(o)) {
      const str = (v: unknown) => (typeof v === "string" ? v : undefined);
      return {
        line,
        ts: str(o.ts),
        fp: str(o.fp),
        name: typeof o.name === "string" ? o.name : null,
        cmd: str(o.cmd),
        result: str(o.result),
      };
    }
  } catch { /* below */ }
  return { line, invalid: text };
}

export function parseLog(text: string, firstLine = 1): LogEntry[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.map((l, i) => parseLogLine(l, firstLine + i));
}

/** Entries of these fingerprints (all when null); invalid lines are always kept. */
export function filterLog(entries: LogEntry[], fps: ReadonlySet<string> | null): LogEntry[] {
  return fps === null
    ? entries
    : entries.filter((e) => e.invalid !== undefined || fps.has(e.fp ?? ""));
}

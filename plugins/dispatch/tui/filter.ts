/**
 * The list filter: what the `/` line means and the SQL it becomes. Typed as free text
 * with optional `status:` / `backend:` words, e.g. `s:run b:fake parser bug`.
 */

import { RUN_STATUSES as STATUSES, runsWhere } from "../../../core/ledger.ts";
export { likePattern } from "../../../core/ledger.ts";

export interface Filter {
  /** Words that must all occur (case-insensitively) in the run id, prompt title or cwd. */
  text: string;
  status?: string;
  backend?: string;
}

export const NO_FILTER: Filter = { text: "" };

/** `status:` values may be abbreviated to a unique prefix (`s:int` → interrupted). */
export function resolveStatus(word: string): string {
  const w = word.toLowerCase();
  const hits = STATUSES.filter((s) => s.startsWith(w));
  return hits.length === 1 ? hits[0] : w;
}

export function parseFilter(input: string): Filter {
  const f: Filter = { text: "" };
  const text: string[] = [];
  for (const word of input.trim().split(/\s+/)) {
    if (!word) continue;
    const m = /^(status|s|backend|b):(.*)$/i.exec(word);
    if (m && m[2]) {
      if (m[1].toLowerCase().startsWith("s")) f.status = resolveStatus(m[2]);
      else f.backend = m[2];
    } else text.push(word);
  }
  f.text = text.join(" ");
  return f;
}

/** The inverse of parseFilter: what the `/` line shows when it is opened again. */
export function formatFilter(f: Filter): string {
  return [
    f.status ? `status:${f.status}` : "",
    f.backend ? `backend:${f.backend}` : "",
    f.text,
  ].filter(Boolean).join(" ");
}

export function isFiltered(f: Filter): boolean {
  return !!(f.text || f.status || f.backend);
}

/** A stable key for caches. */
export function filterKey(f: Filter): string {
  return JSON.stringify([f.text, f.status ?? "", f.backend ?? ""]);
}

/** `s` cycles through these: everything, then the statuses people look for. */
const STATUS_CYCLE = [undefined, "running", "success", "error", "interrupted", "lost"];

export function nextStatus(current: string | undefined): string | undefined {
  const i = STATUS_CYCLE.indexOf(current);
  return STATUS_CYCLE[(i + 1) % STATUS_CYCLE.length];
}

/** The filter as SQL (the ledger owns the query shape). */
export function filterSql(f: Filter): { where: string; args: string[] } {
  return runsWhere(f);
}

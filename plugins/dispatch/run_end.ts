/**
 * How `tail` and `wait` end, the way `run` does: the final answer on stdout (success),
 * what went wrong on stderr (otherwise), and `RESULT=<path>` as the last stderr line. The
 * result file exists for every ended run (a lost run's is written when it is marked).
 */
import type { RunRow } from "../../core/ledger.ts";
import { errLine, out } from "../../core/output.ts";
import { runFiles } from "../../core/paths.ts";
import { formatCost, formatRunDuration } from "../../core/run_view.ts";

export function summaryLine(r: RunRow): string {
  const parts = [`${r.run_id}: ${r.status}`, formatRunDuration(r)];
  const cost = formatCost(r);
  if (cost !== "-") parts.push(cost);
  if (r.error && r.status !== "success") parts.push(r.error);
  return parts.join(" · ");
}

/** Prints the end of a finished run; `answer: false` leaves stdout alone (for --json). */
export function printRunEnd(r: RunRow, o: { answer: boolean }): void {
  const result = runFiles(r.run_id).result;
  let body: string | null = null;
  try {
    body = Deno.readTextFileSync(result);
  } catch { /* a run from before result files: the summary says what is known */ }
  if (r.status === "success" && o.answer && body !== null) {
    out(body.endsWith("\n") || body === "" ? body : body + "\n");
  }
  if (r.status !== "success" || body === null) errLine(`handoff: ${summaryLine(r)}`);
  if (body !== null) errLine(`RESULT=${result}`);
}

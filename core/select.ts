/** Turning what the user typed into one run, with errors that say what to do. */
import { AmbiguousRun, findRun, type RunRow } from "./ledger.ts";
import type { Db } from "./store.ts";
import { notFound, usageError } from "./errors.ts";

export function selectRun(db: Db, selector: string): RunRow {
  let row: RunRow | null;
  try {
    row = findRun(db, selector);
  } catch (e) {
    if (e instanceof AmbiguousRun) {
      throw usageError(
        `"${selector}" matches several runs: ${e.candidates.join(", ")}`,
        "give more of the run id",
      );
    }
    throw e;
  }
  if (!row) {
    throw notFound(
      `no run found for "${selector}"`,
      "`handoff list` shows recent runs",
    );
  }
  return row;
}

/** Turning what the user typed into one run, with errors that say what to do. */
import { AmbiguousRun, type FindOptions, findRun, type RunRow } from "./ledger.ts";
import { runFiles } from "./paths.ts";
import type { Db } from "./store.ts";
import { HandoffError, notFound, usageError } from "./errors.ts";

export function selectRun(db: Db, selector: string, opts: FindOptions = {}): RunRow {
  let row: RunRow | null;
  try {
    row = findRun(db, selector, opts);
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

/** A selected run that must have started: a reservation is refused with what to do. */
export function selectStarted(db: Db, selector: string, opts: FindOptions = {}): RunRow {
  const row = selectRun(db, selector, opts);
  if (row.status === "reserved") throw notStarted(row);
  return row;
}

/** `handoff new` reserved it; nothing has run yet. */
export function notStarted(row: RunRow): HandoffError {
  const prompt = runFiles(row.run_id).prompt;
  return new HandoffError(
    `${row.run_id} is reserved (not started): run it with \`handoff run ${prompt}\``,
    1,
    `or cancel the reservation: handoff kill ${row.run_id}`,
  );
}

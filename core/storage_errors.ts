/**
 * What a damaged, read-only or full home looks like from SQLite and the file system, told
 * to a person: what happened, which path, what to do. Pure: the caller passes the paths.
 */
import { EXIT, HandoffError } from "./errors.ts";

export type StorageProblem = "corrupt" | "cannot_open" | "read_only" | "full" | "io";

/** Which storage problem an error is, or null when it is none of them. */
export function storageProblem(e: unknown): StorageProblem | null {
  const err = e as { message?: unknown; code?: unknown; name?: unknown } | null;
  const text = `${err?.message ?? ""} ${err?.code ?? ""} ${err?.name ?? ""}`;
  if (
    /database disk image is malformed|file is not a database|SQLITE_CORRUPT|SQLITE_NOTADB/i.test(
      text,
    )
  ) {
    return "corrupt";
  }
  if (
    /No space left on device|ENOSPC|database or disk is full|SQLITE_FULL|StorageFull/i.test(text)
  ) {
    return "full";
  }
  if (/Read-only file system|EROFS|readonly database|SQLITE_READONLY/i.test(text)) {
    return "read_only";
  }
  if (/disk I\/O error|SQLITE_IOERR|\bEIO\b/i.test(text)) return "io";
  if (/unable to open database file|SQLITE_CANTOPEN/i.test(text)) return "cannot_open";
  return null;
}

/** The message for a storage problem under `home` (its ledger at `db`). */
export function storageError(
  problem: StorageProblem,
  where: { home: string; db: string },
): HandoffError {
  switch (problem) {
    case "corrupt":
      return new HandoffError(
        `the run ledger ${where.db} is damaged (database disk image is malformed)`,
        EXIT.FAILED,
        "`handoff doctor --repair` moves it aside, keeps what is still readable and rebuilds the " +
          "runs from their files under tasks/ and runs/ (no run file is touched)",
      );
    case "read_only":
      return new HandoffError(
        `${where.home} is read-only: nothing can be recorded there`,
        EXIT.FAILED,
        "`list`, `tail` and `env` still work here; to start runs, make it writable or use " +
          "another home: handoff --home <dir> … (or HANDOFF_HOME)",
      );
    case "full":
      return new HandoffError(
        `no space left on the disk that holds ${where.home}`,
        EXIT.FAILED,
        `free space there (\`handoff prune --older-than 30d\` removes old runs and their files, ` +
          `\`df -h ${where.home}\` shows the disk), or use another home: handoff --home <dir> …`,
      );
    case "io":
      return new HandoffError(
        `disk I/O error reading or writing ${where.db}`,
        EXIT.FAILED,
        "check the disk (dmesg); if the ledger is damaged, `handoff doctor --repair` rebuilds it",
      );
    case "cannot_open":
      return new HandoffError(
        `cannot open the run ledger ${where.db}`,
        EXIT.FAILED,
        `check that ${where.home} exists and is yours and writable (ls -ld ${where.home}), ` +
          "or use another home: handoff --home <dir> …",
      );
  }
}

/**
 * What writing under `home` says right now, for an error that does not tell (SQLite's
 * "unable to open database file" on a read-only or full disk): null when it works.
 */
export function probeHome(home: string): StorageProblem | null {
  const probe = `${home}/.handoff-write-probe-${Deno.pid}`;
  try {
    Deno.writeTextFileSync(probe, "x");
    Deno.removeSync(probe);
    return null;
  } catch (e) {
    const p = storageProblem(e);
    return p === "read_only" || p === "full" ? p : null;
  }
}

/** Documented exit codes (README "Exit codes"). */
export const EXIT = {
  OK: 0,
  /** The run failed, produced no result, or the thing asked for was not found. */
  FAILED: 1,
  /** Bad usage or configuration: nothing was started. */
  USAGE: 2,
  /** `wait --timeout` gave up while the run was still going. */
  TIMEOUT: 124,
  /** Interrupted (Ctrl-C, SIGTERM or `handoff kill`; a hang-up is not an interruption). */
  INTERRUPTED: 130,
} as const;

/** An error meant for the user: printed as `handoff: <message>` plus an optional hint. */
export class HandoffError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.FAILED,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "HandoffError";
  }
}

export function usageError(message: string, hint?: string): HandoffError {
  return new HandoffError(message, EXIT.USAGE, hint);
}

export function notFound(message: string, hint?: string): HandoffError {
  return new HandoffError(message, EXIT.FAILED, hint);
}

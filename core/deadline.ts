/**
 * A deadline for the hot paths. In Deno 2.9 the first `setTimeout` of a process loads
 * Deno's Node-compatible timers: ~12 ms, more than the rest of a `handoff notify`.
 * `Atomics.waitAsync` with a timeout is a timer V8 keeps by itself, at no such cost.
 *
 * Unlike setTimeout it does not keep the process alive: use it only to bound something
 * that does (a pending read of stdin, a child process), or pass `keepAlive` to bound a
 * promise that may hold nothing open (a plugin module's hung activate()), never as a
 * sleep on its own.
 */

/** A deadline that can be called off. */
export interface Deadline {
  /** Resolves when `ms` have passed; never, once cancelled. */
  readonly expired: Promise<void>;
  cancel(): void;
}

/**
 * Starts a deadline `ms` from now. With `keepAlive` the process stays up until it expires
 * or is cancelled (a listening MessagePort: ~1 ms, where a first setTimeout costs ~10).
 */
export function deadline(ms: number, opts: { keepAlive?: boolean } = {}): Deadline {
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const wait = Atomics.waitAsync(cell, 0, 0, Math.max(0, ms));
  let port: MessagePort | null = null;
  if (opts.keepAlive && wait.async) {
    port = new MessageChannel().port1;
    port.onmessage = () => {};
  }
  const expired = new Promise<void>((resolve) => {
    if (!wait.async) return resolve(); // a zero timeout answers at once
    wait.value.then((how) => {
      port?.close();
      if (how === "timed-out") resolve();
    });
  });
  return { expired, cancel: () => void Atomics.notify(cell, 0) };
}

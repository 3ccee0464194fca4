/**
 * The streams every command writes through, in the way GitHub CLI's IOStreams works: the
 * process's own stdout and stderr normally, buffers in a test that runs commands
 * in-process (see `bufferIo`). Swapped only by `withIo`, for the length of one call.
 */

const encoder = new TextEncoder();

export interface IoStreams {
  /** Data. */
  out(text: string): void;
  /** Talk: progress, prompts, errors. */
  err(text: string): void;
  stdoutIsTerminal(): boolean;
  stderrIsTerminal(): boolean;
}

function writeAll(fd: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  let off = 0;
  while (off < bytes.length) off += fd.writeSync(bytes.subarray(off));
}

/**
 * The process's streams. A reader that went away (closed pipe, a terminal that hung up)
 * is not a reason to die: a run still has to finish its ledger row and result file.
 */
export const systemIo: IoStreams = {
  out(text) {
    try {
      writeAll(Deno.stdout, text);
    } catch { /* nobody is listening any more */ }
  },
  err(text) {
    try {
      writeAll(Deno.stderr, text);
    } catch { /* nobody is listening any more */ }
  },
  stdoutIsTerminal: () => Deno.stdout.isTerminal(),
  stderrIsTerminal: () => Deno.stderr.isTerminal(),
};

/** Streams that collect what is written, for running commands in-process in tests. */
export interface BufferIo extends IoStreams {
  stdout(): string;
  stderr(): string;
}

export function bufferIo(o: { terminal?: boolean } = {}): BufferIo {
  let stdout = "";
  let stderr = "";
  return {
    out: (t) => void (stdout += t),
    err: (t) => void (stderr += t),
    stdoutIsTerminal: () => !!o.terminal,
    stderrIsTerminal: () => !!o.terminal,
    stdout: () => stdout,
    stderr: () => stderr,
  };
}

let current: IoStreams = systemIo;

/** The streams in use now. */
export function io(): IoStreams {
  return current;
}

/** Runs `fn` with `streams` as every command's stdout and stderr. */
export async function withIo<T>(streams: IoStreams, fn: () => Promise<T>): Promise<T> {
  const before = current;
  current = streams;
  try {
    return await fn();
  } finally {
    current = before;
  }
}

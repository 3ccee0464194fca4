/**
 * The keyboard, as a stream ink reads, that can be let go of for real.
 *
 * With Deno's process.stdin, a read(2) on the terminal can stay pending after ink stops
 * listening; a program run next in the same terminal (the interactive CLI that `o` opens)
 * then loses its first key, or its first line, to us (seen in the tests). Here the
 * terminal is in raw mode with VMIN=0 VTIME=1, so every read returns within 0.1 s with or
 * without a key, and `stop()` waits for the last one before the terminal is handed over.
 */
import { Readable } from "node:stream";

/** What ink needs of its stdin: a readable stream that says it is a raw-capable TTY. */
export type InkStdin = Readable & {
  isTTY: true;
  setRawMode(on: boolean): InkStdin;
  ref(): InkStdin;
  unref(): InkStdin;
};

export class TerminalInput {
  readonly stream: InkStdin;
  private stopping = false;
  private loop: Promise<void> = Promise.resolve();
  /** True when reads time out (stty worked): then stop() can wait for the last read. */
  private timed = false;

  constructor() {
    const stream = new Readable({ read() {} }) as InkStdin;
    // Raw mode is ours for the whole session (on before the first frame, off in stop()).
    // ink asks for it when it starts listening and gives it back when it is done: from
    // then on nothing more is read, so nothing is taken from whoever reads next.
    stream.isTTY = true;
    stream.setRawMode = (on) => {
      if (!on) this.stopping = true;
      return stream;
    };
    stream.ref = () => stream;
    stream.unref = () => stream;
    this.stream = stream;
  }

  async start(): Promise<void> {
    Deno.stdin.setRaw(true);
    try {
      const st = await new Deno.Command("stty", {
        args: ["min", "0", "time", "1"],
        stdin: "inherit", // stty sets the terminal on its stdin: ours
        stdout: "null",
        stderr: "null",
      }).output();
      this.timed = st.success;
    } catch { /* no stty: reads block until a key, as usual */ }
    this.loop = this.read();
  }

  private async read(): Promise<void> {
    const buf = new Uint8Array(4096);
    while (!this.stopping) {
      let n: number | null;
      try {
        n = await Deno.stdin.read(buf);
      } catch {
        return; // the terminal went away
      }
      if (!n) {
        // A timeout (0 bytes) with VTIME; a real end of input without it.
        if (this.timed) continue;
        return;
      }
      if (!this.stopping) this.stream.push(buf.slice(0, n));
    }
  }

  /** Stops reading and restores the terminal's mode; after this, a child may read it. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timed) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.loop, new Promise((r) => timer = setTimeout(r, 500))]);
      clearTimeout(timer);
    }
    try {
      Deno.stdin.setRaw(false); // back to the modes saved when raw mode was set
    } catch { /* not a terminal any more */ }
  }
}

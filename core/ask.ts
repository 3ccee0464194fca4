/** Minimal terminal questions on stderr (stdout stays data). Only asked on a terminal. */
import { err } from "./output.ts";

/** Reads one line from stdin; null at end of input. */
export async function readLine(): Promise<string | null> {
  const buf = new Uint8Array(1);
  const bytes: number[] = [];
  while (true) {
    const n = await Deno.stdin.read(buf);
    if (n === null) {
      return bytes.length ? new TextDecoder().decode(new Uint8Array(bytes)) : null;
    }
    if (buf[0] === 10) {
      return new TextDecoder().decode(new Uint8Array(bytes)).replace(/\r$/, "");
    }
    bytes.push(buf[0]);
  }
}

export async function ask(question: string): Promise<string | null> {
  if (!Deno.stdin.isTerminal()) return null;
  err(question);
  return await readLine();
}

/** y/yes → true; anything else, end of input, or no terminal → false. */
export async function confirm(question: string): Promise<boolean> {
  const answer = await ask(`${question} [y/N] `);
  return answer !== null && /^y(es)?$/i.test(answer.trim());
}

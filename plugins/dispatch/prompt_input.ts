/** Where a prompt comes from: an argument, a file, or stdin. */
import { err } from "../../core/output.ts";
import { usageError } from "../../core/errors.ts";
import { resolve } from "../../core/path.ts";

export type PromptSource = "text" | "file" | "stdin";

export interface PromptInput {
  /** The prompt as text (what the backend gets). */
  prompt: string;
  source: PromptSource;
  /** The bytes as received (file or stdin), stored as they are in prompt.md. */
  bytes: Uint8Array | null;
  /** Bytes that are not UTF-8 (each became U+FFFD in `prompt`). */
  invalidBytes: number;
  /** The file read, for a prompt from a file. */
  file: string | null;
}

/**
 * All of stdin. Read with Deno.stdin.readSync rather than through its stream (the first use
 * of web streams costs ~5 ms) or Deno.stdin.read (~1.5 ms more than readSync): it is paid
 * on every `handoff run -`, and nothing else can happen before the prompt is in anyway.
 */
export function readStdinBytes(): Uint8Array {
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(1 << 16);
  let total = 0;
  for (let n; (n = Deno.stdin.readSync(buf)) !== null;) {
    chunks.push(buf.slice(0, n));
    total += n;
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return all;
}

export function readStdin(): string {
  return new TextDecoder().decode(readStdinBytes());
}

function kind(path: string): "file" | "dir" | null {
  try {
    const st = Deno.statSync(path);
    return st.isFile ? "file" : st.isDirectory ? "dir" : null;
  } catch {
    return null;
  }
}

/** Text of possibly non-UTF-8 bytes, and how many invalid sequences became U+FFFD. */
export function decodePrompt(bytes: Uint8Array): { text: string; invalid: number } {
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(bytes), invalid: 0 };
  } catch {
    const text = new TextDecoder().decode(bytes);
    let given = 0; // U+FFFD that were in the input itself (EF BF BD)
    for (let i = 0; i + 2 < bytes.length; i++) {
      if (bytes[i] === 0xef && bytes[i + 1] === 0xbf && bytes[i + 2] === 0xbd) given++;
    }
    return { text, invalid: (text.match(/\uFFFD/g) ?? []).length - given };
  }
}

/** A single word that could be a typo'd flag or a directory name, not a prompt file path. */
function bareWord(arg: string): boolean {
  return /^[\w-]+$/.test(arg);
}

async function confirm(question: string): Promise<boolean> {
  const { readLine } = await import("../../core/ask.ts");
  err(question);
  const answer = (await readLine())?.trim() ?? "";
  return answer === "" ? question.includes("[Y/n]") : /^y(es)?$/i.test(answer);
}

function interactive(): boolean {
  return Deno.stdin.isTerminal() && Deno.stderr.isTerminal();
}

/**
 * `-` reads stdin; an existing file is read; anything else is the prompt itself. With
 * no argument, a piped stdin is read (agent shells); on a terminal that is a usage error.
 * A bare word that names a file or a directory is asked about on a terminal (it may have
 * been meant as `-C word`); a directory is never a prompt file.
 */
export async function readPrompt(
  arg: string | undefined,
  text: string[] | undefined,
): Promise<PromptInput> {
  let bytes: Uint8Array | null = null;
  let prompt: string;
  let source: PromptSource;
  let file: string | null = null;
  if (text?.length) {
    if (arg !== undefined) {
      throw usageError("--text cannot be combined with a prompt argument");
    }
    prompt = text.join(" ");
    source = "text";
  } else if (arg === "-" || (arg === undefined && !Deno.stdin.isTerminal())) {
    bytes = readStdinBytes();
    prompt = "";
    source = "stdin";
  } else if (arg === undefined) {
    throw usageError(
      "no prompt given",
      "pass it as an argument, a file path, or - to read stdin (e.g. a quoted heredoc)",
    );
  } else {
    const k = kind(arg);
    let asFile = k === "file";
    if (k !== null && bareWord(arg)) {
      const what = k === "file" ? "a file" : "a directory";
      if (interactive()) {
        asFile = k === "file" &&
          await confirm(`"${arg}" is ${what} here. Read the prompt from it? [Y/n] `);
        if (!asFile && !(await confirm(`Send the word "${arg}" itself as the prompt? [y/N] `))) {
          throw usageError(
            "nothing sent",
            `to work in a directory: handoff run -C ${arg} "<prompt>"`,
          );
        }
      } else if (k === "dir") {
        throw usageError(
          `"${arg}" is a directory, not a prompt`,
          `to work in it: handoff run -C ${arg} "<prompt>"; to send the word: --text ${arg}`,
        );
      }
    }
    if (asFile) {
      file = resolve(arg);
      bytes = Deno.readFileSync(file);
      prompt = "";
      source = "file";
    } else {
      prompt = arg;
      source = "text";
    }
  }
  let invalidBytes = 0;
  if (bytes !== null) {
    const d = decodePrompt(bytes);
    prompt = d.text;
    invalidBytes = d.invalid;
  }
  if (!prompt.trim()) throw usageError(`the prompt (from ${source}) is empty`);
  return { prompt, source, bytes, invalidBytes, file };
}

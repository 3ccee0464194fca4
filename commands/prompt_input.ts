/** Where a prompt comes from: an argument, a file, or stdin. */
import { usageError } from "../core/errors.ts";

export type PromptSource = "text" | "file" | "stdin";

export async function readStdin(): Promise<string> {
  return await new Response(Deno.stdin.readable).text();
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * `-` reads stdin; an existing file is read; anything else is the prompt itself. With
 * no argument, a piped stdin is read (agent shells); on a terminal that is a usage error.
 */
export async function readPrompt(
  arg: string | undefined,
  text: string[] | undefined,
): Promise<{ prompt: string; source: PromptSource }> {
  let prompt: string;
  let source: PromptSource;
  if (text?.length) {
    if (arg !== undefined) {
      throw usageError("--text cannot be combined with a prompt argument");
    }
    prompt = text.join(" ");
    source = "text";
  } else if (arg === "-" || (arg === undefined && !Deno.stdin.isTerminal())) {
    prompt = await readStdin();
    source = "stdin";
  } else if (arg === undefined) {
    throw usageError(
      "no prompt given",
      "pass it as an argument, a file path, or - to read stdin (e.g. a quoted heredoc)",
    );
  } else if (isFile(arg)) {
    prompt = await Deno.readTextFile(arg);
    source = "file";
  } else {
    prompt = arg;
    source = "text";
  }
  if (!prompt.trim()) throw usageError(`the prompt (from ${source}) is empty`);
  return { prompt, source };
}

/** `handoff run`: hand one task to a backend and wait for its result. */
import { basename, dirname, resolve } from "../../core/path.ts";
import type { CommandContext, CommandSpec } from "../../core/registry.ts";
import { setExitCode } from "../../core/cli.ts";
import { usageError } from "../../core/errors.ts";
import { cleanSlug, parseRunId } from "../../core/runid.ts";
import { runFiles } from "../../core/paths.ts";
import { durationFlag } from "../../core/duration.ts";
import { type OptionLine, quickArgs } from "../../core/quick_args.ts";
import { readPrompt } from "./prompt_input.ts";

export interface RunFlags {
  backend?: string;
  pro?: boolean;
  model?: string;
  slug?: string;
  cwd?: string;
  text?: string[];
  timeout?: string;
  verbose?: boolean;
  /** resume only: start a turn although another turn of the conversation runs. */
  force?: boolean;
  /** Return at once; the run goes on in a session of its own. */
  detach?: boolean;
  /** One JSON document on stdout at the end (the run and its answer) instead of lines. */
  json?: boolean;
}

/** `--detach`: this same command again, on its own (see detach.ts). */
export async function detachSelf(arg: string | undefined, f: RunFlags): Promise<number> {
  const { detach } = await import("./detach.ts");
  const fromStdin = !f.text?.length &&
    (arg === "-" || (arg === undefined && !Deno.stdin.isTerminal()));
  const args = Deno.args.filter((a) => !["--detach", "-d", "--json"].includes(a));
  return await detach(args, fromStdin, !!f.json);
}

/** `--timeout` in milliseconds (undefined without one). */
export function runTimeoutMs(f: RunFlags): number | undefined {
  return durationFlag("--timeout", f.timeout, { zero: false });
}

/** A prompt file or id made by `handoff new`, or null when the argument is an ordinary prompt. */
export async function adoption(ctx: CommandContext, arg: string | undefined) {
  if (!arg || arg === "-") return null;
  const { getRun } = await import("../../core/ledger.ts");
  const dirs = ctx.paths();
  const asFile = resolve(arg);
  const fromFile = dirname(asFile) === dirs.tasks && asFile.endsWith(".prompt.md")
    ? basename(asFile, ".prompt.md")
    : null;
  const runId = fromFile ?? (parseRunId(arg) ? arg : null);
  if (!runId || !parseRunId(runId)) return null;
  const db = await ctx.openStore();
  try {
    const row = getRun(db, runId);
    if (!fromFile && !row) return null;
    if (row && row.status !== "reserved") {
      throw usageError(
        `run ${runId} was already started (${row.status}): duplicate dispatch rejected`,
      );
    }
    const file = runFiles(runId).prompt;
    let prompt: string;
    try {
      prompt = await Deno.readTextFile(file);
    } catch {
      throw usageError(
        `run ${runId} has no prompt yet`,
        `write it to ${file} first`,
      );
    }
    if (!prompt.trim()) throw usageError(`the prompt file ${file} is empty`);
    return { runId, row, prompt };
  } finally {
    db.close();
  }
}

export async function run(
  ctx: CommandContext,
  arg: string | undefined,
  f: RunFlags,
): Promise<number> {
  const timeoutMs = runTimeoutMs(f);
  if (f.detach) return await detachSelf(arg, f);
  const adopted = await adoption(ctx, arg);
  const input = adopted ? null : await readPrompt(arg, f.text);
  const prompt = adopted?.prompt ?? input!.prompt;
  const { runTask } = await import("../../core/engine.ts");
  return runTask({
    registry: ctx.registry,
    prompt,
    cwd: f.cwd ?? Deno.cwd(),
    backendName: f.backend,
    pro: f.pro,
    model: f.model,
    slug: cleanSlug(f.slug ?? prompt.split("\n").find((l) => l.trim()) ?? ""),
    adopt: adopted ? { row: adopted.row, runId: adopted.runId } : undefined,
    timeoutMs,
    verbose: f.verbose,
    promptBytes: input?.bytes,
    invalidBytes: input?.invalidBytes,
    promptFile: input?.file,
    json: f.json,
  });
}

/** Options shared by `run` and `resume`. */
export const RUN_OPTIONS: OptionLine[] = [
  ["--pro", "use the backend's pro_model"],
  ["-m, --model <model>", "use this model instead of the backend's"],
  ["-s, --slug <slug>", "up to three words naming the task in its run id"],
  ["-C, --cwd <dir>", "directory the backend works in (default: here)"],
  [
    "--text <words...>",
    "the prompt as words on the command line (never read as a file)",
  ],
  ["-t, --timeout <duration>", "stop the backend after this long (90s, 30m, 2h): error, exit 124"],
  ["-v, --verbose", "print the backend command line"],
  [
    "-d, --detach",
    "print RUN_ID= and return at once; the run goes on in a session of its own",
  ],
  ["--json", "stdout: one JSON document at the end (the run and its answer), no RUN_ID= line"],
];

const BACKEND_OPTION: OptionLine = [
  "-b, --backend <name>",
  "backend from config.yaml (default: the first)",
];

/** `run`'s command line parsed without commander (null: commander parses it). */
export const quickRunArgs = (args: string[]) =>
  quickArgs(args, [BACKEND_OPTION, ...RUN_OPTIONS], { required: 0, optional: 1 });

export const runCommand: CommandSpec = {
  name: "run",
  summary: "hand a task to a backend agent CLI",
  async quick(args, ctx) {
    const q = quickRunArgs(args);
    return q && await run(ctx, q.positionals[0], q.flags as RunFlags);
  },
  register(program, ctx) {
    const c = program.command("run")
      .summary("hand a task to a backend agent CLI")
      .description(
        "Hand a task to a backend agent CLI and wait for its result.\n\n" +
          "Prints RUN_ID=<id> on stdout at once, progress on stderr, then RESULT=<path of the " +
          "result file> as the last stderr line and the final answer on stdout. " +
          "Exit status: 0 success, 1 the backend failed or gave no result, 2 usage or config " +
          "error, 124 stopped by --timeout, 130 interrupted.",
      )
      .argument(
        "[prompt]",
        "prompt text, a prompt file, - for stdin, or a run id / prompt file from `handoff new`",
      )
      .option(...BACKEND_OPTION);
    for (const [flags, text] of RUN_OPTIONS) c.option(flags, text);
    c.action(async (arg, f) => setExitCode(await run(ctx, arg, f as RunFlags)));
  },
};

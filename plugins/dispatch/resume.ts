/** `handoff resume`: one more turn in a run's conversation, as a new linked run. */
import type { CommandContext, CommandSpec } from "../../core/registry.ts";
import { setExitCode } from "../../core/cli.ts";
import { HandoffError } from "../../core/errors.ts";
import { cleanSlug } from "../../core/runid.ts";
import { readPrompt } from "./prompt_input.ts";
import { adoption, detachSelf, RUN_OPTIONS, type RunFlags, runTimeoutMs } from "./run.ts";
import { type OptionLine, quickArgs } from "../../core/quick_args.ts";

export async function resume(
  ctx: CommandContext,
  selector: string,
  promptArg: string | undefined,
  f: RunFlags,
): Promise<number> {
  // `handoff resume - <<EOF` continues the latest run (the seed's form).
  if (selector === "-" && promptArg === undefined) {
    [selector, promptArg] = ["latest", "-"];
  }
  const timeoutMs = runTimeoutMs(f);
  if (f.detach) return await detachSelf(promptArg, f);
  const { selectStarted } = await import("../../core/select.ts");
  const { reconcile, runningTurn } = await import("../../core/ledger.ts");
  const db = await ctx.openStore();
  let parent;
  try {
    reconcile(db);
    parent = selectStarted(db, selector);
    // Two turns at once on one conversation would interleave (or fork) it.
    const busy = runningTurn(db, parent);
    if (busy && !f.force) {
      throw new HandoffError(
        `a turn of this conversation is still running: ${busy.run_id}`,
        1,
        `wait for it (handoff wait ${busy.run_id}), or pass --force to start another turn anyway`,
      );
    }
  } finally {
    db.close();
  }
  // A turn answers before its agent has exited (the engine records it first); its handoff
  // exits once the agent has, so the next turn waits for that (briefly) before it starts.
  const { isSameProcess } = await import("../../core/proc.ts");
  for (let i = 0; i < 100 && isSameProcess(parent.owner_pid, parent.owner_start); i++) {
    if (parent.owner_pid === Deno.pid) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const engine = await import("../../core/engine.ts");
  const interactive = promptArg === undefined && !f.text?.length &&
    Deno.stdin.isTerminal();
  if (interactive) {
    return engine.openInteractive({
      registry: ctx.registry,
      parent,
      cwd: f.cwd ?? parent.cwd,
      backendName: f.backend,
      pro: f.pro,
      model: f.model,
      verbose: f.verbose,
    });
  }
  // A prompt file from `handoff new` gives this turn its reserved id (none is orphaned).
  const adopted = await adoption(ctx, promptArg);
  const input = adopted ? null : await readPrompt(promptArg, f.text);
  const prompt = adopted?.prompt ?? input!.prompt;
  return engine.runTask({
    registry: ctx.registry,
    prompt,
    parent,
    adopt: adopted ? { row: adopted.row, runId: adopted.runId } : undefined,
    cwd: f.cwd ?? parent.cwd,
    backendName: f.backend,
    pro: f.pro,
    model: f.model,
    slug: f.slug ? cleanSlug(f.slug) : undefined,
    timeoutMs,
    verbose: f.verbose,
    promptBytes: input?.bytes,
    invalidBytes: input?.invalidBytes,
    promptFile: input?.file,
    json: f.json,
  });
}

const RESUME_OPTIONS: OptionLine[] = [
  ["-b, --backend <name>", "another backend of the same type (default: the run's)"],
  ...RUN_OPTIONS,
  ["--force", "start the turn even while another turn of the conversation runs"],
];

/** `resume`'s command line parsed without commander (null: commander parses it). */
export const quickResumeArgs = (args: string[]) =>
  quickArgs(args, RESUME_OPTIONS, { required: 1, optional: 1 });

export const resumeCommand: CommandSpec = {
  name: "resume",
  summary: "continue a run's conversation (a new linked run)",
  async quick(args, ctx) {
    const q = quickResumeArgs(args);
    return q && await resume(ctx, q.positionals[0], q.positionals[1], q.flags as RunFlags);
  },
  register(program, ctx) {
    const c = program.command("resume")
      .summary("continue a run's conversation (a new linked run)")
      .description(
        "Send one more prompt to the conversation of an earlier run. The turn is a new run " +
          "linked to its parent, with the same output protocol as `handoff run`. Without a " +
          "prompt, on a terminal, opens the backend's interactive CLI on that conversation. " +
          "The first run's id stays a valid handle for every later turn.",
      )
      .argument(
        "<run>",
        "run id, id prefix, name (slug), seq code (03), RESULT path, or latest",
      )
      .argument("[prompt]", "prompt text, a prompt file, or - for stdin");
    for (const [flags, text] of RESUME_OPTIONS) c.option(flags, text);
    c.action(async (sel, arg, f) => setExitCode(await resume(ctx, sel, arg, f as RunFlags)));
  },
};

/** `handoff new`: reserve a run id and its prompt file (the Codex agent flow). */
import type { CommandContext, CommandSpec } from "../../core/registry.ts";
import { setExitCode } from "../../core/cli.ts";
import { usageError } from "../../core/errors.ts";
import { outLine } from "../../core/output.ts";
import { ensurePrivateDir, runFiles } from "../../core/paths.ts";
import { cleanSlug } from "../../core/runid.ts";
import { readStdin } from "./prompt_input.ts";

export async function newRun(
  ctx: CommandContext,
  f: { backend?: string; slug?: string; write?: boolean; json?: boolean },
): Promise<number> {
  const { findBackend } = await import("../../core/config.ts");
  const config = await ctx.config();
  const backend = findBackend(config, f.backend);
  let prompt: string | null = null;
  if (f.write) {
    if (Deno.stdin.isTerminal()) {
      throw usageError(
        "--write reads the prompt from stdin, and stdin is a terminal",
        "pipe it in: handoff new --write < prompt.md",
      );
    }
    prompt = readStdin();
    if (!prompt.trim()) {
      throw usageError("--write got an empty prompt on stdin");
    }
  }
  const { insertRun, promptTitle } = await import("../../core/ledger.ts");
  const dirs = ctx.paths();
  ensurePrivateDir(dirs.tasks);
  const db = await ctx.openStore();
  try {
    const row = insertRun(db, {
      backend: backend.name,
      backendType: backend.type,
      slug: cleanSlug(f.slug),
      cwd: Deno.cwd(),
      title: prompt ? promptTitle(prompt) : "",
      status: "reserved",
    });
    const file = runFiles(row.run_id).prompt;
    if (prompt !== null) {
      await Deno.writeTextFile(file, prompt, { mode: 0o600 });
    }
    if (f.json) {
      outLine(JSON.stringify({ run_id: row.run_id, backend: row.backend, prompt_file: file }));
    } else outLine(file);
    return 0;
  } finally {
    db.close();
  }
}

export const newCommand: CommandSpec = {
  name: "new",
  summary: "reserve a run id and print its prompt file path",
  register(program, ctx) {
    program.command("new")
      .summary("reserve a run id and print its prompt file path")
      .description(
        "Reserve a run id and print the absolute path of its prompt file. Write the prompt " +
          "there (or pass --write with the prompt on stdin), then start it with " +
          "`handoff run <that path>` or `handoff run <run-id>`.",
      )
      .option(
        "-b, --backend <name>",
        "backend from config.yaml (default: the first)",
      )
      .option(
        "-s, --slug <slug>",
        "up to three words naming the task in its run id",
      )
      .option("-w, --write", "write stdin to the prompt file")
      .option("--json", "print {run_id, backend, prompt_file} instead of the path")
      .action(async (f) => setExitCode(await newRun(ctx, f)));
  },
};

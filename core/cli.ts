/** The commander tree: built only for commands that are not on a fast path. */
import { Command, CommanderError } from "@commander-js/extra-typings";
import { VERSION } from "./version.ts";
import { EXIT, HandoffError } from "./errors.ts";
import { err, errColors, out } from "./output.ts";
import type { CommandContext, Registry } from "./registry.ts";

let exitCode: number = EXIT.OK;

/** Commands report their exit code here (or throw a HandoffError). */
export function setExitCode(code: number): void {
  exitCode = code;
}

export function newProgram(): Command {
  return new Command("handoff")
    .description(
      "Hand coding tasks to other agent CLIs in the background, and hand your desk to your phone.",
    )
    .version(`handoff ${VERSION}`, "-V, --version", "print the version")
    .option(
      "--home <dir>",
      "state directory (default $HANDOFF_HOME or ~/.handoff)",
    )
    .option("--config <file>", "config file (default <home>/config.yaml)")
    .option("--no-color", "no colours (also: NO_COLOR=1)")
    .helpOption("-h, --help", "show help")
    .showSuggestionAfterError(true)
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true })
    .exitOverride()
    .configureOutput({
      writeOut: (s) => out(s),
      writeErr: (s) => err(s),
      outputError: (s, write) => write(`handoff: ${s.replace(/^error: /, "")}`),
    });
}

export async function runCli(
  args: string[],
  registry: Registry,
): Promise<number> {
  const program = newProgram();
  const ctx: CommandContext = { registry };
  for (const spec of registry.commands()) await spec.register?.(program, ctx);
  // Inherit the exit behaviour on every subcommand (commander copies settings at creation).
  for (const c of program.commands) {
    c.exitOverride().configureOutput(program.configureOutput());
  }
  // With no arguments, a plugin's `status` command answers (else: help).
  if (args.length === 0 && registry.command("status")) args = ["status"];
  try {
    await program.parseAsync(args, { from: "user" });
    return exitCode;
  } catch (e) {
    return reportError(e);
  }
}

export function reportError(e: unknown): number {
  if (e instanceof CommanderError) {
    if (
      e.code === "commander.helpDisplayed" || e.code === "commander.version"
    ) return EXIT.OK;
    if (e.code === "commander.help") return EXIT.OK;
    return EXIT.USAGE;
  }
  const c = errColors();
  if (e instanceof HandoffError) {
    err(`${c.red("handoff:")} ${e.message}\n`);
    if (e.hint) err(`${c.dim("hint:")} ${e.hint}\n`);
    return e.exitCode;
  }
  err(
    `${c.red("handoff: internal error:")} ${(e as Error)?.stack ?? String(e)}\n`,
  );
  return EXIT.FAILED;
}

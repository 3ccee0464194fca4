/**
 * The commander tree: built only for commands that are not on a fast path. Commands import
 * `setExitCode` from here, so commander itself is loaded lazily: a fast path (the gate,
 * notify) must not pay its ~25 ms start-up just because the plugin list was imported.
 */
import type { Command } from "@commander-js/extra-typings";
import { VERSION } from "./version.ts";
import { EXIT, HandoffError } from "./errors.ts";
import { err, errColors, escapeControls, out } from "./output.ts";
import type { CommandContext, Registry } from "./registry.ts";
import { probeHome, storageError, storageProblem } from "./storage_errors.ts";
import { paths } from "./paths.ts";
import { io, type IoStreams, withIo } from "./io.ts";

let exitCode: number = EXIT.OK;

/** Commands report their exit code here (or throw a HandoffError). */
export function setExitCode(code: number): void {
  exitCode = code;
}

export async function newProgram(): Promise<Command> {
  const { Command } = await import("@commander-js/extra-typings");
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

/** What every command is handed: the registry, the streams, the files, ledger, config, clock. */
export function commandContext(registry: Registry): CommandContext {
  return {
    registry,
    io: io(),
    paths: () => paths(),
    // Loaded on first use: commands that never open the ledger do not pay for SQLite.
    openStore: async (o) => (await import("./store.ts")).openDb(paths().db, o),
    config: async () =>
      await (await import("./config.ts")).loadConfig((t) => registry.backend(t), paths().config),
    now: () => new Date(),
  };
}

/**
 * Runs one command line; resolves with its exit code. `o.io` replaces stdout and stderr
 * for the call (in-process tests), and the exit code starts from 0 each time.
 */
export async function runCli(
  args: string[],
  registry: Registry,
  o: { io?: IoStreams } = {},
): Promise<number> {
  if (o.io) return await withIo(o.io, () => runCli(args, registry));
  exitCode = EXIT.OK;
  // With no arguments, a plugin's `status` command answers (else: help).
  // `handoff --json` is the status screen as JSON.
  if (registry.command("status") && args.every((a) => a === "--json")) args = ["status", ...args];
  const own = registry.command(args[0] ?? "");
  if (own?.run && !own.register) {
    try {
      return await own.run(args.slice(1));
    } catch (e) {
      return reportError(e);
    }
  }
  const off = own ? null : await disabledOwner(registry, args[0] ?? "");
  if (off) {
    return reportError(
      new HandoffError(
        `${args[0]} belongs to the plugin ${off}, which is disabled`,
        EXIT.USAGE,
        `handoff plugin enable ${off}`,
      ),
    );
  }
  const ctx = commandContext(registry);
  if (own?.quick) {
    try {
      const code = await own.quick(args.slice(1), ctx);
      if (code !== null) return code;
    } catch (e) {
      return reportError(e);
    }
  }
  const program = await newProgram();
  // Building every command costs start-up time (some import their modules to declare their
  // options): a known command gets only itself; help, aliases and typos get the full tree.
  const named = registry.command(args[0] ?? "");
  for (const spec of named ? [named] : registry.commands()) {
    if (spec.register) await spec.register(program, ctx);
    // A command that parses its own arguments is listed in the help only.
    else program.command(spec.name).summary(spec.summary).allowUnknownOption();
  }
  // Inherit the exit behaviour on every subcommand (commander copies settings at creation).
  for (const c of program.commands) {
    c.exitOverride().configureOutput(program.configureOutput());
  }
  try {
    await program.parseAsync(args, { from: "user" });
    return exitCode;
  } catch (e) {
    return reportError(e);
  }
}

/** The disabled plugin whose manifest lists `command`, if any. */
async function disabledOwner(registry: Registry, command: string): Promise<string | null> {
  if (!/^[a-z][a-z0-9-]*$/.test(command)) return null;
  for (const k of registry.known()) {
    if (k.enabled) continue;
    try {
      const m = await k.manifest() as { provides?: { commands?: { name?: string }[] } };
      if (m.provides?.commands?.some((c) => c.name === command)) return k.name;
    } catch { /* a manifest that cannot be read names no command */ }
  }
  return null;
}

/** Without importing commander: its errors carry a `commander.*` code. */
function isCommanderError(e: unknown): e is { code: string } {
  const code = (e as { code?: unknown } | null)?.code;
  return e instanceof Error && typeof code === "string" && code.startsWith("commander.");
}

export function reportError(e: unknown): number {
  if (isCommanderError(e)) {
    if (
      e.code === "commander.helpDisplayed" || e.code === "commander.version"
    ) return EXIT.OK;
    if (e.code === "commander.help") return EXIT.OK;
    // `handoff run "--help me"`: a prompt that begins like an option.
    if (
      e.code === "commander.unknownOption" && /'-[^']*\s/.test((e as unknown as Error).message)
    ) {
      err(
        `${errColors().dim("hint:")} a prompt that starts with "-" goes after --: ` +
          `handoff run -- "--help me" (or use --text, or pipe it on stdin with -)\n`,
      );
    }
    return EXIT.USAGE;
  }
  const c = errColors();
  let problem = e instanceof HandoffError ? null : storageProblem(e);
  if (problem === "cannot_open" || problem === "io") problem = probeHome(paths().home) ?? problem;
  if (problem) e = storageError(problem, paths());
  if (e instanceof HandoffError) {
    // Messages quote what they refuse (a manifest's key, a lock's entry): never raw.
    const shown = (text: string) => text.split("\n").map(escapeControls).join("\n");
    err(`${c.red("handoff:")} ${shown(e.message)}\n`);
    if (e.hint) err(`${c.dim("hint:")} ${shown(e.hint)}\n`);
    return e.exitCode;
  }
  err(
    `${c.red("handoff: internal error:")} ${(e as Error)?.stack ?? String(e)}\n`,
  );
  return EXIT.FAILED;
}

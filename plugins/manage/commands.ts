/** `handoff plugin …`: one file per subcommand; this one only declares them. */
import type { Command } from "@commander-js/extra-typings";
import { setExitCode } from "../../core/cli.ts";
import type { CommandContext } from "../../core/registry.ts";

export function registerPluginCommands(program: Command, ctx: CommandContext): void {
  const plugin = program.command("plugin")
    .summary("add, list, inspect, verify, upgrade, disable and remove plugins")
    .description(
      "Plugins add backends, commands, notification sources and event sinks. First-party " +
        "plugins (claude, codex, dispatch, notify, phone …) are listed and can be disabled " +
        "too. An installed plugin's code runs only after you agreed to exactly its files.",
    );
  plugin.command("add")
    .summary("install a plugin (asks first)")
    .description(
      "Install a plugin from a directory (linked: edits take effect at once), a git URL\n" +
        "(file:///…/x.git, https://…/x.git, #ref for a branch, tag or commit), owner/repo[@ref]\n" +
        "(GitHub), npm:package[@version], or an https URL of a .tgz. Shows what it provides and\n" +
        "exactly what will run, then asks; --yes agrees without asking.",
    )
    .argument("<source>", "directory, git URL, owner/repo[@ref], npm:pkg[@version], tarball URL")
    .option("-y, --yes", "agree to run it without asking (scripts)")
    .option("--pin <ref>", "stay on this git ref or npm version: upgrade leaves it alone")
    .option("--json", "print the installed plugin as JSON")
    .action(async (source, f) => {
      const { add } = await import("./add.ts");
      setExitCode(await add(ctx, source, f));
    });
  plugin.command("list")
    .summary("every plugin, first-party ones too, with what it provides")
    .option("--json", "JSON lines")
    .action(async (f) => {
      const { list } = await import("./list.ts");
      setExitCode(await list(ctx, f));
    });
  plugin.command("info")
    .summary("one plugin: manifest, source, consent, delivery state")
    .argument("<name>")
    .option("--json", "JSON")
    .action(async (name, f) => {
      const { info } = await import("./info.ts");
      setExitCode(await info(ctx, name, f));
    });
  plugin.command("remove")
    .summary("uninstall a plugin (a linked directory is left as it is)")
    .argument("<name>")
    .action(async (name) => {
      const { remove } = await import("./remove.ts");
      setExitCode(await remove(ctx, name));
    });
  plugin.command("upgrade")
    .summary("fetch newer versions (pinned ones only with --force)")
    .argument("[name]")
    .option("--all", "every installed plugin")
    .option("--dry-run", "say what would change; change nothing")
    .option("--force", "upgrade a pinned plugin too, and re-install an unchanged one")
    .option("-y, --yes", "agree to run the new files without asking")
    .action(async (name, f) => {
      const { upgrade } = await import("./upgrade.ts");
      setExitCode(await upgrade(ctx, name, f));
    });
  for (const on of [true, false]) {
    plugin.command(on ? "enable" : "disable")
      .summary(on ? "turn a plugin back on" : "turn a plugin off (first-party ones too)")
      .argument("<name>")
      .action(async (name) => {
        const { setEnabled } = await import("./toggle.ts");
        setExitCode(await setEnabled(ctx, name, on));
      });
  }
  plugin.command("verify")
    .summary("check installed files against the lock (exit 1 on a change)")
    .argument("[name]")
    .option("--json", "JSON lines")
    .action(async (name, f) => {
      const { verify } = await import("./verify.ts");
      setExitCode(await verify(ctx, name, f));
    });
  plugin.command("status")
    .summary("event sinks: delivered, pending, failing, last error")
    .option("--json", "JSON lines")
    .action(async (f) => {
      const { status } = await import("./status.ts");
      setExitCode(await status(ctx, f));
    });
  plugin.command("build")
    .summary("bundle a TypeScript module plugin into one self-contained module (dist/)")
    .argument("<dir>")
    .option("--deno <path>", "the deno to bundle with (default: deno on PATH)")
    .action(async (dir, f) => {
      const { build } = await import("./build.ts");
      setExitCode(await build(dir, f));
    });
  plugin.command("new")
    .summary("scaffold a plugin that `plugin add` accepts, with its own test")
    .argument("<name>")
    .option(
      "--kind <kind>",
      "exec (its own process, any language) or module (one ES module)",
      "exec",
    )
    .option("--dir <parent>", "where to create it (default: here)")
    .action(async (name, f) => {
      const { scaffold } = await import("./new.ts");
      setExitCode(await scaffold(name, f));
    });
}

/**
 * Entry point. Hot paths first: `--version` answers before anything is imported, and the
 * commands in plugins/hot.ts (the gate, notify) run without the plugin list or commander.
 */
import { VERSION } from "./core/version.ts";

const args = [...Deno.args];

// `deno task start` runs from the repository root; act in the caller's directory.
const initCwd = Deno.env.get("INIT_CWD");
if (initCwd) {
  try {
    Deno.chdir(initCwd);
  } catch { /* stay where we are */ }
  Deno.env.delete("INIT_CWD");
}

// `version` is the original phone tool's spelling.
if (args[0] === "--version" || args[0] === "-V" || args[0] === "version") {
  console.log(`handoff ${VERSION}`);
  Deno.exit(0);
}

// Global options before the subcommand apply to fast paths too.
while (args.length) {
  const a = args[0];
  const eq = a.indexOf("=");
  const [flag, inline] = eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
  if (flag === "--home" || flag === "--config") {
    const value = inline ?? args[1];
    if (value === undefined) break; // commander reports the missing value
    Deno.env.set(flag === "--home" ? "HANDOFF_HOME" : "HANDOFF_CONFIG", value);
    args.splice(0, inline === undefined ? 2 : 1);
  } else if (flag === "--no-color") {
    Deno.env.set("NO_COLOR", "1");
    args.shift();
  } else break;
}

// Hot paths (the gate, notify) skip the plugin list and the command tree entirely.
const { hotCommands } = await import("./plugins/hot.ts");
const hot = hotCommands[args[0]];
if (hot) Deno.exit(await (await hot())(args.slice(1)));

const { pluginRegistry } = await import("./plugins/mod.ts");
const { runCli } = await import("./core/cli.ts");
Deno.exit(await runCli(args, await pluginRegistry()));

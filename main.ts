/**
 * Entry point. Hot paths first: `--version` answers before anything is imported, and
 * commands with a `fast` handler (the gate, notify) run without the commander tree.
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

if (args[0] === "--version" || args[0] === "-V") {
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

// The gate answers every phone request ((1 + sessions) calls every 5 s per phone): it goes
// straight to its module, skipping the plugin list (~20 ms of other commands' imports),
// which it loads only for a request that needs it (subscribe).
if (args[0] === "gate") {
  const { gateMain } = await import("./plugins/gate/gate.ts");
  Deno.exit(await gateMain(args.slice(1)));
}

// notify runs on every agent turn (Claude Code / Codex hooks): same shortcut. It never
// needs the registry, and it reports its own errors (a hook must not fail the agent).
if (args[0] === "notify") {
  const { notifyMain } = await import("./plugins/notify/notify.ts");
  Deno.exit(await notifyMain(args.slice(1)));
}

const { firstPartyRegistry } = await import("./plugins/mod.ts");
const registry = firstPartyRegistry();
const fast = args.length ? registry.command(args[0])?.fast : undefined;
let code: number;
if (fast) {
  try {
    code = await fast(args.slice(1), { registry });
  } catch (e) {
    const { reportError } = await import("./core/cli.ts");
    code = reportError(e);
  }
} else {
  const { runCli } = await import("./core/cli.ts");
  code = await runCli(args, registry);
}
Deno.exit(code);

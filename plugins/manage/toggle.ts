/** `handoff plugin enable|disable <name>`: first-party plugins too (phone on a server, say). */
import { usageError } from "../../core/errors.ts";
import { errColors, errLine } from "../../core/output.ts";
import { handoffHome } from "../../core/paths.ts";
import { parseManifest } from "../../core/plugin/manifest.ts";
import { readLock, writeLock } from "../../core/plugin/lock.ts";
import type { CommandContext } from "../../core/registry.ts";
import { knownPlugin } from "./lookup.ts";
import { initSinkCursors } from "./sinks.ts";

/** Plugins the gate and phones cannot do without while a device is paired. */
const NOT_ALONE = "manage";

export async function setEnabled(ctx: CommandContext, name: string, on: boolean): Promise<number> {
  const k = knownPlugin(ctx, name);
  if (name === NOT_ALONE) throw usageError("manage is what enables plugins: it stays on");
  const home = handoffHome();
  const lock = readLock(home);
  const m = parseManifest(JSON.stringify(await k.manifest()), { builtin: k.origin === "builtin" });
  if (!on) {
    // What depends on it goes first: a disabled library would break its users at run time.
    const users: string[] = [];
    for (const other of ctx.registry.known()) {
      if (!other.enabled || other.name === name) continue;
      const om = parseManifest(JSON.stringify(await other.manifest()), {
        builtin: other.origin === "builtin",
      });
      if (om.dependsOn.includes(name)) users.push(other.name);
    }
    if (users.length) {
      throw usageError(
        `${name} is needed by ${users.join(", ")}`,
        `disable ${users.length > 1 ? "those" : "that"} first: handoff plugin disable ${users[0]}`,
      );
    }
  }
  const was = !lock.disabled.includes(name);
  lock.disabled = on
    ? lock.disabled.filter((d) => d !== name)
    : [...new Set([...lock.disabled, name])];
  writeLock(home, lock);
  if (on && !was) await initSinkCursors(home, m);
  if (!on && name === "gate") errLine("paired phones are refused until it is enabled again");
  if (!on && name === "notify") errLine("agent hooks keep running and record nothing");
  errLine(
    `${errColors().green("✓")} ${name} ${on ? "enabled" : "disabled"}${
      was === on ? " (it already was)" : ""
    }`,
  );
  return 0;
}

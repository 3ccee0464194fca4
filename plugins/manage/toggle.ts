/** `handoff plugin enable|disable <name>`: first-party plugins too (phone on a server, say). */
import { usageError } from "../../core/errors.ts";
import { errColors, errLine } from "../../core/output.ts";
import { handoffHome } from "../../core/paths.ts";
import { readLock, writeLock } from "../../core/plugin/lock.ts";
import type { CommandContext } from "../../core/registry.ts";
import { manifestOf } from "../../core/plugin/manifest.ts";
import { knownPlugin, MANAGER, readableManifest } from "./lookup.ts";
import { initSinkCursors } from "./sinks.ts";

export async function setEnabled(ctx: CommandContext, name: string, on: boolean): Promise<number> {
  const k = knownPlugin(ctx, name);
  if (name === MANAGER) throw usageError("manage is what enables plugins: it stays on");
  const home = handoffHome();
  const lock = readLock(home);
  const m = await readableManifest(k);
  if (!on) {
    // What depends on it goes first: a disabled library would break its users at run time.
    const users: string[] = [];
    for (const other of ctx.registry.known()) {
      if (!other.enabled || other.name === name) continue;
      if ((await manifestOf(other))?.dependsOn.includes(name)) users.push(other.name);
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

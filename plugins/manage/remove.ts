/** `handoff plugin remove <name>`: forget it; delete its copy (never a linked directory). */
import { usageError } from "../../core/errors.ts";
import { errColors, errLine } from "../../core/output.ts";
import { handoffHome } from "../../core/paths.ts";
import { copyFolder, readLock, writeLock } from "../../core/plugin/lock.ts";
import type { CommandContext } from "../../core/registry.ts";
import { removeIfThere } from "./install.ts";
import { knownPlugin, MANAGER } from "./lookup.ts";
import { dropSinkCursors } from "./sinks.ts";

export async function remove(ctx: CommandContext, name: string): Promise<number> {
  const k = knownPlugin(ctx, name);
  if (k.origin === "builtin") {
    throw usageError(
      `${name} is first-party: it cannot be removed`,
      name === MANAGER
        ? "it is what adds and removes plugins: it stays"
        : `handoff plugin disable ${name} turns it off`,
    );
  }
  const home = handoffHome();
  const lock = readLock(home);
  const entry = lock.plugins[name];
  const unreadable = name in lock.unreadable;
  delete lock.plugins[name];
  delete lock.unreadable[name];
  lock.disabled = lock.disabled.filter((d) => d !== name);
  writeLock(home, lock);
  const copy = copyFolder(home, name);
  if (copy && (unreadable || (entry && !entry.linked && entry.path === copy))) removeIfThere(copy);
  await dropSinkCursors(home, name);
  errLine(
    `${errColors().green("✓")} removed ${name}` +
      (entry?.linked ? ` (its directory ${entry.path} is untouched)` : ""),
  );
  return 0;
}

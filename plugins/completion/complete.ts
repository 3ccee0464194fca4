/**
 * `handoff complete-args <shell> <words…> -- <current>` (internal, a hot command): the values
 * for the word being typed, one per line, from the words before it. Never fails: a
 * problem means no values (the shell then completes file names).
 */
import type { Registry } from "../../core/registry.ts";
import { candidates, flagTakesValue } from "./candidates.ts";
import { whatToComplete } from "./context.ts";

export async function completeMain(
  args: string[],
  loadRegistry: () => Promise<Registry>,
): Promise<number> {
  try {
    // The scripts always end with `-- <current>` (the current word may itself be `--`).
    const dash = args.length >= 3 && args.at(-2) === "--" ? args.length - 2 : -1;
    const before = dash < 0 ? args.slice(1) : args.slice(1, dash);
    const current = dash < 0 ? "" : args[dash + 1];
    let registry: Promise<Registry> | undefined;
    const reg = () => registry ??= loadRegistry();
    // Whether a flag reads a value is asked of the command tree only when a flag is there.
    const valued = new Map<string, boolean>();
    const command = before[0] && !before[0].startsWith("-") ? before[0] : null;
    const sub = command ? before.slice(1).find((w) => !w.startsWith("-")) : undefined;
    for (const w of before) {
      if (!w.startsWith("-") || w.includes("=") || valued.has(w)) continue;
      // The subcommand's own flag, else its command's, else a global one.
      const paths = [command && sub ? [command, sub] : null, command ? [command] : null, []]
        .filter((p): p is string[] => p !== null);
      let takes = false;
      for (const path of paths) {
        if (await flagTakesValue(await reg(), path, w).catch(() => false)) takes = true;
        if (takes) break;
      }
      valued.set(w, takes);
    }
    const want = whatToComplete(before, current, (_path, flag) => valued.get(flag) ?? false);
    const values = await candidates(want, current, reg);
    if (values.length) console.log(values.join("\n"));
  } catch { /* no values */ }
  return 0;
}

/**
 * Entry of the full-screen `handoff list` / `handoff tail`. Commands import this module
 * lazily, and only on a terminal, so the plain and --json paths never load ink or React;
 * this module in turn loads the TUI (tui/run.ts) only when it is called.
 */
import type { CommandContext } from "../../../core/registry.ts";
import type { ListTuiOptions } from "./run.ts";

export type { ListTuiOptions };

export async function listTui(ctx: CommandContext, o: ListTuiOptions = {}): Promise<number> {
  return (await load()).listTui(ctx, o);
}

/** Null: the run has ended (or had already); the caller prints it the plain way. */
export async function tailTui(ctx: CommandContext, selector: string): Promise<number | null> {
  return (await load()).tailTui(ctx, selector);
}

/**
 * React and its reconciler choose their build when first evaluated, from NODE_ENV. The
 * production build starts the first frame ~60 ms sooner than the development one (which
 * is what an unset NODE_ENV gets). Set only while loading: processes started later (a
 * resume, the interactive CLI) must not inherit it.
 */
async function load(): Promise<typeof import("./run.ts")> {
  const unset = Deno.env.get("NODE_ENV") === undefined;
  if (unset) Deno.env.set("NODE_ENV", "production");
  try {
    return await import("./run.ts");
  } finally {
    if (unset) Deno.env.delete("NODE_ENV");
  }
}

/** `handoff plugin list`: every plugin, first-party and installed, enabled or not. */
import { jsonVisible, outLine } from "../../core/output.ts";
import { handoffHome } from "../../core/paths.ts";
import { readLock } from "../../core/plugin/lock.ts";
import type { CommandContext } from "../../core/registry.ts";
import { listLines, type PluginRow, pluginRow } from "./describe.ts";
import { manifestOf } from "./lookup.ts";

/** Rows for every plugin the registry knows. */
export async function pluginRows(ctx: CommandContext): Promise<PluginRow[]> {
  const lock = readLock(handoffHome());
  const rows: PluginRow[] = [];
  for (const k of ctx.registry.known()) {
    rows.push(pluginRow(k, await manifestOf(k), lock.plugins[k.name]));
  }
  return rows;
}

export async function list(ctx: CommandContext, f: { json?: boolean }): Promise<number> {
  const rows = await pluginRows(ctx);
  if (f.json) { for (const r of rows) outLine(jsonVisible(r)); }
  else for (const l of listLines(rows)) outLine(l);
  return 0;
}

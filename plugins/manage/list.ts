/** `handoff plugin list`: every plugin, first-party and installed, enabled or not. */
import { jsonVisible, outLine } from "../../core/output.ts";
import { handoffHome } from "../../core/paths.ts";
import { type LockEntry, readLock } from "../../core/plugin/lock.ts";
import { changedSinceConsent } from "../../core/plugin/digest.ts";
import type { CommandContext } from "../../core/registry.ts";
import { listLines, type PluginRow, pluginRow } from "./describe.ts";
import { manifestOf } from "../../core/plugin/manifest.ts";

/** Why a copied plugin's code would be refused now (its files changed), or null. */
function refusal(entry: LockEntry | undefined): string | null {
  if (!entry || entry.linked) return null;
  try {
    if (changedSinceConsent(entry) === null) return null;
  } catch { /* unreadable: refused as well */ }
  return "its files changed since you agreed to them: handoff plugin verify";
}

/** Rows for every plugin the registry knows. */
export async function pluginRows(ctx: CommandContext): Promise<PluginRow[]> {
  const lock = readLock(handoffHome());
  const rows: PluginRow[] = [];
  for (const k of ctx.registry.known()) {
    const entry = lock.plugins[k.name];
    const row = pluginRow(k, await manifestOf(k), entry);
    if (row.enabled) row.problem ??= refusal(entry);
    rows.push(row);
  }
  return rows;
}

export async function list(ctx: CommandContext, f: { json?: boolean }): Promise<number> {
  const rows = await pluginRows(ctx);
  if (f.json) { for (const r of rows) outLine(jsonVisible(r)); }
  else for (const l of listLines(rows)) outLine(l);
  return 0;
}

/**
 * `handoff plugin upgrade [name | --all]`: fetch each plugin's source again; when it
 * resolves to something new (a commit, a version, a tarball's sha256), show what changes
 * and install it after a new consent. Pinned plugins and linked folders stay as they are
 * (a pinned one moves only with --force).
 */
import { usageError } from "../../core/errors.ts";
import { errColors, errLine } from "../../core/output.ts";
import { handoffHome } from "../../core/paths.ts";
import { type LockEntry, pluginsDir, readLock } from "../../core/plugin/lock.ts";
import type { CommandContext } from "../../core/registry.ts";
import { fetchSource, parseSource } from "./source.ts";
import { install, removeIfThere } from "./install.ts";
import { initSinkCursors } from "./sinks.ts";

async function upgradeOne(
  ctx: CommandContext,
  home: string,
  e: LockEntry,
  f: { dryRun?: boolean; force?: boolean; yes?: boolean },
): Promise<"upgraded" | "current" | "skipped"> {
  const name = e.manifest.name;
  if (e.linked) {
    errLine(`${name}: linked to ${e.path}: nothing to fetch (edits take effect at once)`);
    return "skipped";
  }
  if (e.pinned && !f.force) {
    errLine(`${name}: pinned to ${e.pinned}: left alone (--force to move it)`);
    return "skipped";
  }
  let spec = parseSource(e.source, Deno.cwd(), () => false);
  // --force past a pin fetches the source's newest.
  if (f.force && e.pinned && (spec.kind === "git" || spec.kind === "github")) {
    spec = { ...spec, ref: null };
  }
  if (f.force && e.pinned && spec.kind === "npm") spec = { ...spec, version: null };
  const staging = Deno.makeTempDirSync({ dir: pluginsDir(home), prefix: ".staging-" });
  try {
    const fetched = await fetchSource(spec, staging);
    if (fetched.resolved === e.resolved && !f.force) {
      errLine(`${name}: up to date (${e.resolved ?? e.manifest.version})`);
      return "current";
    }
    errLine(`${name}: ${e.resolved ?? e.manifest.version} → ${fetched.resolved ?? "?"}`);
    if (f.dryRun) return "upgraded";
    const entry = await install({
      home,
      source: e.source,
      fetched,
      pinned: f.force ? null : e.pinned,
      yes: f.yes ?? false,
      registry: ctx.registry,
    });
    await initSinkCursors(home, entry.manifest);
    errLine(`${errColors().green("✓")} ${name} ${entry.manifest.version} installed`);
    return "upgraded";
  } finally {
    removeIfThere(staging);
  }
}

export async function upgrade(
  ctx: CommandContext,
  name: string | undefined,
  f: { all?: boolean; dryRun?: boolean; force?: boolean; yes?: boolean },
): Promise<number> {
  if (!name && !f.all) {
    throw usageError("name a plugin, or pass --all", "handoff plugin list shows them");
  }
  const home = handoffHome();
  const lock = readLock(home);
  const entries = name ? [lock.plugins[name]] : Object.values(lock.plugins);
  if (name && !entries[0]) throw usageError(`no installed plugin named "${name}"`);
  let failed = 0;
  let changed = 0;
  for (const e of entries) {
    try {
      if (await upgradeOne(ctx, home, e, f) === "upgraded") changed++;
    } catch (err) {
      failed++;
      errLine(`${e.manifest.name}: ${(err as Error).message} (kept as it was)`);
    }
  }
  if (f.dryRun) errLine(`${changed} plugin(s) would be upgraded (dry run: nothing changed)`);
  return failed ? 1 : 0;
}

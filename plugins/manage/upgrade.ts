/**
 * `handoff plugin upgrade [name | --all]`: fetch each plugin's source again; when it
 * resolves to something new (a commit, a version, a tarball's sha256), show what changes
 * and install it after a new consent. Pinned plugins and linked folders stay as they are
 * (a pinned one moves only with --force).
 */
import { HandoffError, notFound, usageError } from "../../core/errors.ts";
import { errColors, errLine, escapeControls } from "../../core/output.ts";
import { handoffHome } from "../../core/paths.ts";
import { type LockEntry, pluginsDir, readLock } from "../../core/plugin/lock.ts";
import type { CommandContext } from "../../core/registry.ts";
import { fetchSource, parseSource } from "./source.ts";
import { install, removeIfThere } from "./install.ts";
import { initSinkCursors } from "./sinks.ts";
import { brokenPlugin } from "./lookup.ts";

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
    const same = fetched.resolved === e.resolved;
    if (same && (!f.force || f.dryRun)) {
      errLine(
        `${name}: up to date (${e.resolved ?? e.manifest.version})` +
          (f.force ? ": --force would install it again" : ""),
      );
      return "current";
    }
    errLine(
      same
        ? `${name}: installing ${e.resolved ?? e.manifest.version} again (--force)`
        : `${name}: ${e.resolved ?? e.manifest.version} → ${fetched.resolved ?? "?"}`,
    );
    if (f.dryRun) return "upgraded";
    const entry = await install({
      home,
      expectName: name,
      source: e.source,
      fetched,
      pinned: f.force ? null : e.pinned,
      yes: f.yes ?? false,
      registry: ctx.registry,
    });
    await initSinkCursors(home, entry.manifest);
    errLine(`${errColors().green("✓")} ${name} ${entry.manifest.version} installed`);
    if (f.force && e.pinned) {
      errLine(
        `${name}: no longer pinned to ${e.pinned} (--force); ` +
          `handoff plugin add ${e.source} --pin REF pins it again`,
      );
    }
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
  if (!name === !f.all) {
    throw usageError("name a plugin, or pass --all (not both)", "handoff plugin list shows them");
  }
  const home = handoffHome();
  const lock = readLock(home);
  if (name) {
    const e = lock.plugins[name];
    const broken = lock.unreadable[name];
    if (broken) {
      throw brokenPlugin(name, `its lock entry cannot be read (${broken.problem})`);
    }
    if (!e) {
      throw notFound(
        `no installed plugin named "${name}"`,
        "handoff plugin list shows the installed ones",
      );
    }
    // One plugin: its error is the command's, with its hint and exit code.
    await upgradeOne(ctx, home, e, f);
    return 0;
  }
  let failed = 0;
  let changed = 0;
  for (const e of Object.values(lock.plugins)) {
    try {
      if (await upgradeOne(ctx, home, e, f) === "upgraded") changed++;
    } catch (err) {
      failed++;
      const hint = err instanceof HandoffError && err.hint ? `\n  hint: ${err.hint}` : "";
      errLine(`${e.manifest.name}: ${(err as Error).message} (kept as it was)${hint}`);
    }
  }
  for (const [n, u] of Object.entries(lock.unreadable)) {
    failed++;
    errLine(escapeControls(`${n}: skipped: its lock entry cannot be read (${u.problem})`));
  }
  if (f.dryRun) errLine(`${changed} plugin(s) would be upgraded (dry run: nothing changed)`);
  return failed ? 1 : 0;
}

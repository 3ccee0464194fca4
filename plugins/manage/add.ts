/** `handoff plugin add <source>`: fetch, show what will run, ask, install, lock. */
import { handoffHome } from "../../core/paths.ts";
import { usageError } from "../../core/errors.ts";
import { isAbsolute, relative } from "../../core/path.ts";
import { errColors, errLine, jsonVisible, outLine } from "../../core/output.ts";
import { ensurePrivateDir } from "../../core/paths.ts";
import { pluginsDir } from "../../core/plugin/lock.ts";
import type { CommandContext } from "../../core/registry.ts";
import type { HandoffError } from "../../core/errors.ts";
import type { Manifest } from "../../core/plugin/manifest.ts";
import { fetchSource, parseSource } from "./source.ts";
import { install, removeIfThere } from "./install.ts";
import { initSinkCursors } from "./sinks.ts";

/** True when `path` is `dir` or inside it, links resolved. */
function insideDir(path: string, dir: string): boolean {
  try {
    const rel = relative(Deno.realPathSync(dir), Deno.realPathSync(path));
    return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
  } catch {
    return false;
  }
}

function isDir(p: string): boolean {
  try {
    return Deno.statSync(p).isDirectory;
  } catch {
    return false;
  }
}

/** A required setting not yet in config.yaml is said now, not at the plugin's first use. */
async function warnMissingSettings(m: Manifest): Promise<void> {
  if (!Object.values(m.config).some((d) => d.required)) return;
  const { loadPluginSettings } = await import("../../core/config.ts");
  try {
    await loadPluginSettings(m.name, m.config);
  } catch (e) {
    const hint = (e as HandoffError).hint;
    errLine(`next: ${(e as Error).message}${hint ? `\n  ${hint.replaceAll("\n", "\n  ")}` : ""}`);
  }
}

export async function add(
  ctx: CommandContext,
  source: string,
  f: { yes?: boolean; pin?: string; json?: boolean },
): Promise<number> {
  const home = handoffHome();
  let spec = parseSource(source, Deno.cwd(), isDir);
  if (f.pin !== undefined) {
    if (spec.kind === "git" || spec.kind === "github") spec = { ...spec, ref: f.pin };
    else if (spec.kind === "npm") spec = { ...spec, version: f.pin };
    else errLine(`handoff: --pin is for git and npm sources; ${spec.kind} ignores it`);
  }
  ensurePrivateDir(pluginsDir(home));
  if (spec.kind === "dir" && insideDir(spec.path, pluginsDir(home))) {
    // Linking an installed copy would have the copy deleted as the entry it replaces.
    throw usageError(
      `${spec.path} is inside handoff's plugins folder (an installed copy)`,
      "add the plugin from its own source: a folder of yours, a git URL, npm: or a tarball",
    );
  }
  const staging = Deno.makeTempDirSync({ dir: pluginsDir(home), prefix: ".staging-" });
  try {
    if (spec.kind !== "dir") errLine(`fetching ${source} …`);
    const fetched = await fetchSource(spec, staging);
    const entry = await install({
      home,
      source: spec.kind === "dir" ? spec.path : source,
      fetched,
      pinned: f.pin ?? null,
      yes: f.yes ?? false,
      registry: ctx.registry,
    });
    await initSinkCursors(home, entry.manifest);
    const c = errColors();
    errLine(
      `${c.green("✓")} ${entry.manifest.name} ${entry.manifest.version} installed` +
        (entry.linked ? ` (linked to ${entry.path})` : ""),
    );
    await warnMissingSettings(entry.manifest);
    if (f.json) {
      outLine(
        jsonVisible({ name: entry.manifest.name, ...entry, files: Object.keys(entry.files) }),
      );
    }
    return 0;
  } finally {
    removeIfThere(staging);
  }
}

/**
 * What `plugin add` shows before asking, and what `plugin list` and `info` print. Pure:
 * a manifest and lock entry in, lines out (the shebang is read by the caller).
 */
import { join } from "../../core/path.ts";
import { type Manifest, providesSummary } from "../../core/plugin/manifest.ts";
import type { LockEntry } from "../../core/plugin/lock.ts";
import type { PluginOrigin } from "../../core/registry.ts";
import { escapeControls as safeText } from "../../core/output.ts";
import { tildePath } from "../../core/paths.ts";

/** The `#!` line of an exec entry ("" when it has none or cannot be read). */
export function shebang(file: string): string {
  try {
    const head = new TextDecoder().decode(Deno.readFileSync(file).slice(0, 200));
    return head.startsWith("#!") ? head.split("\n")[0].slice(2).trim() : "";
  } catch {
    return "";
  }
}

/**
 * How the plugin's code runs, in one line a user can judge. `readFrom` is where the entry
 * is now when that is not yet `dir` (the fetched copy, before it is installed).
 */
export function runsAs(m: Manifest, dir: string, readFrom = dir): string {
  const entry = join(dir, m.entry);
  if (m.kind === "exec") {
    const interp = shebang(join(readFrom, m.entry));
    return `runs ${tildePath(entry)}${interp ? ` (through ${safeText(interp)})` : ""} as you, ` +
      "whenever handoff needs one of its hooks";
  }
  return `loads ${tildePath(entry)} into handoff's own process, with all of your permissions, ` +
    "whenever handoff needs one of its hooks";
}

export function consentText(
  m: Manifest,
  o: {
    source: string;
    /** Where it will be installed, and where its files are now. */
    dest: string;
    fetchedDir: string;
    files: Record<string, string>;
    digest: string;
    linked: boolean;
    previous?: LockEntry;
  },
): string[] {
  const lines = [
    `${safeText(m.name)} ${safeText(m.version)} (${m.kind} plugin) from ${safeText(o.source)}`,
  ];
  if (m.description) lines.push(`  ${safeText(m.description)}`);
  if (m.homepage) lines.push(`  ${safeText(m.homepage)}`);
  lines.push(`  provides: ${providesSummary(m).join(", ")}`);
  const keys = Object.keys(m.config);
  if (keys.length) lines.push(`  settings: plugins.${m.name}.{${keys.join(", ")}} in config.yaml`);
  lines.push(`  ${runsAs(m, o.dest, o.fetchedDir)}`);
  if (o.linked) {
    lines.push(`  linked: ${tildePath(o.dest)} is used as it is (edits take effect at once)`);
  } else {
    const n = Object.keys(o.files).length;
    lines.push(
      `  ${n} file(s), sha256 ${o.digest.slice(0, 16)}…; installed in ${tildePath(o.dest)}`,
    );
  }
  if (o.previous) {
    lines.push(
      `  replaces ${safeText(o.previous.manifest.name)} ${safeText(o.previous.manifest.version)} ` +
        `from ${safeText(o.previous.source)}`,
    );
  }
  return lines;
}

/** One row of `plugin list`, also its JSON. */
export interface PluginRow {
  name: string;
  version: string;
  kind: string;
  origin: "builtin" | "installed";
  enabled: boolean;
  provides: string[];
  source: string | null;
  resolved: string | null;
  linked: boolean;
  description: string;
  /**
   * Why it is skipped though enabled (a clash, an unreadable lock entry, files changed since
   * the consent); null when it runs.
   */
  problem: string | null;
}

/** `m` is null for a plugin whose lock entry cannot be read. */
export function pluginRow(k: PluginOrigin, m: Manifest | null, entry?: LockEntry): PluginRow {
  return {
    name: k.name,
    version: m?.version ?? "?",
    kind: m?.kind ?? "?",
    origin: k.origin,
    enabled: k.enabled,
    provides: m ? providesSummary(m) : [],
    source: entry?.source ?? null,
    resolved: entry?.resolved ?? null,
    linked: entry?.linked ?? false,
    description: m?.description ?? "",
    problem: k.problem ?? null,
  };
}

/** `plugin list` as a table: name, version, kind, state, what it provides. */
export function listLines(rows: PluginRow[]): string[] {
  const w = Math.max(4, ...rows.map((r) => r.name.length));
  const v = Math.max(7, ...rows.map((r) => r.version.length));
  return [
    `${"NAME".padEnd(w)}  ${"VERSION".padEnd(v)}  ${"KIND".padEnd(7)}  ${
      "STATE".padEnd(8)
    }  PROVIDES`,
    ...rows.map((r) =>
      `${safeText(r.name).padEnd(w)}  ${safeText(r.version).padEnd(v)}  ${r.kind.padEnd(7)}  ${
        (r.problem ? "skipped" : r.enabled ? "enabled" : "disabled").padEnd(8)
      }  ${r.problem ? `(${safeText(r.problem)})` : r.provides.join(", ") || "-"}`
    ),
  ];
}

/**
 * Installing a fetched plugin: read and check its manifest and entry, refuse clashes,
 * show exactly what will run and ask, then copy it under `$HANDOFF_HOME/plugins/<name>/`
 * (a local directory is linked instead) and record it in the lock. Shared by `add` and
 * `upgrade`. Nothing is changed until the user agrees; a failure leaves the old install.
 */
import { join, relative } from "../../core/path.ts";
import { HandoffError, usageError } from "../../core/errors.ts";
import { confirm } from "../../core/ask.ts";
import { errLine } from "../../core/output.ts";
import { tildePath } from "../../core/paths.ts";
import {
  type Manifest,
  MANIFEST_FILE,
  ManifestError,
  parseManifest,
} from "../../core/plugin/manifest.ts";
import { writableByOthers } from "../../core/plugin/trust.ts";
import { copyFolder, type LockEntry, readLock, writeLock } from "../../core/plugin/lock.ts";
import { hashTree, treeDigest } from "../../core/plugin/digest.ts";
import type { Registry } from "../../core/registry.ts";
import type { Fetched } from "./source.ts";
import { consentText } from "./describe.ts";

/** `import … from "x"`, `export … from "x"`, `import "x"`, `import("x")`. */
const IMPORT =
  /(?:import|export)\s[^"'`;]*?from\s*["']([^"']+)["']|import\(\s*["'`]([^"'`]+)["'`]\s*[,)]|import\s+["']([^"']+)["']/g;

/**
 * What a module plugin imports that a compiled handoff cannot load: anything but a file
 * of its own (`./x.js`) or a runtime built-in (`node:fs`). Pure.
 */
export function foreignImports(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec.startsWith("./") || spec.startsWith("../") || spec.startsWith("node:")) continue;
    found.push(spec);
  }
  return [...new Set(found)];
}

/** Reads and checks `handoff-plugin.json` and the entry it names. */
export function readPluginFolder(dir: string): Manifest {
  const file = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch {
    throw usageError(
      `${tildePath(dir)} has no ${MANIFEST_FILE}`,
      "a plugin's folder holds a manifest; `handoff plugin new NAME` makes one",
    );
  }
  let m: Manifest;
  try {
    m = parseManifest(text);
  } catch (e) {
    if (e instanceof ManifestError) throw usageError(`${tildePath(file)}: ${e.message}`);
    throw e;
  }
  const entry = join(dir, m.entry);
  let st: Deno.FileInfo;
  try {
    st = Deno.statSync(entry);
  } catch {
    throw usageError(`${tildePath(file)}: entry ${m.entry} does not exist`);
  }
  if (!st.isFile) throw usageError(`${tildePath(file)}: entry ${m.entry} is not a file`);
  if (m.kind === "exec" && ((st.mode ?? 0o755) & 0o111) === 0) {
    throw usageError(`${tildePath(entry)} is not executable`, `chmod +x ${entry}`);
  }
  if (m.kind === "module") {
    if (!/\.(m?js|ts)$/.test(m.entry)) {
      throw usageError(`${tildePath(file)}: a module entry is a .js, .mjs or .ts file`);
    }
    for (const code of codeFiles(dir)) {
      const foreign = foreignImports(Deno.readTextFileSync(join(dir, code)));
      if (foreign.length) {
        throw usageError(
          `${code} imports ${foreign.slice(0, 3).join(", ")}: a module plugin must be one ` +
            "self-contained module (a compiled handoff cannot fetch npm:, jsr: or https: imports)",
          "bundle it first (`handoff plugin build`), or make it an exec plugin",
        );
      }
    }
  }
  return m;
}

function codeFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string) => {
    for (const e of Deno.readDirSync(abs)) {
      if (e.name === ".git" || e.name === "node_modules") continue;
      const p = join(abs, e.name);
      if (e.isDirectory) walk(p);
      else if (/\.(m?js|ts|tsx)$/.test(e.name)) out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

/** What stops this plugin from registering next to the others; null when nothing does. */
export function clash(m: Manifest, registry: Registry): string | null {
  const known = registry.known().find((k) => k.name === m.name);
  if (known?.origin === "builtin") return `"${m.name}" is a first-party plugin's name`;
  const mine = (name: string) => registry.plugins.find((p) => p.name === name);
  for (const b of m.provides.backends) {
    const owner = registry.plugins.find((p) => p.backends?.some((x) => x.type === b.type));
    if (owner && owner !== mine(m.name)) return `backend type "${b.type}" belongs to ${owner.name}`;
  }
  for (const c of m.provides.commands) {
    const owner = registry.plugins.find((p) => p.commands?.some((x) => x.name === c.name));
    if (owner && owner !== mine(m.name)) return `command "${c.name}" belongs to ${owner.name}`;
  }
  for (const t of m.provides.transports) {
    const owner = registry.plugins.find((p) => p.transports?.some((x) => x.name === t));
    if (owner && owner !== mine(m.name)) return `transport "${t}" belongs to ${owner.name}`;
  }
  return null;
}

export interface InstallOptions {
  home: string;
  /** On upgrade: the name the plugin had (a source that now names another is refused). */
  expectName?: string;
  source: string;
  fetched: Fetched;
  pinned: string | null;
  yes: boolean;
  registry: Registry;
}

/** Copies a tree of regular files (no links, no .git), 0600 files and 0700 folders. */
function copyTree(from: string, to: string): void {
  Deno.mkdirSync(to, { recursive: true, mode: 0o700 });
  for (const e of Deno.readDirSync(from)) {
    if (e.name === ".git") continue;
    const src = join(from, e.name);
    const dst = join(to, e.name);
    if (e.isDirectory) copyTree(src, dst);
    else if (e.isFile) {
      Deno.copyFileSync(src, dst);
      const mode = Deno.statSync(src).mode ?? 0o600;
      Deno.chmodSync(dst, mode & 0o111 ? 0o700 : 0o600);
    }
  }
}

export function removeIfThere(path: string): void {
  try {
    Deno.removeSync(path, { recursive: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/** Installs (or replaces) the plugin; returns its lock entry. Throws before any change. */
export async function install(o: InstallOptions): Promise<LockEntry> {
  const m = readPluginFolder(o.fetched.dir);
  if (o.expectName && m.name !== o.expectName) {
    throw usageError(
      `${o.source} now holds the plugin "${m.name}", not "${o.expectName}"`,
      `to switch: handoff plugin remove ${o.expectName}, then handoff plugin add ${o.source}`,
    );
  }
  if (o.fetched.linked) {
    const loose = writableByOthers(o.fetched.dir, m.entry);
    if (loose) {
      throw usageError(
        `cannot link ${m.name}: ${loose}, so another user could change the code handoff runs as you`,
        "chmod go-w that path (and make it yours), then add it again",
      );
    }
  }
  const lock = readLock(o.home);
  const previous = lock.plugins[m.name];
  const problem = clash(m, o.registry);
  if (problem) throw usageError(`cannot add ${m.name}: ${problem}`);
  const copy = copyFolder(o.home, m.name)!; // a checked manifest's name is a plugin name
  const dest = o.fetched.linked ? o.fetched.dir : copy;
  // The hashes of what will be installed: the consent covers exactly these files.
  const files = o.fetched.linked ? {} : hashTree(o.fetched.dir);
  const digest = o.fetched.linked ? `linked:${o.fetched.dir}` : treeDigest(files);
  for (
    const line of consentText(m, {
      source: o.source,
      dest,
      fetchedDir: o.fetched.dir,
      files,
      digest,
      linked: o.fetched.linked,
      previous,
    })
  ) {
    errLine(line);
  }
  if (!o.yes) {
    if (!Deno.stdin.isTerminal()) {
      throw usageError(
        `${m.name} was not installed: agreeing to run it needs a terminal`,
        "pass --yes to agree (after reading what it runs, above)",
      );
    }
    if (!(await confirm(`Install ${m.name}?`))) {
      throw new HandoffError(`${m.name} was not installed`);
    }
  }
  if (!o.fetched.linked) {
    const staged = `${dest}.new-${Deno.pid}`;
    removeIfThere(staged);
    copyTree(o.fetched.dir, staged);
    // What was copied is what was hashed (a file changing meanwhile is caught here).
    if (treeDigest(hashTree(staged)) !== digest) {
      Deno.removeSync(staged, { recursive: true });
      throw new HandoffError(
        `${m.name}'s files changed while it was being installed: nothing changed`,
      );
    }
    removeIfThere(dest);
    Deno.renameSync(staged, dest);
  } else if (previous && !previous.linked) {
    // The copy it replaces (never the folder being linked).
    if (previous.path === copy && copy !== o.fetched.dir) removeIfThere(copy);
  }
  const now = new Date().toISOString();
  const entry: LockEntry = {
    source: o.source,
    sourceKind: o.fetched.kind,
    path: dest,
    linked: o.fetched.linked,
    resolved: o.fetched.resolved,
    pinned: o.pinned,
    files,
    manifest: m,
    consent: { at: now, digest, by: o.yes ? "--yes" : "prompt" },
    installedAt: previous?.installedAt ?? now,
  };
  // Re-read: another `plugin` command may have written the lock meanwhile.
  const fresh = readLock(o.home);
  fresh.plugins[m.name] = entry;
  writeLock(o.home, fresh);
  return entry;
}

/**
 * `$HANDOFF_HOME/plugins/lock.json`: every installed plugin (where it came from, what it
 * resolved to, the sha256 of each file the user consented to, its manifest) and which
 * plugins, first-party ones included, are disabled. Read on every start-up that needs
 * plugins, so it is one small file; written atomically, 0600.
 */
import { HandoffError } from "../errors.ts";
import { writeFileAtomic } from "../files.ts";
import { ensurePrivateDir, lockPath, pluginsDir } from "../paths.ts";
import { isPluginName, type Manifest, ManifestError, parseManifest } from "./manifest.ts";
import { join } from "../path.ts";

export type SourceKind = "dir" | "git" | "github" | "npm" | "tarball";

export interface LockEntry {
  /** What the user typed (`./x`, `file:///…/x.git`, `npm:pkg@1`, …). */
  source: string;
  sourceKind: SourceKind;
  /** The installed folder: a link to the user's own directory, or a copy under plugins/. */
  path: string;
  linked: boolean;
  /** The commit, npm version or tarball sha256 the source resolved to. */
  resolved: string | null;
  /** A git ref or npm version the user pinned: `upgrade` leaves it alone without --force. */
  pinned: string | null;
  /** sha256 of every installed file (relative path → hex); empty for a linked directory. */
  files: Record<string, string>;
  manifest: Manifest;
  /** When the user agreed to run this code, and to which files (their combined digest). */
  consent: { at: string; digest: string; by: "prompt" | "--yes" };
  installedAt: string;
}

export interface Lock {
  lockVersion: 1;
  plugins: Record<string, LockEntry>;
  /** Names of disabled plugins, first-party included. */
  disabled: string[];
  /**
   * Entries this handoff cannot read (written by a newer one, or edited by hand): skipped
   * at load with a warning, written back as they were, and removable by name.
   */
  unreadable: Record<string, { raw: unknown; problem: string }>;
}

export { lockPath, pluginsDir } from "../paths.ts";

/**
 * Where a copied plugin lives: `plugins/<name>/`, the only folder handoff ever deletes for
 * one (never a path a lock entry names). Null for a name that is no plugin name (a
 * hand-edited lock's key), which must not become a path.
 */
export function copyFolder(home: string, name: string): string | null {
  return isPluginName(name) ? join(pluginsDir(home), name) : null;
}

export function emptyLock(): Lock {
  return { lockVersion: 1, plugins: byName(), disabled: [], unreadable: byName() };
}

/** A map by plugin name with no prototype: `constructor` is a name, not Object's. */
function byName<T>(): Record<string, T> {
  return Object.create(null);
}

/** The lock, or an empty one when nothing was ever installed. A damaged lock is an error. */
export function readLock(home: string): Lock {
  const file = lockPath(home);
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return emptyLock();
    throw new HandoffError(`cannot read ${file}: ${(e as Error).message}`);
  }
  return parseLock(text, file);
}

/** Pure: the lock file's text → the lock, each entry's manifest checked again. */
export function parseLock(text: string, file: string): Lock {
  const damaged = (what: string) =>
    new HandoffError(
      `${file} is damaged: ${what}`,
      1,
      "fix or delete it, then add the plugins again (handoff plugin add …); " +
        "nothing else under that folder is touched",
    );
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw damaged((e as Error).message);
  }
  const o = j as Partial<Lock> | null;
  if (!o || typeof o !== "object" || o.lockVersion !== 1 || typeof o.plugins !== "object") {
    throw damaged("not a lock file this handoff writes (lockVersion 1)");
  }
  // One bad entry costs that plugin, not every other one.
  const plugins = byName<LockEntry>();
  const unreadable: Lock["unreadable"] = byName();
  for (const [name, entry] of Object.entries(o.plugins ?? {})) {
    const problem = entryProblem(name, entry);
    if (problem) unreadable[name] = { raw: entry, problem };
    else plugins[name] = entry;
  }
  const disabled = Array.isArray(o.disabled)
    ? o.disabled.filter((d): d is string => typeof d === "string")
    : [];
  return { lockVersion: 1, plugins, disabled, unreadable };
}

function entryProblem(name: string, entry: LockEntry | null): string | null {
  if (!entry || typeof entry !== "object" || typeof entry.path !== "string") {
    return "it has no path";
  }
  // The consent check trusts these: a hand-edited `linked: "no"` must not skip it.
  if (typeof entry.linked !== "boolean") return "its linked is not true or false";
  if (typeof entry.source !== "string") return "its source is not text";
  if (!entry.files || typeof entry.files !== "object") return "it lists no files";
  if (typeof entry.consent?.digest !== "string") return "it records no consent";
  try {
    const m = parseManifest(JSON.stringify(entry.manifest));
    if (m.name !== name) return `its manifest names "${m.name}"`;
  } catch (e) {
    if (e instanceof ManifestError) return `its manifest's ${e.message}`;
    throw e;
  }
  return null;
}

export function writeLock(home: string, lock: Lock): void {
  ensurePrivateDir(pluginsDir(home));
  const raw = Object.fromEntries(Object.entries(lock.unreadable).map(([n, u]) => [n, u.raw]));
  const text = JSON.stringify(
    { lockVersion: 1, plugins: { ...raw, ...lock.plugins }, disabled: lock.disabled },
    null,
    2,
  );
  writeFileAtomic(lockPath(home), text + "\n", 0o600);
}

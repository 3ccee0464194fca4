/**
 * The sha256 of a plugin's files: what `plugin add` records, what a consent covers, and
 * what `plugin verify` and every load of an installed plugin compare against. Imported
 * only when a plugin's code is about to run (node:crypto costs start-up time).
 */
import { createHash } from "node:crypto";
import { join, relative } from "../path.ts";
import { HandoffError } from "../errors.ts";

/** Folders a plugin's digest leaves out: version control and caches, not code that runs. */
const SKIP_DIRS = new Set([".git", ".hg", ".svn"]);
/** A plugin is small; a tree bigger than this is refused rather than hashed for ever. */
const MAX_FILES = 2000;
const MAX_BYTES = 64 << 20;

/** sha256 of every regular file under `dir` (symlinks are refused: they could point anywhere). */
export function hashTree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  let count = 0;
  let bytes = 0;
  const walk = (abs: string) => {
    const entries = [...Deno.readDirSync(abs)].sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) {
      const path = join(abs, e.name);
      const rel = relative(dir, path);
      if (e.isDirectory) {
        if (!SKIP_DIRS.has(e.name)) walk(path);
      } else if (e.isSymlink) {
        throw new HandoffError(
          `${rel} is a symbolic link: an installed plugin holds only regular files`,
        );
      } else if (e.isFile) {
        const data = Deno.readFileSync(path);
        bytes += data.length;
        if (++count > MAX_FILES || bytes > MAX_BYTES) {
          throw new HandoffError(
            `the plugin holds more than ${MAX_FILES} files or ${MAX_BYTES >> 20} MiB`,
          );
        }
        files[rel] = createHash("sha256").update(data).digest("hex");
      }
    }
  };
  walk(dir);
  return files;
}

/** One digest for a set of file hashes (what a consent is given to). */
export function treeDigest(files: Record<string, string>): string {
  const h = createHash("sha256");
  for (const rel of Object.keys(files).sort()) h.update(`${rel}\0${files[rel]}\n`);
  return h.digest("hex");
}

/** What differs between the recorded hashes and the files now on disk. */
export function changedFiles(
  recorded: Record<string, string>,
  now: Record<string, string>,
): string[] {
  const changed: string[] = [];
  for (const [rel, sha] of Object.entries(recorded)) {
    if (now[rel] === undefined) changed.push(`${rel} (removed)`);
    else if (now[rel] !== sha) changed.push(`${rel} (changed)`);
  }
  for (const rel of Object.keys(now)) if (recorded[rel] === undefined) changed.push(`${rel} (new)`);
  return changed;
}

/**
 * A copied plugin's files against the ones consented to: null while they match, else what
 * differs (possibly nothing nameable, for a hand-edited lock). Throws when they cannot be read.
 */
export function changedSinceConsent(
  entry: { path: string; files: Record<string, string>; consent: { digest: string } },
): string[] | null {
  const now = hashTree(entry.path);
  return treeDigest(now) === entry.consent.digest ? null : changedFiles(entry.files, now);
}

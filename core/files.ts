/** Small file helpers shared by everything that edits a user's files in place. */
import { basename, dirname, join } from "./path.ts";

/** The file's text, or null when it does not exist (any other error is thrown). */
export function readTextOrNull(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/**
 * Replaces a file in one rename, so a reader never sees half of it and a crash leaves the
 * old file. The permission bits are `mode`, else the old file's, else 0600. A symlink
 * at `path` (an older install's) is replaced by a regular file.
 */
export function writeFileAtomic(path: string, text: string, mode?: number): void {
  if (mode === undefined) {
    try {
      mode = (Deno.lstatSync(path).isSymlink ? 0o600 : (Deno.statSync(path).mode ?? 0o600)) &
        0o777;
    } catch {
      mode = 0o600;
    }
  }
  const dir = dirname(path);
  Deno.mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.handoff-${Deno.pid}`);
  try {
    Deno.writeTextFileSync(tmp, text, { mode });
    Deno.chmodSync(tmp, mode);
    Deno.renameSync(tmp, path);
  } catch (e) {
    try {
      Deno.removeSync(tmp);
    } catch { /* never written */ }
    throw e;
  }
}

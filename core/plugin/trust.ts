/**
 * Whether someone else could change a linked plugin's code. handoff runs a plugin as you
 * (from `notify` and the delivery process too), so a linked folder, entry or manifest that
 * another user may write, or replace through a parent folder, would let them run code as
 * you. The rule is OpenSSH's for key files (StrictModes): owned by you or root, not
 * writable by group or others; a parent folder writable by others only with the sticky bit
 * (as /tmp), where others cannot replace what is yours. Group-writable is allowed for a
 * private group of yours alone (umask 002). A copied plugin lives under
 * $HANDOFF_HOME/plugins (0700) and its files are checked against the lock instead.
 */
import { dirname, join } from "../path.ts";
import { MANIFEST_FILE } from "./manifest.ts";

/**
 * What another user could change of the plugin in `folder` (its manifest, its `entry`, the
 * folder and the folders above it), as a sentence; null when nothing. Unix only.
 */
export function writableByOthers(
  folder: string,
  entry: string,
  uid: number | null = Deno.uid(),
): string | null {
  if (uid === null) return null; // Windows: no such modes
  let real: string;
  try {
    real = Deno.realPathSync(folder);
  } catch {
    return null; // a missing folder is reported where it is read
  }
  const own = [join(real, MANIFEST_FILE), join(real, entry), real];
  for (const path of own) {
    const problem = loose(path, uid, false);
    if (problem) return problem;
  }
  for (let dir = dirname(real);; dir = dirname(dir)) {
    const problem = loose(dir, uid, true);
    if (problem) return problem;
    if (dirname(dir) === dir) return null;
  }
}

function loose(path: string, uid: number, parent: boolean): string | null {
  let st: Deno.FileInfo;
  try {
    st = Deno.statSync(path);
  } catch {
    return null; // not there: the load says so
  }
  if (st.uid !== null && st.uid !== uid && st.uid !== 0) {
    return `${path} belongs to another user (uid ${st.uid})`;
  }
  const mode = st.mode ?? 0;
  if ((mode & 0o022) === 0 || (parent && (mode & 0o1000) !== 0)) return null;
  // Group-writable under umask 002 is safe when the group is the owner's private group.
  if ((mode & 0o002) === 0 && st.gid !== null && privateGroupOf(st.gid, st.uid ?? uid)) {
    return null;
  }
  const who = mode & 0o002 ? "anyone" : "its group";
  return `${path} can be written by ${who} (mode ${(mode & 0o7777).toString(8).padStart(4, "0")})`;
}

/**
 * True when `gid` is a user private group (Debian's scheme, where umask 002 is the
 * default): the same number as the owner's uid, and no other members in /etc/group.
 */
function privateGroupOf(gid: number, owner: number): boolean {
  if (gid !== owner) return false;
  let text: string;
  try {
    text = Deno.readTextFileSync("/etc/group");
  } catch {
    return false;
  }
  const line = text.split("\n").find((l) => l.split(":")[2] === String(gid));
  return line !== undefined && (line.split(":")[3] ?? "").trim() === "";
}

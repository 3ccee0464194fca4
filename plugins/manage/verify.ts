/** `handoff plugin verify [name]`: do the installed files still match what was agreed to? */
import { notFound } from "../../core/errors.ts";
import { errLine, escapeControls, jsonVisible, outLine } from "../../core/output.ts";
import { handoffHome } from "../../core/paths.ts";
import { type LockEntry, readLock } from "../../core/plugin/lock.ts";
import { changedSinceConsent } from "../../core/plugin/digest.ts";
import type { CommandContext } from "../../core/registry.ts";
import { readPluginFolder } from "./install.ts";
import { MANIFEST_FILE } from "../../core/plugin/manifest.ts";
import { writableByOthers } from "../../core/plugin/trust.ts";

/** True when a linked folder's manifest no longer says what the lock recorded. */
function linkedManifestChanged(e: LockEntry): boolean {
  try {
    return JSON.stringify(readPluginFolder(e.path)) !== JSON.stringify(e.manifest);
  } catch {
    return true; // unreadable or invalid now: also not what was added
  }
}

export function verify(
  _ctx: CommandContext,
  name: string | undefined,
  f: { json?: boolean },
): number {
  const lock = readLock(handoffHome());
  const names = name === undefined
    ? [...Object.keys(lock.plugins), ...Object.keys(lock.unreadable)]
    : [name];
  if (name !== undefined && !lock.plugins[name] && !lock.unreadable[name]) {
    throw notFound(`no installed plugin named "${name}"`);
  }
  let bad = 0;
  let stale = 0;
  let exposed = 0;
  for (const n of names) {
    const e = lock.plugins[n];
    let state: "ok" | "changed" | "linked" | "stale" | "exposed" | "unreadable" = "ok";
    let changed: string[] = [];
    if (!e) {
      state = "unreadable";
      changed = [`its lock entry: ${lock.unreadable[n].problem}`];
    } else if (e.linked) {
      // Code edits in a linked folder take effect at once; what it provides is read at add.
      const loose = writableByOthers(e.path, e.manifest.entry);
      state = loose ? "exposed" : linkedManifestChanged(e) ? "stale" : "linked";
      if (loose) changed = [loose];
      if (state === "stale") changed = [MANIFEST_FILE];
    } else {
      try {
        const differs = changedSinceConsent(e);
        if (differs) {
          state = "changed";
          changed = differs;
        }
      } catch (err) {
        state = "unreadable";
        changed = [(err as Error).message];
      }
    }
    if (state === "changed" || state === "unreadable") bad++;
    if (state === "exposed") exposed++;
    if (state === "stale") stale++;
    if (f.json) outLine(jsonVisible({ name: n, state, changed }));
    else {
      // A lock key and a plugin's files' names are not ours: shown escaped.
      outLine(escapeControls(
        `${n}: ${
          state === "ok"
            ? "ok (matches what you agreed to)"
            : state === "linked"
            ? `linked to ${e.path} (yours alone; its files are not hashed)`
            : state === "exposed"
            ? `linked to ${e.path}: REFUSED: ${changed[0]}, so another user could change ` +
              "the code handoff runs as you (chmod go-w that path)"
            : state === "stale"
            ? `linked to ${e.path}; its ${MANIFEST_FILE} changed since it was added: ` +
              `handoff plugin add ${e.path} takes the new one`
            : `${state.toUpperCase()}: ${changed.join(", ")}`
        }`,
      ));
    }
  }
  if (names.length === 0) errLine("no plugins installed");
  if (bad) {
    errLine(
      `${bad} plugin(s) changed: handoff refuses to run them until you remove them, or add ` +
        "them again from their source (plugin info shows it), which installs that source's files",
    );
  }
  if (exposed) {
    errLine(
      `${exposed} linked plugin(s) can be changed by another user: handoff refuses to run ` +
        "them until that path is yours alone",
    );
  }
  if (stale) {
    errLine(
      `${stale} linked plugin(s) changed their ${MANIFEST_FILE}: they still run, with what ` +
        "the manifest said at add, until you add their folder again",
    );
  }
  return bad || stale || exposed ? 1 : 0;
}

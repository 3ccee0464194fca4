// Doctor checks for settings around the gate that can widen what a phone can do: sshd
// letting the client set environment variables, a tmux socket in a directory another
// user can write, and tmux versions whose read-only clients may enter copy mode.

import { dirname } from "../../core/path.ts";
import type { Db } from "../../core/store.ts";
import { getSetting } from "../../core/store.ts";
import { SETTING } from "../gate/settings.ts";
import type { Check } from "../../core/transport.ts";

/** The tmux socket phones use (`--tmux-socket`) must sit where only this user can write. */
export function checkTmuxSocketDir(db: Db): Check | null {
  const socket = getSetting(db, SETTING.tmuxSocket);
  if (!socket) return null;
  const base = { id: "tmux-socket", label: "tmux socket" };
  const dir = dirname(socket);
  try {
    const st = Deno.statSync(dir);
    const mode = (st.mode ?? 0) & 0o7777;
    const others = (mode & 0o022) !== 0 && (mode & 0o1000) === 0;
    const foreign = st.uid !== null && st.uid !== Deno.uid();
    if (others || foreign) {
      return {
        ...base,
        status: "warn",
        detail: `${dir} is ${mode.toString(8)}${foreign ? ` and owned by uid ${st.uid}` : ""}: ` +
          "another user could replace the socket and serve phones a tmux of their own",
        fix:
          `use a socket in a directory only you can write (chmod 700 ${dir}), or the default server`,
      };
    }
    return { ...base, status: "ok", detail: `${socket} (directory ${mode.toString(8)})` };
  } catch {
    return { ...base, status: "warn", detail: `${dir} does not exist`, fix: "handoff setup" };
  }
}

/** `tmux 3.7b` → [3, 7]; null when it cannot be told. */
export function parseTmuxVersion(text: string): [number, number] | null {
  const m = /tmux (?:next-)?(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/**
 * tmux 3.7 lets read-only clients enter copy mode: a read-only phone can then scroll the
 * history of the pane it watches, and the pane shows copy mode at the desk too until it
 * leaves. It still cannot type, paste or copy. Earlier versions refuse copy mode.
 */
export function checkTmuxReadOnly(versionText: string): Check {
  const base = { id: "tmux-read-only", label: "read-only phones" };
  const v = parseTmuxVersion(versionText);
  if (v && (v[0] > 3 || (v[0] === 3 && v[1] >= 7))) {
    return {
      ...base,
      status: "warn",
      detail: `${versionText}: read-only clients may enter copy mode, so a read-only phone ` +
        "can scroll back through the pane's history (and puts the pane in copy mode at the " +
        "desk too); it still cannot type, paste or copy",
      fix: "keep secrets out of the scrollback of sessions read-only phones may watch " +
        "(clear-history), or limit their patterns",
    };
  }
  return {
    ...base,
    status: "ok",
    detail: `${versionText || "tmux"}: read-only clients cannot type, paste or enter copy mode`,
  };
}

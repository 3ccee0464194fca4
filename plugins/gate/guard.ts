// `handoff attach-guard <attachment id>`: started by the gate, in a session of its own,
// just before it becomes a phone's tmux client. It lives as long as that client and ends
// it (a hang-up, as a lost terminal) as soon as the device may no longer have it: revoked,
// past its soft expiry, or its rights changed (read-only flag or session patterns). It
// wakes on every database write (the WAL watch the event stream uses), at the expiry
// instant, and every second, when it also checks on tmux that the client is where it may
// be: a scoped read/write client inside its patterns (behind the scope hooks), a
// read-only one in its own session, watching a session that still exists under an
// allowed name. When the client is gone it closes the attachment and removes its hooks.
//
// It fails closed: if anything goes wrong while the client lives (the database locked
// for too long, tmux unreachable), the client is hung up before the guard exits.
//
// No daemon: one small process per attached phone, gone with it.

import { ChangeWatcher } from "../../core/event_log.ts";
import { paths } from "../../core/paths.ts";
import { isSameProcess, killPid } from "../../core/proc.ts";
import { type Db, getSetting, openDb } from "../../core/store.ts";
import { noticeLogLine } from "./audit.ts";
import { appendAuditLine } from "./audit_file.ts";
import { type Attachment, attachmentById, deviceById, endAttachment } from "./devices_db.ts";
import { isoUtc } from "./expiry.ts";
import { sessionAllowed } from "./glob.ts";
import { attachmentVerdict, msUntilExpiry } from "./policy.ts";
import { SETTING } from "./settings.ts";
import { resolveTmux, tmux, type TmuxServer } from "../tmux/tmux.ts";
import { allowsEverything, chain } from "../tmux/scope.ts";

const TICK_MS = 1000;
/** How long a hung-up client gets before it is killed. */
const HANGUP_GRACE_MS = 1000;

function server(db: Db): TmuxServer | null {
  const bin = resolveTmux(getSetting(db, SETTING.tmuxPath));
  return bin ? { bin, socket: getSetting(db, SETTING.tmuxSocket) ?? null } : null;
}

/** Where tmux says the client is, and the name of the session it watches (null: gone). */
export interface Placement {
  clientSessionId: string | null;
  clientSessionName: string | null;
  watchedName: string | null;
}

/** Parses the output of placementArgs (pure). */
export function parsePlacement(text: string, tty: string, watchedId: string | null): Placement {
  const names = new Map<string, string>();
  let client: string | null = null;
  for (const line of text.split("\n")) {
    const f = line.split("\t");
    if (f[0] === "S" && f.length >= 3) names.set(f[1], f.slice(2).join("\t"));
    if (f[0] === "C" && f[1] === tty) client = f[2] ?? null;
  }
  return {
    clientSessionId: client,
    clientSessionName: client === null ? null : names.get(client) ?? null,
    watchedName: watchedId === null ? null : names.get(watchedId) ?? null,
  };
}

const PLACEMENT_ARGS = chain([
  ["list-clients", "-F", "C\t#{client_tty}\t#{session_id}"],
  ["list-sessions", "-F", "S\t#{session_id}\t#{session_name}"],
]);

/** Why the client is out of bounds on tmux's side; null while it is fine. */
export function placementVerdict(a: Attachment, p: Placement): string | null {
  const patterns = a.sessions ?? [];
  if (a.ownSessionId) {
    // Read-only: in its own session, which shows a session that still exists (allowed).
    if (p.clientSessionId !== null && p.clientSessionId !== a.ownSessionId) return "out_of_scope";
    if (a.sessionId !== null && p.watchedName === null) return "session_gone";
    if (p.watchedName !== null && !sessionAllowed(p.watchedName, patterns)) return "out_of_scope";
    return null;
  }
  if (allowsEverything(patterns)) return null;
  if (p.clientSessionName !== null && !sessionAllowed(p.clientSessionName, patterns)) {
    return "out_of_scope";
  }
  return null;
}

async function hangUp(a: Attachment): Promise<void> {
  if (!a.pid || !killPid(a.pid, "SIGHUP")) return;
  const deadline = Date.now() + HANGUP_GRACE_MS;
  while (Date.now() < deadline && isSameProcess(a.pid, a.pidStart)) {
    await new Promise((r) => setTimeout(r, 50));
  }
  if (isSameProcess(a.pid, a.pidStart)) killPid(a.pid, "SIGKILL");
}

/** Records the end (best effort: the client is already gone, whatever happens here). */
function recordEnd(db: Db, a: Attachment, why: string | null): void {
  try {
    endAttachment(db, a.id, isoUtc(Date.now()));
  } catch { /* the row stays open; the next gate's check of pids closes it */ }
  if (why === null) return;
  try {
    const device = deviceById(db, a.deviceId) ?? { fingerprint: "?", name: "?" };
    const cmd = `attach ${a.session}${a.window === null ? "" : ` ${a.window}`}`;
    appendAuditLine(paths().home, noticeLogLine(device, cmd, `ended:${why}`, new Date()));
  } catch { /* the log is not writable: the end still happened */ }
}

/** Guards one attachment until its client is gone; resolves with the exit code. */
export async function guardAttachment(attachmentId: number, dbFile = paths().db): Promise<number> {
  const db = openDb(dbFile);
  const watcher = new ChangeWatcher(dbFile);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  Deno.addSignalListener("SIGTERM", onSignal);
  let tmuxServer: TmuxServer | null = null;
  let last: Attachment | null = null;
  let own: string | null = null;
  let armed = false;
  let failure: string | null = null;
  try {
    tmuxServer = server(db);
    while (!stop.signal.aborted) {
      const a = attachmentById(db, attachmentId);
      if (!a || a.endedAt !== null) break;
      last = a;
      own = a.ownSessionId;
      if (!isSameProcess(a.pid, a.pidStart)) {
        recordEnd(db, a, null);
        last = null;
        break;
      }
      const device = deviceById(db, a.deviceId);
      let why: string | null = attachmentVerdict(device, a, new Date());
      if (why === null && tmuxServer && a.tty) {
        const r = await tmux(tmuxServer, PLACEMENT_ARGS);
        if (r.code === 0) {
          const placed = parsePlacement(r.stdout, a.tty, a.sessionId);
          why = placementVerdict(a, placed);
          // The phone is in its own session now: from here on tmux removes it on detach
          // too (set before, it would have gone before the phone arrived).
          if (
            why === null && a.ownSessionId && placed.clientSessionId === a.ownSessionId && !armed
          ) {
            await tmux(tmuxServer, [
              "set-option",
              "-t",
              a.ownSessionId,
              "destroy-unattached",
              "on",
            ]);
            armed = true;
          }
        }
      }
      if (why !== null) {
        await hangUp(a);
        recordEnd(db, a, why);
        last = null;
        break;
      }
      const ms = Math.min(TICK_MS, msUntilExpiry(device!, new Date()) + 1);
      await watcher.wait(ms, stop.signal);
    }
  } catch (e) {
    failure = (e as Error)?.message ?? String(e);
  } finally {
    Deno.removeSignalListener("SIGTERM", onSignal);
    watcher.close();
    // Fail closed: a client this guard can no longer watch is hung up before it goes.
    if (last && isSameProcess(last.pid, last.pidStart)) {
      await hangUp(last);
      recordEnd(db, last, failure ? "guard_failed" : "guard_stopped");
    }
    if (tmuxServer) {
      const { applyScopeHooks } = await import("../tmux/scope_hooks.ts");
      await applyScopeHooks(tmuxServer, null, [attachmentId]).catch(() => {});
      // A read-only phone's own session goes with it (tmux also drops it on detach).
      if (own) await tmux(tmuxServer, ["kill-session", "-t", own]).catch(() => {});
    }
    db.close();
  }
  if (failure) console.error(`handoff attach-guard: ${failure}`);
  return failure ? 1 : 0;
}

/** Entry from plugins/hot.ts: `attach-guard <attachment id>`. */
export async function guardMain(args: string[]): Promise<number> {
  const id = Number(args[0]);
  if (args.length !== 1 || !Number.isInteger(id) || id <= 0) {
    console.error("usage: handoff attach-guard <attachment id> (started by the gate)");
    return 2;
  }
  try {
    return await guardAttachment(id);
  } catch (e) {
    console.error(`handoff attach-guard: ${(e as Error)?.message ?? e}`);
    return 1;
  }
}

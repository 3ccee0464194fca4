// `handoff attach-guard <attachment id>`: started by the gate, in a session of its own,
// just before it becomes a phone's tmux client. It lives as long as that client and ends
// it (a hang-up, as a lost terminal) as soon as the device may no longer have it: revoked,
// past its soft expiry, or its rights changed (read-only flag or session patterns). It
// wakes on every database write (the WAL watch the event stream uses), at the expiry
// instant, and every second, when it also checks that the client is still alive and, for
// a scoped device, still inside its patterns (a second line behind the scope hooks).
// When the client is gone it closes the attachment and removes its scope hooks.
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
import { allowsEverything } from "../tmux/scope.ts";

const TICK_MS = 1000;
/** How long a hung-up client gets before it is killed. */
const HANGUP_GRACE_MS = 1000;

function server(db: Db): TmuxServer | null {
  const bin = resolveTmux(getSetting(db, SETTING.tmuxPath));
  return bin ? { bin, socket: getSetting(db, SETTING.tmuxSocket) ?? null } : null;
}

/** The session the client shows now, or null when tmux cannot say. */
async function clientSession(s: TmuxServer, tty: string): Promise<string | null> {
  const r = await tmux(s, ["display-message", "-p", "-c", tty, "#{client_session}"]);
  return r.code === 0 ? r.stdout.replace(/\n$/, "") : null;
}

async function hangUp(a: Attachment): Promise<void> {
  if (!a.pid || !killPid(a.pid, "SIGHUP")) return;
  const deadline = Date.now() + HANGUP_GRACE_MS;
  while (Date.now() < deadline && isSameProcess(a.pid, a.pidStart)) {
    await new Promise((r) => setTimeout(r, 50));
  }
  if (isSameProcess(a.pid, a.pidStart)) killPid(a.pid, "SIGKILL");
}

/** Guards one attachment until its client is gone; resolves with the exit code. */
export async function guardAttachment(attachmentId: number, dbFile = paths().db): Promise<number> {
  const db = openDb(dbFile);
  const watcher = new ChangeWatcher(dbFile);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  Deno.addSignalListener("SIGTERM", onSignal);
  const tmuxServer = server(db);
  try {
    while (!stop.signal.aborted) {
      const a = attachmentById(db, attachmentId);
      if (!a || a.endedAt !== null) break;
      if (!isSameProcess(a.pid, a.pidStart)) {
        endAttachment(db, a.id, isoUtc(Date.now()));
        break;
      }
      const device = deviceById(db, a.deviceId);
      let why: string | null = attachmentVerdict(device, a, new Date());
      if (
        why === null && tmuxServer && a.tty && a.sessions && !allowsEverything(a.sessions)
      ) {
        const shown = await clientSession(tmuxServer, a.tty);
        if (shown !== null && !sessionAllowed(shown, a.sessions)) why = "out_of_scope";
      }
      if (why !== null) {
        endAttachment(db, a.id, isoUtc(Date.now()));
        if (device) {
          const cmd = `attach ${a.session}${a.window === null ? "" : ` ${a.window}`}`;
          appendAuditLine(paths().home, noticeLogLine(device, cmd, `ended:${why}`, new Date()));
        }
        await hangUp(a);
        break;
      }
      const ms = Math.min(TICK_MS, msUntilExpiry(device!, new Date()) + 1);
      await watcher.wait(ms, stop.signal);
    }
  } finally {
    Deno.removeSignalListener("SIGTERM", onSignal);
    watcher.close();
    if (tmuxServer) {
      const { applyScopeHooks } = await import("../tmux/scope_hooks.ts");
      await applyScopeHooks(tmuxServer, null, [attachmentId]).catch(() => {});
    }
    db.close();
  }
  return 0;
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

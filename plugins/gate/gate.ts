// `handoff gate <fingerprint>`: the forced command of every device key. sshd runs it with
// the client's request in SSH_ORIGINAL_COMMAND; the fingerprint comes from authorized_keys
// and is the only identity trusted. Replies are one line (`ok`, `verify:NNNNNN`,
// `requested`, `error:<code>`) or a listing; `attach` becomes the tmux client.
//
// Hot path: a phone calls it (1 + sessions) times every 5 s. It imports only what it needs
// (no commander, no yaml, no node:crypto unless pairing), opens the database once, and
// runs at most one tmux command for a listing.
//
// tmux is told session *ids* (`$3`), never names: tmux resolves a name target as a
// client's terminal (`pts/6`) before it honours `=`, so a name could reach the session
// someone else is attached to. Every name a phone sends is matched exactly against
// tmux's own listing and turned into an id first.

import { type Db, getSetting, openDb, setSetting, transaction } from "../../core/store.ts";
import { paths } from "../../core/paths.ts";
import { jsonVisible, out } from "../../core/output.ts";
import { isSameProcess, killPid, processStartTime } from "../../core/proc.ts";
import type { GateDevice, GateVerb, Registry } from "../../core/registry.ts";
import { accessLogLine, MAX_LOGGED_COMMAND, unknownDeviceLogLine } from "./audit.ts";
import { type GateRequest, parseGateCommand, splitVerb } from "./grammar.ts";
import { decide, type Decision, listReply, msUntilExpiry, streamVerdict } from "./policy.ts";
import { isoUtc } from "./expiry.ts";
import {
  type Attachment,
  deviceByFingerprint,
  deviceById,
  endAttachment,
  endStream,
  insertAttachment,
  liveNames,
  openAttachments,
  openStream,
  removeDevice,
  setAttachmentProcess,
  setOwnSession,
  type StoredDevice,
  uniqueName,
} from "./devices_db.ts";
import { appendAuditLine } from "./audit_file.ts";
import { seedImportDue } from "./seed_due.ts";
import { accessStore, limitValue, SETTING } from "./settings.ts";
import { noServer, resolveTmux, serverArgs, tmux, tmuxEnv, type TmuxServer } from "../tmux/tmux.ts";
import {
  idTarget,
  parseSessionIds,
  parseSessions,
  SESSION_FORMAT,
  SESSION_ID_FORMAT,
  WINDOW_FORMAT,
  windowsReply,
} from "../tmux/format.ts";
import { allowsEverything, chain, scopeHookCommands } from "../tmux/scope.ts";
import { noticeLogLine } from "./audit.ts";

const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

interface Outcome {
  device: StoredDevice | null;
  decision: Decision;
  /** Over its rate limit again: refused without a log line (the first refusal said so). */
  quiet?: boolean;
}

/** The settings row counting calls of unknown keys in the current window. */
const UNKNOWN_RATE = "gate.unknown_calls";
/** Log lines for unknown keys per window, all of them together. */
export const UNKNOWN_LOG_LINES = 30;

/** Calls one device may make per RATE_WINDOW_S (a phone's polling makes a few a second). */
export const RATE_WINDOW_S = 10;

// Results after which the seed records the command as the device's last command: the
// status and expiry checks passed.
const BEFORE_DISPATCH = new Set([
  "denied:not_found",
  "denied:revoked",
  "denied:pending",
  "denied:pending_expired",
  "denied:soft_expired",
]);

/**
 * SSH_ORIGINAL_COMMAND as text. Deno refuses an environment value that is not UTF-8; the
 * bytes are then read from /proc (Linux) and decoded with U+FFFD for the invalid ones,
 * so the call is still answered and logged.
 */
function originalCommand(
  env: (name: string) => string | undefined,
): { raw: string | undefined; valid: boolean } {
  try {
    return { raw: env("SSH_ORIGINAL_COMMAND"), valid: true };
  } catch {
    let text = "\uFFFD";
    try {
      const all = Deno.readFileSync("/proc/self/environ");
      const prefix = new TextEncoder().encode("SSH_ORIGINAL_COMMAND=");
      let start = 0;
      for (let i = 0; i <= all.length; i++) {
        if (i < all.length && all[i] !== 0) continue;
        const entry = all.subarray(start, i);
        if (prefix.every((b, k) => entry[k] === b)) {
          text = new TextDecoder().decode(entry.subarray(prefix.length));
          break;
        }
        start = i + 1;
      }
    } catch { /* not Linux: the bytes are unknown, the call is still refused */ }
    return { raw: text, valid: false };
  }
}

/** The client's address from sshd's `SSH_CONNECTION` (`client port server port`). */
export function clientAddress(sshConnection: string | undefined): string | null {
  const first = sshConnection?.trim().split(/\s+/)[0] ?? "";
  return /^[0-9A-Fa-f.:]{2,45}(%[\w.-]{1,32})?$/.test(first) ? first : null;
}

/** Looks the device up, decides, and records the call, all in one write transaction. */
function decideAndRecord(
  db: Db,
  fingerprint: string,
  raw: string | undefined,
  req: GateRequest,
  now: Date,
  source: string | null,
): Outcome {
  return transaction(db, () => {
    const device = deviceByFingerprint(db, fingerprint);
    let decision = decide(device, req, now);
    if (device === null) {
      // Keys no device has (a leftover line, a revoked device's): answered alike, but their
      // log lines share one budget per window, so they cannot push the audit trail out.
      const window = Math.floor(now.getTime() / 1000 / RATE_WINDOW_S);
      const seen = JSON.parse(getSetting(db, UNKNOWN_RATE) ?? "{}") as { w?: number; n?: number };
      const n = seen.w === window ? (seen.n ?? 0) + 1 : 1;
      setSetting(db, UNKNOWN_RATE, JSON.stringify({ w: window, n }));
      return { device, decision, quiet: n > UNKNOWN_LOG_LINES };
    }
    const ts = isoUtc(now.getTime());
    db.prepare("UPDATE devices SET last_seen = ? WHERE id = ?").run(ts, device.id);
    // A flood (a script with the key) is cut off, and logs one line per window, so it can
    // neither exhaust the machine nor push the audit trail out of the rotated log.
    const window = Math.floor(now.getTime() / 1000 / RATE_WINDOW_S);
    const count = db.prepare(
      `UPDATE devices SET rate_count = CASE WHEN rate_window = ? THEN rate_count + 1 ELSE 1 END,
         rate_window = ? WHERE id = ? RETURNING rate_count`,
    ).get(window, window, device.id) as { rate_count: number };
    const limit = limitValue(SETTING.maxCallsPerWindow, getSetting(db, SETTING.maxCallsPerWindow));
    if (count.rate_count > limit) {
      return {
        device,
        decision: { allow: false, reply: "error:too_many", result: "denied:rate_limited" },
        quiet: count.rate_count > limit + 1,
      };
    }
    if (decision.allow || !BEFORE_DISPATCH.has(decision.result)) {
      const cmd = Array.from(raw || "list").slice(0, MAX_LOGGED_COMMAND).join("");
      db.prepare("UPDATE devices SET last_command = ? WHERE id = ?").run(cmd, device.id);
    }
    if (decision.allow && req.verb === "pair") {
      // Two phones answering one QR: whoever saw the QR (over a shoulder, in a watched
      // pane) is racing the owner. Neither may have the device.
      if (device.pairSource !== null && source !== null && source !== device.pairSource) {
        removeDevice(db, device.id, ts, "pair_conflict");
        decision = { allow: false, reply: "error:denied", result: "denied:pair_conflict" };
        return { device, decision };
      }
      // The name the phone reports replaces the placeholder unless the user chose one;
      // it stays unique among live devices so `devices rm NAME` is never ambiguous.
      const reported = req.name === "" ? null : req.name;
      const name = reported && !device.nameLocked
        ? uniqueName(reported, liveNames(db, device.id))
        : device.name;
      db.prepare(
        "UPDATE devices SET name = ?, reported_name = coalesce(?, reported_name), " +
          "pair_requested_at = ?, pair_source = coalesce(pair_source, ?) WHERE id = ?",
      ).run(name, reported, ts, source, device.id);
    }
    if (decision.allow && req.verb === "renew") {
      db.prepare("UPDATE devices SET renewal_requested = 1 WHERE id = ?").run(device.id);
    }
    return { device: deviceByFingerprint(db, fingerprint), decision };
  });
}

function tmuxServer(db: Db): TmuxServer | null {
  const bin = resolveTmux(getSetting(db, SETTING.tmuxPath));
  return bin ? { bin, socket: getSetting(db, SETTING.tmuxSocket) ?? null } : null;
}

function gateDevice(d: StoredDevice): GateDevice {
  return {
    id: d.id,
    name: d.name,
    fingerprint: d.fingerprint,
    sessions: d.sessions,
    readOnly: d.readOnly,
  };
}

export interface GateOptions {
  /** The plugin registry, loaded only for `subscribe` (it costs start-up time). */
  registry: () => Promise<Registry>;
  env?: (name: string) => string | undefined;
  now?: () => Date;
}

/** Runs one gate call; resolves with the exit code. */
export async function runGate(args: string[], opts: GateOptions): Promise<number> {
  const env = opts.env ?? ((n: string) => Deno.env.get(n));
  const startedAt = opts.now?.() ?? new Date();
  const fingerprint = args.length === 1 ? args[0] : "";
  const { raw, valid } = originalCommand(env);
  // A command that is not UTF-8 can name nothing the gate serves: refused like any
  // unknown command (one error line, one audit line with the bytes shown as U+FFFD).
  const req: GateRequest = valid ? parseGateCommand(raw) : { verb: "unknown", raw: raw ?? "" };
  const home = paths();

  if (!FINGERPRINT.test(fingerprint)) {
    appendAuditLine(home.home, unknownDeviceLogLine(args.join(" "), raw, startedAt));
    out("error:not_found\n");
    return 1;
  }

  // No event sink installed: `subscribe` is an unknown command, as on the seed.
  const subscribe = req.verb === "subscribe" ? (await opts.registry()).subscriber() : undefined;
  let effective: GateRequest = req.verb === "subscribe" && !subscribe
    ? { verb: "unknown", raw: raw ?? "" }
    : req;
  // A verb the gate does not know may be a plugin's (`approve`, `deny`).
  let pluginVerb: GateVerb | undefined;
  if (req.verb === "unknown" && valid) {
    const { name, args } = splitVerb(req.raw);
    pluginVerb = (await opts.registry()).gateVerb(name);
    if (pluginVerb) effective = { verb: "plugin", name, args };
  }

  const db = openDb(home.db);
  // A home of the original phone tool: its phones become handoff devices on the first call.
  if (seedImportDue(db, home.home)) await importSeedQuietly(db, home.home, opts);
  let closed = false;
  const close = () => {
    if (!closed) db.close();
    closed = true;
  };
  try {
    const source = clientAddress(env("SSH_CONNECTION"));
    const { device, decision, quiet } = decideAndRecord(
      db,
      fingerprint,
      raw,
      effective,
      startedAt,
      source,
    );
    const log = (result?: string) => {
      const line = device
        ? accessLogLine(device, raw, effective, decision, startedAt, device.name)!
        : unknownDeviceLogLine(fingerprint, raw, startedAt);
      appendAuditLine(home.home, result ? withResult(line, result) : line);
    };
    if (quiet) {
      out(device ? "error:too_many\n" : "error:not_found\n");
      return 1;
    }
    if (!decision.allow || device === null) {
      if (!decision.allow && decision.result === "denied:pair_conflict" && device) {
        // The transport (sshd) must refuse the key from now on, for both phones.
        const access = await (await opts.registry()).access();
        if (access) {
          const store = device.authorizedKeys ?? getSetting(db, SETTING.authorizedKeys) ??
            access.defaultStore();
          transaction(db, () => access.remove(store, device.fingerprint));
        }
      }
      log();
      out(decision.allow ? "error:not_found\n" : `${decision.reply}\n`);
      return 1;
    }
    switch (effective.verb) {
      case "pair": {
        const { verificationCode } = await import("./verification.ts");
        log();
        out(`verify:${verificationCode(device.fingerprint, device.nonce)}\n`);
        return 0;
      }
      case "renew":
        log();
        out("requested\n");
        return 0;
      case "list": {
        const server = tmuxServer(db);
        const r = server ? await tmux(server, ["list-sessions", "-F", SESSION_FORMAT]) : null;
        log();
        out(listReply(device, r && r.code === 0 ? parseSessions(r.stdout) : []));
        return 0;
      }
      case "subscribe": {
        const max = limitValue(SETTING.maxStreams, getSetting(db, SETTING.maxStreams));
        const writeTimeoutMs = limitValue(
          SETTING.streamWriteTimeoutMs,
          getSetting(db, SETTING.streamWriteTimeoutMs),
        );
        const stream = transaction(db, () =>
          openStream(
            db,
            device.id,
            max,
            { pid: Deno.pid, pidStart: processStartTime(Deno.pid) },
            isoUtc(Date.now()),
            isSameProcess,
          ));
        for (const pid of stream.evict) {
          killPid(pid, "SIGTERM");
          appendAuditLine(
            home.home,
            noticeLogLine(device, "subscribe", "ended:replaced", new Date()),
          );
        }
        const streamId = stream.id;
        log();
        try {
          return await runSubscription(subscribe!, device, effective, {
            dbFile: home.db,
            home: home.home,
            writeTimeoutMs,
            cmd: raw ?? "",
          });
        } finally {
          endStream(db, streamId, isoUtc(Date.now()));
        }
      }
      case "attach":
        return await attach(db, close, device, effective, log, home.home);
      case "plugin": {
        const r = await pluginVerb!.run({
          device: gateDevice(device),
          args: effective.args,
          now: startedAt,
          db,
          home: home.home,
        });
        log(r.result);
        out(`${r.reply}\n`);
        return r.reply.startsWith("error:") ? 1 : 0;
      }
      default:
        return await tmuxAction(db, effective, log);
    }
  } finally {
    close();
  }
}

async function importSeedQuietly(db: Db, home: string, opts: GateOptions): Promise<void> {
  try {
    const access = await (await opts.registry()).access();
    if (!access) return; // nothing can read the keys: `handoff devices import-seed` says so
    const { importSeed } = await import("./seed_import.ts");
    importSeed(db, home, access, accessStore(db, access));
  } catch { /* the phone's call is answered anyway; `handoff devices import-seed` says why */ }
}

function withResult(line: string, result: string): string {
  const o = JSON.parse(line);
  o.result = result;
  return jsonVisible(o);
}

/** The id of the session named exactly `name`, and every session's id; null: no such session. */
async function resolveSession(
  server: TmuxServer,
  name: string,
): Promise<{ id: string; all: string[] } | null> {
  const r = await tmux(server, ["list-sessions", "-F", SESSION_ID_FORMAT]);
  if (r.code !== 0) return null;
  const sessions = parseSessionIds(r.stdout);
  const id = sessions.find((s) => s.name === name)?.id;
  return id ? { id, all: sessions.map((s) => s.id) } : null;
}

/** create-session, create-window, kill-session, kill-window, windows. */
async function tmuxAction(
  db: Db,
  req: GateRequest,
  log: (result?: string) => void,
): Promise<number> {
  const server = tmuxServer(db);
  if (req.verb === "windows") {
    // Every window of the server, kept only for the session named exactly: no target.
    const r = server ? await tmux(server, ["list-windows", "-a", "-F", WINDOW_FORMAT]) : null;
    // As on the seed, a session that went away lists no windows rather than an error.
    log();
    out(r && r.code === 0 ? windowsReply(r.stdout, req.session) : "");
    return 0;
  }
  if (req.verb === "create-session") {
    // A new name is not a target; `#` and `:` never get this far (validSessionName).
    return finishAction(
      req.verb,
      server ? await tmux(server, ["new-session", "-d", "-s", req.session]) : null,
      log,
    );
  }
  if (
    req.verb !== "create-window" && req.verb !== "kill-session" && req.verb !== "kill-window"
  ) {
    log("denied:unknown_command");
    out("error:unknown_command\n");
    return 1;
  }
  const session = server ? await resolveSession(server, req.session) : null;
  if (!server || !session) {
    log("failed:no_session");
    out("error:failed\n");
    return 1;
  }
  const args = req.verb === "create-window"
    ? ["new-window", "-t", idTarget(session.id), "-P", "-F", "#{window_index}"]
    : req.verb === "kill-session"
    ? ["kill-session", "-t", session.id]
    : ["kill-window", "-t", idTarget(session.id, req.window)];
  return finishAction(req.verb, await tmux(server, args), log);
}

function finishAction(
  verb: GateRequest["verb"],
  r: { code: number; stdout: string } | null,
  log: (result?: string) => void,
): number {
  if (!r || r.code !== 0) {
    log("failed");
    out("error:failed\n");
    return 1;
  }
  log();
  if (verb === "create-window") {
    const index = r.stdout.trim();
    out(/^\d+$/.test(index) ? `${index}\n` : "error:failed\n");
    return /^\d+$/.test(index) ? 0 : 1;
  }
  out("ok\n");
  return 0;
}

type Refusal = { result: string; reply: string };

/**
 * Becomes `tmux attach` on the SSH terminal. Before that: record the attachment (the pid
 * stays ours through execve) after deciding again under the write lock, end the ones whose
 * client is gone, install this client's scope hook (so switch-client cannot take it out
 * of its patterns), and start its guard (which ends it when the device loses access).
 */
async function attach(
  db: Db,
  close: () => void,
  device: StoredDevice,
  req: Extract<GateRequest, { verb: "attach" }>,
  log: (result?: string) => void,
  home: string,
): Promise<number> {
  const { stdinTty, canExec, execOrRun } = await import("./exec.ts");
  const refuse = (r: Refusal) => {
    log(r.result);
    out(`${r.reply}\n`);
    return 1;
  };
  const scoped = !allowsEverything(device.sessions);
  // Without execve the tmux client is our child, not us: the scope hook (keyed on our pid)
  // would never match it. Only a device with nothing to enforce may attach that way.
  if (!canExec() && (scoped || device.readOnly)) {
    return refuse({ result: "denied:unsupported", reply: "error:unsupported" });
  }
  const server = tmuxServer(db);
  const tty = stdinTty();
  if (!server) return refuse({ result: "failed", reply: "error:failed" });
  if (!tty) return refuse({ result: "denied:no_terminal", reply: "error:failed" });
  const session = await resolveSession(server, req.session);
  if (!session) return refuse({ result: "failed:no_session", reply: "error:failed" });

  const maxAttaches = limitValue(SETTING.maxAttaches, getSetting(db, SETTING.maxAttaches));
  const now = isoUtc(Date.now());
  type Recorded = { id: number; stale: number[]; evict: Attachment[] };
  // Own sessions of read-only phones whose guard died with them (normally it removes them).
  const staleOwn: string[] = [];
  const recorded = transaction(db, (): Recorded | Refusal => {
    // A revocation committed since our first look wins: `devices rm` revokes first, then
    // detaches what is recorded, so an attachment is either seen by it or refused here.
    const again = decide(deviceById(db, device.id), req, new Date());
    if (!again.allow) return { result: again.result, reply: again.reply };
    const stale: number[] = [];
    const live: Attachment[] = [];
    for (const a of openAttachments(db)) {
      if (!isSameProcess(a.pid, a.pidStart)) {
        if (endAttachment(db, a.id, now)) {
          stale.push(a.id);
          if (a.ownSessionId) staleOwn.push(a.ownSessionId);
        }
      } else if (a.deviceId === device.id) live.push(a);
    }
    // Over the cap, the oldest go: a phone whose network vanished (no FIN) leaves clients
    // nobody can tell from live ones, and it must still be able to attach again.
    const evict = live.slice(0, Math.max(0, live.length - maxAttaches + 1));
    const id = insertAttachment(db, {
      deviceId: device.id,
      session: req.session,
      sessionId: session.id,
      window: req.window,
      pid: Deno.pid,
      pidStart: processStartTime(Deno.pid),
      tty,
      readOnly: device.readOnly,
      sessions: device.sessions,
      startedAt: now,
    });
    return { id, stale, evict };
  });
  if ("result" in recorded) return refuse(recorded);
  const { id, stale, evict } = recorded;
  for (const own of staleOwn) await tmux(server, ["kill-session", "-t", own]);
  for (const a of evict) {
    if (a.pid && isSameProcess(a.pid, a.pidStart)) killPid(a.pid, "SIGHUP");
    const cmd = `attach ${a.session}${a.window === null ? "" : ` ${a.window}`}`;
    appendAuditLine(home, noticeLogLine(device, cmd, "ended:replaced", new Date()));
  }

  // A read-only phone gets a session of its own in the watched session's group (the same
  // windows, live) with no key bindings at all: no prefix, an empty key table. A read-only
  // tmux client may still run switch-client from a key; here it has none to press, and
  // choosing its window changes nothing the desk sees.
  let own: string | null = null;
  if (device.readOnly) {
    own = await readOnlySession(server, session.id, id, req.window);
    if (!own) {
      endAttachment(db, id, isoUtc(Date.now()));
      return refuse({ result: "failed:read_only_session", reply: "error:failed" });
    }
    setOwnSession(db, id, own);
  }
  const dropOwn = async () => {
    if (own) await tmux(server, ["kill-session", "-t", own]);
  };

  // Read/write scoped phones are kept in by the scope hooks (best effort: they can type).
  const install = scoped && !device.readOnly
    ? {
      attachmentId: id,
      // A stray switch is sent back to the session attached to, by id (ids never repeat).
      commands: scopeHookCommands(
        { pid: Deno.pid, tty, homeSessionId: session.id },
        device.sessions,
      ),
    }
    : null;
  if (install || stale.length) {
    const { applyScopeHooks } = await import("../tmux/scope_hooks.ts");
    const r = await applyScopeHooks(server, install, stale, session.all);
    // Fail closed: without its hooks, a scoped client could wander off its patterns.
    if (install && r.code !== 0) {
      endAttachment(db, id, isoUtc(Date.now()));
      await dropOwn();
      return refuse({
        result: noServer(r) ? "failed" : "failed:scope_hook",
        reply: "error:failed",
      });
    }
  }
  // Fail closed too: without its guard, a revocation or an expiry would not reach it.
  if (!(await startGuard(home, id))) {
    endAttachment(db, id, isoUtc(Date.now()));
    await dropOwn();
    return refuse({ result: "failed:guard", reply: "error:failed" });
  }
  log();
  close();
  const target = own ? idTarget(own) : idTarget(session.id, req.window);
  const argv = [
    server.bin,
    ...serverArgs(server),
    "attach-session",
    ...(device.readOnly ? ["-r"] : []),
    "-t",
    target,
  ];
  const env = tmuxEnv();
  env.TERM ??= "xterm-256color";
  return await execOrRun(argv, env, (pid) => {
    // The child is the client: the guard and `devices rm` must signal it, not us.
    const db2 = openDb(paths(home).db);
    try {
      setAttachmentProcess(db2, id, pid, processStartTime(pid));
    } finally {
      db2.close();
    }
  });
}

/** Key table of read-only phones' sessions: nothing is ever bound in it. */
const NO_KEYS_TABLE = "handoff-read-only";

/** Name of a read-only phone's own session: `!` keeps it out of the gate's listings. */
export function readOnlySessionName(attachmentId: number): string {
  return `!handoff-ro-${attachmentId}`;
}

/**
 * Creates the read-only phone's session in `watched`'s group, with no keys; selects
 * `window` in it. Returns its id, or null. It goes with the phone: its guard removes it,
 * and once the phone is in, tmux does too when it detaches.
 */
async function readOnlySession(
  server: TmuxServer,
  watched: string,
  attachmentId: number,
  window: number | null,
): Promise<string | null> {
  const name = readOnlySessionName(attachmentId);
  const made = await tmux(server, [
    "new-session",
    "-d",
    "-P",
    "-F",
    "#{session_id}",
    "-t",
    watched,
    "-s",
    name,
  ]);
  const id = made.stdout.trim();
  if (made.code !== 0 || !/^\$\d+$/.test(id)) return null;
  const set = (option: string, value: string) => ["set-option", "-t", id, option, value];
  const cmds = [
    set("prefix", "None"),
    set("prefix2", "None"),
    set("key-table", NO_KEYS_TABLE),
    // (destroy-unattached would take it now, before the phone is in: the guard sets it.)
    // The phone's status line names the watched session, not this one.
    set("status-left", "[#{session_group}] "),
    ...(window === null ? [] : [["select-window", "-t", idTarget(id, window)]]),
  ];
  const r = await tmux(server, chain(cmds));
  if (r.code !== 0) {
    await tmux(server, ["kill-session", "-t", id]);
    return null;
  }
  return id;
}

/** Starts `handoff attach-guard <id>` in a session of its own; false if it cannot start. */
async function startGuard(home: string, attachmentId: number): Promise<boolean> {
  try {
    // Lazy: core/self.ts pulls in node:url, which the other gate verbs do not need.
    const { spawnSelfDetached } = await import("../../core/self.ts");
    spawnSelfDetached(home, ["attach-guard", String(attachmentId)], tmuxEnv());
    return true;
  } catch {
    return false;
  }
}

interface StreamSetup {
  dbFile: string;
  home: string;
  writeTimeoutMs: number;
  cmd: string;
}

/** How often a stream re-reads its device, so an expiry or revocation ends it promptly. */
const STREAM_RECHECK_MS = 1000;

/**
 * Hands an allowed `subscribe` to the event sink. The stream ends when the device loses
 * access (re-read every second, and at each database change the sink wakes on), when the
 * client goes away, or when a record waits longer than the write timeout (a reader that
 * stopped reading). A write that cannot finish is abandoned: the gate exits all the same.
 */
async function runSubscription(
  sink: NonNullable<Registry["plugins"][number]["subscribe"]>,
  device: StoredDevice,
  req: Extract<GateRequest, { verb: "subscribe" }>,
  setup: StreamSetup,
): Promise<number> {
  const ac = new AbortController();
  let ended: string | null = null;
  const end = (why: string) => {
    ended ??= why;
    ac.abort();
  };
  const encoder = new TextEncoder();
  const signals: Deno.Signal[] = ["SIGHUP", "SIGTERM", "SIGINT"];
  const onSignal = () => end("signal");
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  // A record the reader does not take within the timeout ends the stream (and the
  // pending write is abandoned: the process exits all the same).
  const writeBytes = async (bytes: Uint8Array): Promise<void> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        end("write_timeout");
        reject(new Error("the reader stopped reading"));
      }, setup.writeTimeoutMs);
    });
    try {
      for (let off = 0; off < bytes.length;) {
        off += await Promise.race([Deno.stdout.write(bytes.subarray(off)), timeout]);
      }
    } catch (e) {
      end(ended ?? "reader_gone");
      throw e;
    } finally {
      clearTimeout(timer);
    }
  };
  const writeLine = (line: string): Promise<void> => writeBytes(encoder.encode(line));
  const watchDb = openDb(setup.dbFile);
  let expiryTimer: ReturnType<typeof setTimeout> | undefined;
  const recheck = () => {
    const now = deviceById(watchDb, device.id);
    const why = streamVerdict(now, new Date());
    if (why !== null) return end(why);
    clearTimeout(expiryTimer);
    const ms = msUntilExpiry(now!, new Date());
    if (ms < STREAM_RECHECK_MS) expiryTimer = setTimeout(recheck, ms + 1);
  };
  const interval = setInterval(recheck, STREAM_RECHECK_MS);
  recheck();
  const aborted = new Promise<number>((resolve) =>
    ac.signal.addEventListener("abort", () => resolve(0), { once: true })
  );
  try {
    const streaming = sink({
      device: gateDevice(device),
      since: req.since ?? 0,
      types: req.types,
      signal: ac.signal,
      write: (line: string) => writeLine(line.endsWith("\n") ? line : line + "\n"),
    });
    const code = await Promise.race([streaming, aborted]);
    // The sink also stops by itself when it sees the device lose access.
    ended ??= streamVerdict(deviceById(watchDb, device.id), new Date());
    if (ended && !["signal", "reader_gone"].includes(ended)) {
      const { noticeLogLine } = await import("./audit.ts");
      appendAuditLine(setup.home, noticeLogLine(device, setup.cmd, `ended:${ended}`, new Date()));
    }
    return code;
  } finally {
    clearInterval(interval);
    clearTimeout(expiryTimer);
    watchDb.close();
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
  }
}

/**
 * Entry from main.ts. An internal failure still answers in the protocol (one `error:`
 * line) so the phone shows an error instead of parsing a stack trace.
 */
export async function gateMain(
  args: string[],
  registry: () => Promise<Registry>,
): Promise<number> {
  try {
    return await runGate(args, { registry });
  } catch (e) {
    out("error:failed\n");
    console.error(`handoff gate: ${(e as Error)?.stack ?? e}`);
    return 1;
  }
}

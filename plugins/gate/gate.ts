// `handoff gate <fingerprint>`: the forced command of every device key. sshd runs it with
// the client's request in SSH_ORIGINAL_COMMAND; the fingerprint comes from authorized_keys
// and is the only identity trusted. Replies are one line (`ok`, `verify:NNNNNN`,
// `requested`, `error:<code>`) or a listing; `attach` becomes the tmux client.
//
// Hot path: a phone calls it (1 + sessions) times every 5 s. It imports only what it needs
// (no commander, no yaml, no node:crypto unless pairing), opens the database once, and
// runs at most one tmux command for a listing.

import { type Db, getSetting, openDb, transaction } from "../../core/store.ts";
import { paths } from "../../core/paths.ts";
import { out } from "../../core/output.ts";
import { isSameProcess, processStartTime } from "../../core/proc.ts";
import type { GateDevice, Registry } from "../../core/registry.ts";
import { accessLogLine, MAX_LOGGED_COMMAND, unknownDeviceLogLine } from "./audit.ts";
import { type GateRequest, parseGateCommand, tmuxTarget } from "./grammar.ts";
import { decide, type Decision, listReply } from "./policy.ts";
import { isoUtc } from "./expiry.ts";
import {
  deviceByFingerprint,
  endAttachment,
  insertAttachment,
  liveNames,
  openAttachments,
  type StoredDevice,
  uniqueName,
} from "./devices_db.ts";
import { appendAuditLine } from "./audit_file.ts";
import { SETTING } from "./settings.ts";
import { noServer, resolveTmux, serverArgs, tmux, tmuxEnv, type TmuxServer } from "../tmux/tmux.ts";
import { parseSessions, SESSION_FORMAT, WINDOW_FORMAT, windowsReply } from "../tmux/format.ts";
import { allowsEverything, scopeHookArgs, scopeHookCommands } from "../tmux/scope.ts";

const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

interface Outcome {
  device: StoredDevice | null;
  decision: Decision;
}

// Results after which the seed records the command as the device's last command: the
// status and expiry checks passed.
const BEFORE_DISPATCH = new Set([
  "denied:not_found",
  "denied:revoked",
  "denied:pending",
  "denied:pending_expired",
  "denied:soft_expired",
]);

/** Looks the device up, decides, and records the call, all in one write transaction. */
function decideAndRecord(
  db: Db,
  fingerprint: string,
  raw: string | undefined,
  req: GateRequest,
  now: Date,
): Outcome {
  return transaction(db, () => {
    const device = deviceByFingerprint(db, fingerprint);
    const decision = decide(device, req, now);
    if (device === null) return { device, decision };
    const ts = isoUtc(now.getTime());
    db.prepare("UPDATE devices SET last_seen = ? WHERE id = ?").run(ts, device.id);
    if (decision.allow || !BEFORE_DISPATCH.has(decision.result)) {
      const cmd = Array.from(raw || "list").slice(0, MAX_LOGGED_COMMAND).join("");
      db.prepare("UPDATE devices SET last_command = ? WHERE id = ?").run(cmd, device.id);
    }
    if (decision.allow && req.verb === "pair") {
      // The name the phone reports replaces the placeholder unless the user chose one;
      // it stays unique among live devices so `devices rm NAME` is never ambiguous.
      const reported = req.name === "" ? null : req.name;
      const name = reported && !device.nameLocked
        ? uniqueName(reported, liveNames(db, device.id))
        : device.name;
      db.prepare(
        "UPDATE devices SET name = ?, reported_name = coalesce(?, reported_name), pair_requested_at = ? WHERE id = ?",
      ).run(name, reported, ts, device.id);
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
  const raw = env("SSH_ORIGINAL_COMMAND");
  const req = parseGateCommand(raw);
  const home = paths();

  if (!FINGERPRINT.test(fingerprint)) {
    appendAuditLine(home.home, unknownDeviceLogLine(args.join(" "), raw, startedAt));
    out("error:not_found\n");
    return 1;
  }

  // No event sink installed: `subscribe` is an unknown command, as on the seed.
  let subscribe: Registry["plugins"][number]["subscribe"];
  if (req.verb === "subscribe") {
    const registry = await opts.registry();
    subscribe = registry.plugins.find((p) => p.subscribe)?.subscribe;
  }
  const effective: GateRequest = req.verb === "subscribe" && !subscribe
    ? { verb: "unknown", raw: raw ?? "" }
    : req;

  const db = openDb(home.db);
  let closed = false;
  const close = () => {
    if (!closed) db.close();
    closed = true;
  };
  try {
    const { device, decision } = decideAndRecord(db, fingerprint, raw, effective, startedAt);
    const log = (result?: string) => {
      const line = device
        ? accessLogLine(device, raw, effective, decision, startedAt, device.name)!
        : unknownDeviceLogLine(fingerprint, raw, startedAt);
      appendAuditLine(home.home, result ? withResult(line, result) : line);
    };
    if (!decision.allow || device === null) {
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
        log();
        close();
        return await runSubscription(subscribe!, device, effective, home.db);
      }
      case "attach":
        return await attach(db, close, device, effective, log);
      default:
        return await tmuxAction(db, effective, log);
    }
  } finally {
    close();
  }
}

function withResult(line: string, result: string): string {
  const o = JSON.parse(line);
  o.result = result;
  return JSON.stringify(o);
}

/** create-session, create-window, kill-session, kill-window, windows: one tmux command each. */
async function tmuxAction(
  db: Db,
  req: GateRequest,
  log: (result?: string) => void,
): Promise<number> {
  const server = tmuxServer(db);
  let args: string[];
  switch (req.verb) {
    case "windows":
      args = ["list-windows", "-t", tmuxTarget(req.session), "-F", WINDOW_FORMAT];
      break;
    case "create-session":
      args = ["new-session", "-d", "-s", req.session];
      break;
    case "create-window":
      args = ["new-window", "-t", tmuxTarget(req.session), "-P", "-F", "#{window_index}"];
      break;
    case "kill-session":
      args = ["kill-session", "-t", tmuxTarget(req.session)];
      break;
    case "kill-window":
      args = ["kill-window", "-t", tmuxTarget(req.session, req.window)];
      break;
    default:
      log("denied:unknown_command");
      out("error:unknown_command\n");
      return 1;
  }
  const r = server ? await tmux(server, args) : null;
  if (req.verb === "windows") {
    // As on the seed, a session that went away lists no windows rather than an error.
    log();
    out(r && r.code === 0 ? windowsReply(r.stdout) : "");
    return 0;
  }
  if (!r || r.code !== 0) {
    log("failed");
    out("error:failed\n");
    return 1;
  }
  log();
  if (req.verb === "create-window") {
    const index = r.stdout.trim();
    out(/^\d+$/.test(index) ? `${index}\n` : "error:failed\n");
    return /^\d+$/.test(index) ? 0 : 1;
  }
  out("ok\n");
  return 0;
}

/**
 * Becomes `tmux attach` on the SSH terminal. Before that: record the attachment (the pid
 * stays ours through execve), end the ones whose client is gone, and install this client's
 * scope hook, so switch-client cannot take it out of its patterns.
 */
async function attach(
  db: Db,
  close: () => void,
  device: StoredDevice,
  req: Extract<GateRequest, { verb: "attach" }>,
  log: (result?: string) => void,
): Promise<number> {
  const { stdinTty, execOrRun } = await import("./exec.ts");
  const server = tmuxServer(db);
  const tty = stdinTty();
  if (!server || !tty) {
    log(server ? "denied:no_terminal" : "failed");
    out("error:failed\n");
    return 1;
  }
  const now = isoUtc(Date.now());
  const { id, stale } = transaction(db, () => {
    const stale: number[] = [];
    for (const a of openAttachments(db)) {
      if (!isSameProcess(a.pid, a.pidStart) && endAttachment(db, a.id, now)) stale.push(a.id);
    }
    const id = insertAttachment(db, {
      deviceId: device.id,
      session: req.session,
      window: req.window,
      pid: Deno.pid,
      pidStart: processStartTime(Deno.pid),
      tty,
      readOnly: device.readOnly,
      startedAt: now,
    });
    return { id, stale };
  });
  let install: { attachmentId: number; commands: [string, string] } | null = null;
  if (!allowsEverything(device.sessions)) {
    // Where a stray switch is sent back: the session attached to, by id (ids never repeat).
    const home = await tmux(server, [
      "display-message",
      "-p",
      "-t",
      tmuxTarget(req.session),
      "#{session_id}",
    ]);
    const homeSessionId = home.stdout.trim();
    if (home.code !== 0 || !/^\$\d+$/.test(homeSessionId)) {
      // No such session: tmux attach will say so on the terminal; nothing to scope.
      install = null;
    } else {
      install = {
        attachmentId: id,
        commands: scopeHookCommands({ pid: Deno.pid, tty, homeSessionId }, device.sessions),
      };
    }
  }
  if (install || stale.length) {
    const r = await tmux(server, scopeHookArgs(install, stale));
    // Fail closed: without its hooks, a scoped client could wander off its patterns.
    if (install && r.code !== 0) {
      endAttachment(db, id, isoUtc(Date.now()));
      log(noServer(r) ? "failed" : "failed:scope_hook");
      out("error:failed\n");
      return 1;
    }
  }
  log();
  close();
  const argv = [
    server.bin,
    ...serverArgs(server),
    "attach-session",
    ...(device.readOnly ? ["-r"] : []),
    "-t",
    tmuxTarget(req.session, req.window),
  ];
  const env = tmuxEnv();
  env.TERM ??= "xterm-256color";
  return await execOrRun(argv, env);
}

/** Hands an allowed `subscribe` to the event sink; ends it when the device loses access. */
async function runSubscription(
  sink: NonNullable<Registry["plugins"][number]["subscribe"]>,
  device: StoredDevice,
  req: Extract<GateRequest, { verb: "subscribe" }>,
  dbFile: string,
): Promise<number> {
  const ac = new AbortController();
  const encoder = new TextEncoder();
  const signals: Deno.Signal[] = ["SIGHUP", "SIGTERM", "SIGINT"];
  const onSignal = () => ac.abort();
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  // Revocation, a new expiry or a rejected pairing ends the stream within seconds.
  const recheck = setInterval(() => {
    const db = openDb(dbFile);
    try {
      const now = deviceByFingerprint(db, device.fingerprint);
      const d = decide(now, { verb: "list" }, new Date());
      if (!d.allow) ac.abort();
    } finally {
      db.close();
    }
  }, 5000);
  try {
    return await sink({
      device: gateDevice(device),
      since: req.since ?? 0,
      types: req.types,
      signal: ac.signal,
      async write(line: string) {
        const bytes = encoder.encode(line.endsWith("\n") ? line : line + "\n");
        try {
          for (let off = 0; off < bytes.length;) {
            off += await Deno.stdout.write(bytes.subarray(off));
          }
        } catch (e) {
          ac.abort();
          throw e;
        }
      },
    });
  } finally {
    clearInterval(recheck);
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
  }
}

/**
 * Entry from main.ts. An internal failure still answers in the protocol (one `error:`
 * line) so the phone shows an error instead of parsing a stack trace.
 */
export async function gateMain(args: string[]): Promise<number> {
  try {
    return await runGate(args, {
      registry: async () => (await import("../mod.ts")).firstPartyRegistry(),
    });
  } catch (e) {
    out("error:failed\n");
    console.error(`handoff gate: ${(e as Error)?.stack ?? e}`);
    return 1;
  }
}

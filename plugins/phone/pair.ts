// `handoff pair`: a key for one phone, shown once as a QR code, confirmed by a six-digit
// code. The private key exists only in this process's memory and in the QR/JSON it
// prints; it is never written to disk (no key file, no PNG), so no exit path can leave it
// behind. A pending key works only for `pair` (the gate refuses everything else), and only
// until the pairing window closes, in the gate and in sshd (`expiry-time`).

import { userInfo } from "node:os";
import { resolve } from "../../core/path.ts";
import type { CommandContext, CommandSpec, Registry } from "../../core/registry.ts";
import { type DeviceAccess, isDialHost } from "../../core/transport.ts";
import { setExitCode } from "../../core/cli.ts";
import { HandoffError, usageError } from "../../core/errors.ts";
import { colorEnabled, err, errColors, errLine, jsonVisible, outLine } from "../../core/output.ts";
import { expandHome } from "../../core/paths.ts";
import { type Db, setSetting } from "../../core/store.ts";
import { expiryFor, isoUtc, parseDuration } from "../gate/expiry.ts";
import { buildPairPayload } from "./payload.ts";
import { validDeviceName } from "../gate/grammar.ts";
import { formatCode, newNonce, verificationCode } from "../gate/verification.ts";
import {
  activate,
  deviceById,
  insertPending,
  listDevices,
  type StoredDevice,
} from "../gate/devices_db.ts";
import { sessionAllowed } from "../gate/glob.ts";
import { isSoftExpired } from "../gate/expiry.ts";
import { clearPaneHistory, paneKeepsAlternateScreen, tabOfPane } from "../tmux/pane.ts";
import { findTmux, resolveTmux, tmux } from "../tmux/tmux.ts";
import { parseSessions, SESSION_FORMAT } from "../tmux/format.ts";
import {
  accessStore,
  deviceAccess,
  installAccess,
  prepareDevices,
  revokeEverywhere,
  SETTING,
} from "./access.ts";
import {
  askDuration,
  askValue,
  askYesNo,
  checkDuration,
  checkSessions,
  interactive,
  question,
  shown,
} from "./ui.ts";
import { getSetting } from "../../core/store.ts";
import { deviceJson } from "./view.ts";

export interface PairFlags {
  name?: string;
  sessions?: string;
  readOnly?: boolean;
  readWrite?: boolean;
  expires?: string;
  host?: string;
  user?: string;
  wait?: string | boolean;
  json?: boolean;
  from?: string;
  authorizedKeys?: string;
  tmuxSocket?: string;
}

export const DEFAULT_WAIT_S = 300;
/** How long a `--no-wait` pairing stays open for `devices approve`. */
export const NO_WAIT_WINDOW_S = 3600;
/** The Android app polls for about 60 s after it shows the code, then gives up. */
const PHONE_PATIENCE_S = 60;
const POLL_MS = 250;

interface Plan {
  name: string | null;
  sessions: string[];
  readOnly: boolean;
  duration: string;
  host: string;
  user: string;
  from: string | null;
  waitS: number | null;
  authorizedKeys: string;
  tmuxPath: string;
}

async function sessionNames(db: Db, tmuxPath: string): Promise<string[]> {
  const r = await tmux({ bin: tmuxPath, socket: getSetting(db, SETTING.tmuxSocket) ?? null }, [
    "list-sessions",
    "-F",
    SESSION_FORMAT,
  ]);
  return r.code === 0 ? parseSessions(r.stdout).map((s) => s.name) : [];
}

function checkHost(host: string): string {
  if (!isDialHost(host)) {
    throw usageError(`--host: not a host name or address: "${host}"`);
  }
  return host;
}

/** Flags first; on a terminal, asks for what they leave out; defaults otherwise. */
async function makePlan(
  db: Db,
  registry: Registry,
  access: DeviceAccess,
  f: PairFlags,
): Promise<Plan> {
  if (f.name !== undefined && !validDeviceName(f.name.trim())) {
    throw usageError('--name: 1-64 printable characters, no | " or \\');
  }
  let waitS: number | null = DEFAULT_WAIT_S;
  if (f.wait === false) waitS = null;
  else if (typeof f.wait === "string") {
    waitS = Number(f.wait);
    if (!Number.isInteger(waitS) || waitS < 1 || waitS > 86400) {
      throw usageError(`--wait: a number of seconds (1-86400), got "${f.wait}"`);
    }
  }
  let sessions = f.sessions === undefined ? undefined : checkSessions(f.sessions);
  if (f.expires !== undefined) checkDuration(f.expires);

  const tmuxPath = resolveTmux(getSetting(db, SETTING.tmuxPath)) ?? findTmux();
  if (!tmuxPath) {
    throw new HandoffError("tmux is not installed", 1, "run `handoff setup` (or install tmux)");
  }

  let host = f.host;
  let from = f.from ?? null;
  if (host === undefined) {
    const found = await registry.address();
    if (!found?.host && interactive() && waitS !== null) {
      errLine(`  ${found ? `${found.detail}.` : "No transport gives this machine an address."}`);
      host = await askValue("  Address the phone dials (IP or host name)", "", checkHost);
    } else if (!found?.host) {
      throw new HandoffError(
        found?.problem?.message ?? "no address for the phone to dial",
        2,
        `pass --host <address the phone can reach>${
          found?.problem ? `, or ${found.problem.fix}` : ""
        }`,
      );
    } else {
      host = found.host;
      from ??= found.from;
      errLine(`  ${found.detail}`);
    }
    for (const w of found?.warnings ?? []) errLine(errColors().yellow(`  ! ${w}`));
  }
  host = checkHost(host!);
  const user = f.user ?? userInfo().username;
  if (!/^[A-Za-z0-9._][A-Za-z0-9._-]*\$?$/.test(user)) {
    throw usageError(`--user: not a user name: "${user}"`);
  }

  if (f.readOnly && f.readWrite) {
    throw usageError("--read-only and --read-write exclude each other");
  }
  const modeFlag = f.readOnly ? true : f.readWrite ? false : undefined;
  let readOnly = modeFlag ?? false;
  let duration = f.expires ?? "30d";
  if (interactive() && waitS !== null) {
    if (sessions === undefined) {
      const names = await sessionNames(db, tmuxPath);
      errLine(`  tmux sessions now: ${names.length ? names.map(shown).join(", ") : "(none)"}`);
      sessions = await askValue(
        "  Sessions the phone may use (globs, comma-separated)",
        "*",
        checkSessions,
      );
    }
    if (modeFlag === undefined) readOnly = await askYesNo("  Read-only access?", false);
    if (f.expires === undefined) duration = await askDuration();
  }
  return {
    name: f.name?.trim() ?? null,
    sessions: sessions ?? ["*"],
    readOnly,
    duration,
    host,
    user,
    from,
    waitS,
    authorizedKeys: f.authorizedKeys
      ? resolve(expandHome(f.authorizedKeys))
      : accessStore(db, access),
    tmuxPath,
  };
}

interface Started {
  device: StoredDevice;
  payload: string;
}

/** Creates the pending device and its key line; the private key stays in memory. */
function start(db: Db, access: DeviceAccess, plan: Plan, now: Date): Started {
  const nonce = newNonce();
  const name = plan.name ?? `pending-${nonce.slice(0, 4)}`;
  const key = access.newKey(`handoff:${nonce.slice(0, 8)}`);
  const { softExpiry, hardExpiry } = expiryFor(now, parseDuration(plan.duration));
  const windowS = plan.waitS ?? NO_WAIT_WINDOW_S;
  const pendingUntil = isoUtc(now.getTime() + windowS * 1000);
  const device = insertPending(db, {
    name,
    nameLocked: plan.name !== null,
    fingerprint: key.fingerprint,
    publicKey: key.publicKeyLine,
    sessions: plan.sessions,
    readOnly: plan.readOnly,
    nonce,
    createdAt: isoUtc(now.getTime()),
    softExpiry,
    hardExpiry,
    pendingUntil,
    authorizedKeys: plan.authorizedKeys,
    keyFrom: plan.from,
  });
  // sshd refuses the pending key once the window closes, whatever happens to this process.
  installAccess(db, access, device, pendingUntil, true);
  const payload = buildPairPayload({
    host: plan.host,
    user: plan.user,
    privateKeyPem: key.privateKeyPem,
    tmuxPath: plan.tmuxPath,
    nonce,
  });
  return { device, payload };
}

/** Pending → active: the key line gets the device's real expiry (none for "never"). */
export function confirmDevice(db: Db, access: DeviceAccess, device: StoredDevice): StoredDevice {
  const active = activate(db, device.id);
  if (!active) throw new HandoffError(`device "${shown(device.name)}" is no longer pending`);
  installAccess(db, access, active, active.hardExpiry);
  return active;
}

function summary(plan: Plan, device: StoredDevice): void {
  const c = errColors();
  errLine(
    `  ${c.bold("Device:")}   ${shown(device.name)}${plan.name ? "" : " (the phone names itself)"}`,
  );
  errLine(`  ${c.bold("Login:")}    ${plan.user}@${plan.host}:22`);
  errLine(`  ${c.bold("Sessions:")} ${plan.sessions.map(shown).join(", ")}`);
  errLine(`  ${c.bold("Mode:")}     ${plan.readOnly ? "read-only" : "read/write"}`);
  errLine(`  ${c.bold("Expires:")}  ${device.softExpiry ?? "never"}`);
}

function mmss(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

const GONE = Symbol("gone");

/**
 * Resolves with a line from stdin, null at end of input or when the deadline passes, or
 * GONE as soon as `gone()` (polled) says the device is no longer waiting for an answer.
 */
function answerBefore(
  deadline: number,
  text: string,
  gone: () => boolean,
): Promise<string | null | typeof GONE> {
  return new Promise((resolveAnswer) => {
    const done = (a: string | null | typeof GONE) => {
      clearTimeout(timer);
      clearInterval(poll);
      resolveAnswer(a);
    };
    const timer = setTimeout(() => done(null), Math.max(0, deadline - Date.now()));
    const poll = setInterval(() => gone() && done(GONE), POLL_MS);
    question(text).then(done, () => done(null));
  });
}

/** Why a pending device went away while `pair` waited for it. */
function removedWhilePending(now: StoredDevice | null): HandoffError {
  if (now?.revokedReason?.startsWith("pair_conflict")) {
    return new HandoffError(
      "pairing aborted: two phones answered this QR code" +
        (now.pairSource ? ` (the first from ${now.pairSource})` : "") +
        "; someone else has seen it. Nothing was paired and the key was removed",
      1,
      "pair again where no one (no watching phone, no screen share, no tmux history) can see the QR",
    );
  }
  return new HandoffError("the pending device was removed meanwhile (handoff devices rm?)");
}

export async function pair(ctx: CommandContext, f: PairFlags): Promise<number> {
  const c = errColors();
  const access = await deviceAccess(ctx.registry);
  const db = await ctx.openStore();
  let started: Started | null = null;
  let finished = false;
  // Every way out except a confirmation removes the device, its key line and its clients.
  let screen: QrScreen | null = null;
  const cleanup = async (why: string) => {
    await screen?.hide();
    if (finished || !started) return;
    finished = true;
    const current = deviceById(db, started.device.id);
    if (current && current.status === "pending") await revokeEverywhere(db, access, current);
    errLine(`\n  ${why} Cleaning up: the pending key was removed.`);
  };
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  const onSignal = (sig: Deno.Signal) => async () => {
    await cleanup(sig === "SIGINT" ? "Pairing cancelled." : `Pairing stopped (${sig}).`);
    db.close();
    Deno.exit(130);
  };
  const handlers = signals.map((s) => [s, onSignal(s)] as const);
  for (const [s, h] of handlers) Deno.addSignalListener(s, h);
  try {
    await prepareDevices(db, access);
    if (f.tmuxSocket) setSetting(db, SETTING.tmuxSocket, resolve(expandHome(f.tmuxSocket)));
    const plan = await makePlan(db, ctx.registry, access, f);
    setSetting(db, SETTING.tmuxPath, plan.tmuxPath);
    started = start(db, access, plan, new Date());
    const { device, payload } = started;

    if (plan.waitS === null) {
      finished = true; // the pending device stays, for `devices approve`
      if (f.json) {
        outLine(jsonVisible({ ...deviceJson(device), payload: JSON.parse(payload) }, 2));
        if (Deno.stdout.isTerminal()) {
          errLine(c.yellow("  ! The payload holds the device's private key: keep it out of logs."));
        }
      } else {
        summary(plan, device);
        await warnBeforeQr(db, plan);
        err(await renderQr(payload));
        errLine(
          c.yellow("  ! The QR code holds the device's key: clear the screen once it is scanned."),
        );
      }
      errLine(
        `  Pending until ${device.pendingUntil}. When the phone has paired, check its code: ` +
          `handoff devices approve '${device.name}' --code NNNNNN`,
      );
      return 0;
    }

    summary(plan, device);
    await warnBeforeQr(db, plan);
    const tty = Deno.stderr.isTerminal();
    screen = new QrScreen(tty);
    await screen.show(payload, [
      "",
      "  Scan the code with the Handoff app. It is cleared as soon as the phone has read it.",
      "",
    ]);
    const deadline = Date.now() + plan.waitS * 1000;
    let lastNote = 0;
    let requested: StoredDevice | null = null;
    while (Date.now() < deadline) {
      const now = deviceById(db, device.id);
      if (!now || now.status !== "pending") {
        finished = true;
        await screen.hide();
        throw removedWhilePending(now);
      }
      if (now.pairRequestedAt) {
        requested = now;
        break;
      }
      const left = mmss(deadline - Date.now());
      if (tty) {
        err(`\r\x1b[2K  Scan the code with the Handoff app. Waiting for the phone… ${left} left`);
      } else if (Date.now() - lastNote >= 30_000) {
        errLine(`  Waiting for the phone… ${left} left`);
        lastNote = Date.now();
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    if (tty) err("\r\x1b[2K");
    await screen.hide();
    if (!requested) {
      await cleanup("Pairing timed out.");
      return 1;
    }

    const code = formatCode(verificationCode(requested.fingerprint, requested.nonce));
    const reported = requested.reportedName ? ` ("${shown(requested.reportedName)}")` : "";
    const from = requested.pairSource ? ` at ${c.bold(requested.pairSource)}` : "";
    errLine(
      `  ${c.green("●")} The phone${reported}${from} asks to pair as ${
        c.bold(shown(requested.name))
      }.`,
    );
    errLine(`  Verification code:  ${c.bold(code)}`);
    errLine(
      c.dim(
        `  Answer within ${PHONE_PATIENCE_S} s: the phone stops waiting about a minute after it shows the code.`,
      ),
    );
    const answer = await answerBefore(
      deadline,
      `  Does the phone show ${code}? [y/N] `,
      () => deviceById(db, device.id)?.status !== "pending",
    );
    if (answer === GONE) {
      finished = true;
      throw removedWhilePending(deviceById(db, device.id));
    }
    if (answer === null || !/^y(es)?$/i.test(answer.trim())) {
      await cleanup(answer === null ? "No answer." : "Pairing rejected.");
      return 1;
    }
    const active = confirmDevice(db, access, requested);
    finished = true;
    errLine(
      `  ${c.green("✓")} "${shown(active.name)}" paired. It can now open: ${
        active.sessions.map(shown).join(", ")
      }`,
    );
    if (f.json) outLine(jsonVisible(deviceJson(active), 2));
    return 0;
  } catch (e) {
    await cleanup("Pairing failed.");
    throw e;
  } finally {
    for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
    db.close();
  }
}

async function renderQr(payload: string): Promise<string> {
  const { renderQrTerminal } = await import("./payload.ts");
  return await renderQrTerminal(payload, { ansi: colorEnabled(Deno.stderr) }) + "\n";
}

// The terminal's alternate screen: what is drawn there is gone when it is left, and tmux
// keeps none of it in the pane's history.
const ALT_SCREEN_ON = "\x1b[?1049h\x1b[H\x1b[2J";
const ALT_SCREEN_OFF = "\x1b[H\x1b[2J\x1b[?1049l";

/**
 * Where the QR is shown while `pair` waits: on a terminal, the alternate screen, left (and
 * in tmux, the pane's history cleared if the window keeps no alternate screen) as soon as
 * the phone has scanned it, the wait ends, or the pairing is cancelled. Elsewhere (a pipe,
 * a log) it is printed once: whoever reads that output has the key.
 */
class QrScreen {
  private shown = false;
  constructor(private readonly tty: boolean) {}

  async show(payload: string, lines: string[]): Promise<void> {
    const qr = await renderQr(payload);
    if (this.tty) {
      err(ALT_SCREEN_ON);
      this.shown = true;
    }
    err(qr);
    for (const l of lines) errLine(l);
  }

  async hide(): Promise<void> {
    if (!this.shown) return;
    this.shown = false;
    err(ALT_SCREEN_OFF);
    const pane = Deno.env.get("TMUX_PANE");
    if (pane && !(await paneKeepsAlternateScreen(pane))) await clearPaneHistory(pane);
  }
}

/** Active devices whose patterns allow `session`: they can watch this pane, QR included. */
export function watchersOf(devices: readonly StoredDevice[], session: string, now: Date) {
  return devices.filter((d) =>
    d.status === "active" && !isSoftExpired(d, now) && sessionAllowed(session, d.sessions)
  );
}

/** Says, before the QR is drawn, who else could see it and what a read/write phone can do. */
async function warnBeforeQr(db: Db, plan: Plan): Promise<void> {
  const c = errColors();
  const pane = Deno.env.get("TMUX_PANE");
  const tab = pane ? await tabOfPane(pane) : null;
  if (tab) {
    const watchers = watchersOf(listDevices(db), tab.session, new Date());
    if (watchers.length) {
      errLine(c.yellow(
        `  ! ${watchers.map((d) => `"${shown(d.name)}"`).join(", ")} may open this tmux ` +
          `session (${shown(tab.session)}) and would see the QR code, which holds the new ` +
          "key. Pair from a terminal outside their sessions.",
      ));
    }
  }
  if (!plan.readOnly && !plan.sessions.includes("*")) {
    errLine(c.yellow(
      "  ! Read/write: the session patterns limit what the gate lists and attaches, not what " +
        "the phone can type. In a pane that runs a shell, or through tmux's command prompt " +
        "(link-window, send-keys, run-shell), it can reach every session of this account. " +
        "Use --read-only for a hard limit.",
    ));
  }
}

export const pairCommand: CommandSpec = {
  name: "pair",
  summary: "pair a phone: QR code, six-digit confirmation",
  register(program, ctx) {
    program.command("pair")
      .summary("pair a phone: QR code, six-digit confirmation")
      .description(
        "Make a key for one phone, show it as a QR code for the Handoff app, wait for the phone " +
          "to connect, and confirm the six-digit code it shows. The key only opens handoff's gate " +
          "(never a shell), limited to the session patterns, read-only if asked, until it expires. " +
          "On a terminal it asks for what the flags leave out. Ctrl-C, SIGTERM, SIGHUP, a timeout " +
          "or a rejection remove the device and its key. The private key is never written to disk.\n\n" +
          "For scripts: --no-wait --json prints the pending device with the QR payload (which holds " +
          "the private key), then `handoff devices approve NAME --code NNNNNN` activates it.",
      )
      .option("--name <name>", "device name (default: the name the phone reports)")
      .option(
        "--sessions <patterns>",
        "tmux sessions the phone may use, comma-separated globs (default *)",
      )
      .option("--read-only", "the phone can watch but not type")
      .option("--read-write", "the phone can type (the default; skips the question)")
      .option("--expires <duration>", "24h, 1d, 7d, 30d (default) or never")
      .option(
        "--host <address>",
        "address the phone dials (default: this machine's Tailscale IPv4)",
      )
      .option("--user <name>", "login user (default: you)")
      .option("--wait <seconds>", `how long to wait for the phone (default ${DEFAULT_WAIT_S})`)
      .option(
        "--no-wait",
        `leave the device pending (${NO_WAIT_WINDOW_S / 60} min) for devices approve`,
      )
      .option("--json", "print the device as JSON on stdout (with --no-wait: and the QR payload)")
      .option(
        "--from <patterns>",
        "authorized_keys from= (default with Tailscale: the tailnet ranges)",
      )
      .option(
        "--authorized-keys <file>",
        "authorized_keys file to add the key to (default: setting, ~/.ssh/authorized_keys)",
      )
      .option(
        "--tmux-socket <path>",
        "use (and remember) this tmux server socket instead of the default server",
      )
      .action(async (f) => setExitCode(await pair(ctx, f)));
  },
};

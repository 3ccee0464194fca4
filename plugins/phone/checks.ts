// Readiness checks shared by the status screen, `doctor` and `setup`: each says what it
// found and, when something is wrong, how to fix it on this OS.

import type { Db } from "../../core/store.ts";
import { getSetting } from "../../core/store.ts";
import { userHome } from "../../core/paths.ts";
import { findTmux, noServer, resolveTmux, tmux } from "../tmux/tmux.ts";
import { findSshd, sshBanner, sshdVersion } from "../sshd/sshd.ts";
import { type TailscaleInfo, tailscaleInfo } from "../tailscale/tailscale.ts";
import { authorizedKeysFile, SETTING } from "./access.ts";
import { auditLogPath } from "../gate/audit_file.ts";
import { runningFromSource, selfProgram } from "../../core/self.ts";
import { checkTmuxReadOnly, checkTmuxSocketDir } from "./checks_hardening.ts";

export type { Check, CheckStatus } from "./check.ts";
import type { Check } from "./check.ts";

const MAC = Deno.build.os === "darwin";

async function version(bin: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(bin, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const d = new TextDecoder();
    return (d.decode(out.stdout) + d.decode(out.stderr)).trim().split("\n")[0];
  } catch {
    return "";
  }
}

export async function checkTmux(db: Db): Promise<Check[]> {
  const bin = resolveTmux(getSetting(db, SETTING.tmuxPath)) ?? findTmux();
  if (!bin) {
    return [{
      id: "tmux",
      label: "tmux",
      status: "fail",
      detail: "not installed",
      fix: MAC ? "brew install tmux" : "sudo apt-get install tmux (or your distribution's package)",
    }];
  }
  const socket = getSetting(db, SETTING.tmuxSocket) ?? null;
  const versionText = await version(bin, ["-V"]);
  const checks: Check[] = [{
    id: "tmux",
    label: "tmux",
    status: "ok",
    detail: `${versionText} at ${bin}${socket ? `, server socket ${socket}` : ""}`,
  }, checkTmuxReadOnly(versionText)];
  const socketDir = checkTmuxSocketDir(db);
  if (socketDir) checks.push(socketDir);
  const r = await tmux({ bin, socket }, ["list-sessions", "-F", "#{session_name}"]);
  const n = r.code === 0 ? r.stdout.split("\n").filter((l) => l).length : 0;
  checks.push(
    r.code === 0
      ? { id: "tmux-server", label: "tmux sessions", status: "ok", detail: `${n} running` }
      : {
        id: "tmux-server",
        label: "tmux sessions",
        status: "warn",
        detail: noServer(r)
          ? "no tmux server running: the phone will see no sessions"
          : r.stderr.trim(),
        fix: "start one: tmux new -s main",
      },
  );
  return checks;
}

export async function checkSshd(): Promise<Check[]> {
  const sshd = findSshd();
  if (!sshd) {
    return [{
      id: "sshd",
      label: "OpenSSH server",
      status: "fail",
      detail: "sshd is not installed",
      fix: MAC
        ? "System Settings → General → Sharing → Remote Login (or: sudo systemsetup -setremotelogin on)"
        : "sudo apt-get install openssh-server",
    }];
  }
  const v = sshdVersion(sshd);
  const checks: Check[] = [];
  if (v && (v[0] < 7 || (v[0] === 7 && v[1] < 7))) {
    checks.push({
      id: "sshd",
      label: "OpenSSH server",
      status: "fail",
      detail: `OpenSSH ${v.join(".")} is too old (restrict and expiry-time need 7.7)`,
      fix: "upgrade openssh-server",
    });
  } else {
    checks.push({
      id: "sshd",
      label: "OpenSSH server",
      status: "ok",
      detail: `${v ? `OpenSSH ${v.join(".")}` : "sshd"} at ${sshd}`,
    });
  }
  const banner = await sshBanner("127.0.0.1", 22);
  checks.push(
    banner
      ? {
        id: "sshd-running",
        label: "sshd reachable",
        status: "ok",
        detail: `port 22 answers (${banner})`,
      }
      : {
        id: "sshd-running",
        label: "sshd reachable",
        status: "fail",
        detail: "nothing answers SSH on port 22",
        fix: MAC
          ? "sudo systemsetup -setremotelogin on (the terminal may need Full Disk Access)"
          : "sudo systemctl enable --now ssh (without systemd: sudo service ssh start)",
      },
  );
  return checks;
}

/** `sshd -T` (effective config; needs root for the host keys on most systems). */
export async function checkPubkeyLogin(db: Db): Promise<Check> {
  const sshd = findSshd();
  const file = authorizedKeysFile(db);
  const base = { id: "pubkey", label: "public-key login" };
  if (!sshd) return { ...base, status: "info", detail: "no sshd to ask" };
  const out = await new Deno.Command(sshd, {
    args: ["-T"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  })
    .output().catch(() => null);
  if (!out || !out.success) {
    return {
      ...base,
      status: "info",
      detail: "could not read sshd's settings (sshd -T needs root)",
    };
  }
  const text = new TextDecoder().decode(out.stdout);
  const get = (k: string) => new RegExp(`^${k} (.*)$`, "m").exec(text)?.[1] ?? "";
  if (get("pubkeyauthentication") !== "yes") {
    return {
      ...base,
      status: "fail",
      detail: "PubkeyAuthentication is off",
      fix: "set `PubkeyAuthentication yes` in /etc/ssh/sshd_config and reload sshd",
    };
  }
  const files = get("authorizedkeysfile").split(/\s+/).map((f) =>
    f.replace(/^%h\//, `${userHome()}/`).replace(/^(?!\/)/, `${userHome()}/`)
  );
  if (!files.includes(file)) {
    return {
      ...base,
      status: "warn",
      detail: `sshd reads ${files.join(", ")}, handoff writes ${file}`,
      fix: "point handoff at a file sshd reads: handoff setup --authorized-keys <file>",
    };
  }
  return { ...base, status: "ok", detail: `PubkeyAuthentication yes; keys go to ${file}` };
}

export function checkKeysFile(db: Db): Check {
  const file = authorizedKeysFile(db);
  const base = { id: "authorized-keys", label: "authorized_keys" };
  try {
    const mode = (Deno.statSync(file).mode ?? 0) & 0o777;
    if (mode & 0o022) {
      return {
        ...base,
        status: "fail",
        detail: `${file} is writable by others (${mode.toString(8)})`,
        fix: `chmod 600 ${file}`,
      };
    }
    return { ...base, status: "ok", detail: `${file} (${mode.toString(8)})` };
  } catch {
    return {
      ...base,
      status: "info",
      detail: `${file} does not exist yet (pair creates it, 0600)`,
    };
  }
}

export async function address(): Promise<{ ts: TailscaleInfo; checks: Check[] }> {
  const ts = await tailscaleInfo();
  const checks: Check[] = [];
  if (!ts.cli) {
    checks.push({
      id: "address",
      label: "phone address",
      status: "warn",
      detail: "Tailscale is not installed: pair needs --host <address the phone can reach>",
      fix: MAC
        ? "install Tailscale (brew install --cask tailscale, or the App Store), then tailscale up"
        : "install Tailscale (https://tailscale.com/download/linux), then sudo tailscale up",
    });
  } else if (!ts.ipv4) {
    checks.push({
      id: "address",
      label: "phone address",
      status: "warn",
      detail: `Tailscale is ${ts.state ?? "not running"}: no tailnet address`,
      fix: "tailscale up",
    });
  } else {
    checks.push({
      id: "address",
      label: "phone address",
      status: "ok",
      detail: `${ts.ipv4}${ts.dnsName ? ` (${ts.dnsName})` : ""} via Tailscale`,
    });
  }
  if (ts.ssh) {
    checks.push({
      id: "tailscale-ssh",
      label: "Tailscale SSH",
      status: "fail",
      detail:
        "on: tailscaled answers port 22 itself and ignores authorized_keys, bypassing the gate",
      fix: "tailscale set --ssh=false",
    });
  }
  return { ts, checks };
}

/**
 * sshd runs the forced command through the login shell, and bash sources ~/.bashrc even
 * then: anything it prints lands in the gate's replies (the phone expects `#permissions:`
 * on line 1) and its run time is added to every request.
 */
export async function checkShellQuiet(): Promise<Check> {
  const shell = Deno.env.get("SHELL") || "/bin/sh";
  const base = { id: "shell", label: "login shell output" };
  const env: Record<string, string> = {
    HOME: userHome(),
    PATH: "/usr/bin:/bin:/usr/sbin:/sbin",
    USER: Deno.env.get("USER") ?? "",
    SHELL: shell,
    SSH_CLIENT: "127.0.0.1 22 22",
    SSH_CONNECTION: "127.0.0.1 22 127.0.0.1 22",
  };
  const t0 = performance.now();
  const out = await new Deno.Command(shell, {
    args: ["-c", "true"],
    env,
    clearEnv: true,
    cwd: userHome(),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output().catch(() => null);
  const ms = Math.round(performance.now() - t0);
  if (!out) return { ...base, status: "info", detail: `could not run ${shell}` };
  const printed = new TextDecoder().decode(out.stdout).trim();
  if (printed) {
    return {
      ...base,
      status: "fail",
      detail: `${shell} prints ${
        JSON.stringify(printed.slice(0, 60))
      } for non-interactive SSH commands`,
      fix:
        "make the shell's startup files quiet when not interactive (bash: `[[ $- == *i* ]] || return` at the top of ~/.bashrc)",
    };
  }
  return {
    ...base,
    status: ms > 100 ? "warn" : "ok",
    detail: `${shell} starts in ${ms} ms for SSH commands${
      ms > 100 ? " (added to every phone request)" : ""
    }`,
    ...(ms > 100
      ? { fix: "make ~/.bashrc return early when not interactive: `[[ $- == *i* ]] || return`" }
      : {}),
  };
}

export function checkHome(home: string): Check[] {
  const checks: Check[] = [];
  try {
    const mode = (Deno.statSync(home).mode ?? 0) & 0o777;
    checks.push(
      mode & 0o077
        ? {
          id: "home",
          label: "handoff home",
          status: "warn",
          detail: `${home} is ${mode.toString(8)}`,
          fix: `chmod 700 ${home}`,
        }
        : { id: "home", label: "handoff home", status: "ok", detail: `${home} (700)` },
    );
  } catch {
    checks.push({
      id: "home",
      label: "handoff home",
      status: "info",
      detail: `${home} does not exist yet`,
    });
  }
  try {
    const mode = (Deno.statSync(auditLogPath(home)).mode ?? 0) & 0o777;
    if (mode & 0o077) {
      checks.push({
        id: "audit",
        label: "audit log",
        status: "warn",
        detail: `access.log is ${mode.toString(8)}`,
        fix: `chmod 600 ${auditLogPath(home)}`,
      });
    }
  } catch { /* no log yet */ }
  return checks;
}

export function checkSelf(home: string): Check {
  const prog = selfProgram(home);
  return {
    id: "command",
    label: "forced command",
    status: "ok",
    detail: runningFromSource() ? `${prog} (shim running main.ts with deno)` : prog,
  };
}

export function macGuidance(): Check[] {
  if (!MAC) return [];
  const checks: Check[] = [];
  try {
    Deno.statSync("/Applications/iTerm.app");
    checks.push({
      id: "iterm2",
      label: "iTerm2",
      status: "info",
      detail: "open new tabs as tmux windows so the phone sees them",
      fix:
        "iTerm2 → Settings → Profiles → General → Command: Login Shell, Send text at start: tmux -CC new -A -s main",
    });
  } catch { /* no iTerm2 */ }
  return checks;
}

export function failed(checks: Check[]): boolean {
  return checks.some((c) => c.status === "fail");
}

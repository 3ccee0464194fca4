// Readiness checks shared by the status screen, `doctor` and `setup`: each says what it
// found and, when something is wrong, how to fix it on this OS.

import type { Db } from "../../core/store.ts";
import { getSetting } from "../../core/store.ts";
import { userHome } from "../../core/paths.ts";
import { escapeControls } from "../../core/output.ts";
import { findTmux, noServer, resolveTmux, tmux } from "../tmux/tmux.ts";
import { accessStore, SETTING } from "./access.ts";
import type { Registry } from "../../core/registry.ts";
import { auditLogPath } from "../gate/audit_file.ts";
import { runningFromSource, selfProgram } from "../../core/self.ts";
import { checkTmuxReadOnly, checkTmuxSocketDir } from "./checks_hardening.ts";

export type { Check, CheckStatus } from "../../core/transport.ts";
import type { Check } from "../../core/transport.ts";

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

/** Every transport's checks (`brief`: the ones the status screen shows), in order. */
export async function transportChecks(
  registry: Registry,
  db: Db,
  o: { brief: boolean },
): Promise<Check[]> {
  const access = await registry.access();
  const store = access ? accessStore(db, access) : "";
  const lists = await Promise.all(
    registry.transports().map(async (t): Promise<Check[]> => {
      try {
        return await t.checks?.({ store, brief: o.brief }) ?? [];
      } catch (e) {
        return [{
          id: `transport-${t.name}`,
          label: `transport ${t.name}`,
          status: "fail",
          detail: escapeControls(String((e as Error)?.message ?? e)),
          fix: "fix the plugin, or disable it (handoff plugin list shows which)",
        }];
      }
    }),
  );
  return settleAddressChecks(lists.flat());
}

/**
 * One transport with an address is enough: the others' "no address" warnings (Tailscale
 * not installed, say) become information. Pure.
 */
export function settleAddressChecks(checks: Check[]): Check[] {
  const isAddress = (c: Check) => /(^|\/)address$/.test(c.id);
  const found = checks.find((c) => isAddress(c) && c.status === "ok");
  if (!found) return checks;
  return checks.map((c) =>
    isAddress(c) && c.status === "warn"
      ? {
        ...c,
        status: "info",
        detail: `${c.detail} (the phone uses ${found.detail})`,
        fix: undefined,
      }
      : c
  );
}

export function failed(checks: Check[]): boolean {
  return checks.some((c) => c.status === "fail");
}

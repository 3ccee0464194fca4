// `handoff setup`: get this machine ready for phones, fixing what it can. On Linux it can
// install tmux and openssh-server (apt-get, dnf) and start sshd; on macOS it installs tmux
// with Homebrew and explains Remote Login and iTerm2's tmux integration. Every change is
// asked first on a terminal (or --yes); without either it only reports.

import { resolve } from "../../core/path.ts";
import type { CommandContext, CommandSpec } from "../../core/registry.ts";
import type { SetupStep } from "../../core/transport.ts";
import { setExitCode } from "../../core/cli.ts";
import { errColors, errLine, outColors, outLine } from "../../core/output.ts";
import { ensurePrivateDir, expandHome } from "../../core/paths.ts";
import { setSetting } from "../../core/store.ts";
import { asRoot, which } from "../../core/proc.ts";
import { findTmux } from "../tmux/tmux.ts";
import { auditLogPath } from "../gate/audit_file.ts";
import { SETTING } from "./access.ts";
import { LIMIT_DEFAULTS } from "../gate/settings.ts";
import { usageError } from "../../core/errors.ts";
import { failed } from "./checks.ts";
import { runChecks } from "./doctor.ts";
import { checkLine } from "./render_checks.ts";
import { askYesNo, interactive } from "./ui.ts";

export interface SetupFlags {
  yes?: boolean;
  tmuxSocket?: string;
  authorizedKeys?: string;
  maxStreams?: string;
  maxAttaches?: string;
  json?: boolean;
}

/** A limit flag's value: a positive integer up to 1000. */
function limitFlag(flag: string, text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw usageError(`${flag}: a number from 1 to 1000, got "${text}"`);
  }
  return String(n);
}

type Step = SetupStep;

/**
 * Package installs this OS needs (tmux, and the Linux packages transports ask for), or
 * null when handoff cannot install them here.
 */
export function installSteps(missing: { tmux: boolean; packages: string[] }): Step[] | null {
  const pkgs: string[] = [];
  if (Deno.build.os === "darwin") {
    if (missing.tmux) {
      if (!which("brew")) return null;
      return [{ what: "install tmux (Homebrew)", argv: ["brew", "install", "tmux"] }];
    }
    return [];
  }
  if (missing.tmux) pkgs.push("tmux");
  pkgs.push(...missing.packages);
  if (pkgs.length === 0) return [];
  if (which("apt-get")) {
    return [
      { what: "refresh the package lists", argv: asRoot(["apt-get", "update", "-qq"]) },
      {
        what: `install ${pkgs.join(", ")}`,
        argv: asRoot(["apt-get", "install", "-y", "-qq", ...pkgs]),
      },
    ];
  }
  if (which("dnf")) {
    return [{
      what: `install ${pkgs.join(", ")}`,
      argv: asRoot(["dnf", "install", "-y", ...pkgs]),
    }];
  }
  return null;
}

async function perform(step: Step, f: SetupFlags): Promise<boolean> {
  const c = errColors();
  if (
    !f.yes && !(interactive() && await askYesNo(`  ${step.what}: ${step.argv.join(" ")}?`, true))
  ) {
    errLine(`  ${c.dim("·")} skipped: ${step.what} (${step.argv.join(" ")})`);
    return false;
  }
  errLine(`  … ${step.what}`);
  const out = await new Deno.Command(step.argv[0], {
    args: step.argv.slice(1),
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
    env: { DEBIAN_FRONTEND: "noninteractive" },
  }).output().catch(() => null);
  if (!out?.success) {
    errLine(`  ${c.red("✗")} ${step.what} failed`);
    return false;
  }
  errLine(`  ${c.green("✓")} ${step.what}`);
  return true;
}

export async function setup(ctx: CommandContext, f: SetupFlags): Promise<number> {
  const maxStreams = limitFlag("--max-streams", f.maxStreams);
  const maxAttaches = limitFlag("--max-attaches", f.maxAttaches);
  const c = errColors();
  const p = ctx.paths();
  ensurePrivateDir(p.home);
  Deno.chmodSync(p.home, 0o700);
  // The audit log exists from the start, private.
  Deno.writeFileSync(auditLogPath(p.home), new Uint8Array(), { append: true, mode: 0o600 });
  Deno.chmodSync(auditLogPath(p.home), 0o600);

  const transports = ctx.registry.transports();
  const packages: string[] = [];
  for (const t of transports) packages.push(...(await t.setup?.missingPackages() ?? []));
  const missing = { tmux: findTmux() === null, packages };
  const steps = installSteps(missing);
  if (steps === null) {
    errLine(
      `  ${c.yellow("!")} cannot install ${
        [...(missing.tmux ? ["tmux"] : []), ...packages].join(", ")
      } here: see the fixes below`,
    );
  } else {
    for (const s of steps) if (!(await perform(s, f))) break;
  }
  for (const t of transports) {
    const start = await t.setup?.startStep();
    if (start) await perform(start, f);
  }

  const db = await ctx.openStore();
  try {
    const tmuxPath = findTmux();
    if (tmuxPath) setSetting(db, SETTING.tmuxPath, tmuxPath);
    if (f.tmuxSocket) setSetting(db, SETTING.tmuxSocket, resolve(expandHome(f.tmuxSocket)));
    if (f.authorizedKeys) {
      setSetting(db, SETTING.authorizedKeys, resolve(expandHome(f.authorizedKeys)));
    }
    if (maxStreams) setSetting(db, SETTING.maxStreams, maxStreams);
    if (maxAttaches) setSetting(db, SETTING.maxAttaches, maxAttaches);
  } finally {
    db.close();
  }

  const checks = await runChecks(ctx);
  if (f.json) {
    outLine(JSON.stringify({ ok: !failed(checks), checks }, null, 2));
  } else {
    const o = outColors();
    for (const ch of checks) outLine(checkLine(ch, o, true));
    outLine("");
    outLine(
      failed(checks)
        ? o.red("Not ready: fix the items above, then run handoff setup again.")
        : o.green("Setup complete. Next: handoff pair"),
    );
  }
  return failed(checks) ? 1 : 0;
}

export const setupCommand: CommandSpec = {
  name: "setup",
  summary: "get this machine ready for phones (tmux, sshd, keys)",
  register(program, ctx) {
    program.command("setup")
      .summary("get this machine ready for phones (tmux, sshd, keys)")
      .description(
        "Check and, where it can, fix what phones need: tmux and openssh-server installed " +
          "(apt-get/dnf on Linux, Homebrew on macOS), sshd running, public-key login, the address " +
          "(Tailscale; warns when Tailscale SSH is on, which ignores authorized_keys). On macOS it " +
          "explains Remote Login and iTerm2's tmux integration. Records the tmux path (sshd's PATH " +
          "is minimal). Asks before each change on a terminal; --yes does them; otherwise it only " +
          "reports. Exit 1 while a check still fails.",
      )
      .option("-y, --yes", "make the changes without asking (may use sudo)")
      .option("--tmux-socket <path>", "use this tmux server socket instead of the default server")
      .option(
        "--authorized-keys <file>",
        "authorized_keys file sshd reads (default ~/.ssh/authorized_keys)",
      )
      .option(
        "--max-streams <n>",
        `event streams (subscribe) one device may hold at once (default ${
          LIMIT_DEFAULTS[SETTING.maxStreams]
        })`,
      )
      .option(
        "--max-attaches <n>",
        `terminals one device may attach at once (default ${LIMIT_DEFAULTS[SETTING.maxAttaches]})`,
      )
      .option("--json", "the checks as JSON on stdout")
      .action(async (f) => setExitCode(await setup(ctx, f)));
  },
};

// `handoff doctor`: every check the phone path depends on, each with how to fix it.

import type { CommandSpec } from "../../core/registry.ts";
import { setExitCode } from "../../core/cli.ts";
import { outColors, outLine } from "../../core/output.ts";
import { paths } from "../../core/paths.ts";
import { openDb } from "../../core/store.ts";
import {
  address,
  type Check,
  checkHome,
  checkKeysFile,
  checkPubkeyLogin,
  checkSelf,
  checkShellQuiet,
  checkSshd,
  checkTmux,
  failed,
  macGuidance,
} from "./checks.ts";
import { checkLine } from "./render_checks.ts";
import { checkAcceptEnv } from "./checks_hardening.ts";

export async function runChecks(): Promise<Check[]> {
  const p = paths();
  const db = openDb(p.db);
  try {
    const [tmuxChecks, sshdChecks, pubkey, acceptEnv, addr, shell] = await Promise.all([
      checkTmux(db),
      checkSshd(),
      checkPubkeyLogin(db),
      checkAcceptEnv(),
      address(),
      checkShellQuiet(),
    ]);
    return [
      ...tmuxChecks,
      ...sshdChecks,
      pubkey,
      acceptEnv,
      checkKeysFile(db),
      ...addr.checks,
      shell,
      checkSelf(p.home),
      ...checkHome(p.home),
      ...macGuidance(),
    ];
  } finally {
    db.close();
  }
}

export async function doctor(f: { json?: boolean }): Promise<number> {
  const checks = await runChecks();
  if (f.json) {
    outLine(JSON.stringify({ ok: !failed(checks), checks }, null, 2));
  } else {
    const c = outColors();
    for (const ch of checks) outLine(checkLine(ch, c, true));
    outLine("");
    outLine(
      failed(checks) ? c.red("Some checks failed: see the fixes above.") : c.green("All good."),
    );
  }
  return failed(checks) ? 1 : 0;
}

export const doctorCommand: CommandSpec = {
  name: "doctor",
  summary: "check everything a phone connection needs, with fixes",
  register(program) {
    program.command("doctor")
      .summary("check everything a phone connection needs, with fixes")
      .description(
        "Check tmux, the OpenSSH server (installed, listening, public-key login, version), the " +
          "authorized_keys file, the address a phone dials (Tailscale), Tailscale SSH (must be " +
          "off), the login shell's output (it would corrupt the gate's replies), sshd's AcceptEnv " +
          "(what a phone may set in the gate's environment), the tmux socket's directory, what " +
          "this tmux lets read-only clients do, and handoff's own files. Prints how to fix " +
          "each problem. Exit 1 when a check fails.",
      )
      .option("--json", "JSON on stdout")
      .action(async (f) => setExitCode(await doctor(f)));
  },
};

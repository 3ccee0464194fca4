// `handoff doctor`: every check the phone path depends on, each with how to fix it.

import type { CommandContext, CommandSpec } from "../../core/registry.ts";
import { setExitCode } from "../../core/cli.ts";
import { errColors, errLine, outColors, outLine } from "../../core/output.ts";
import { paths } from "../../core/paths.ts";
import {
  type Check,
  checkHome,
  checkSelf,
  checkShellQuiet,
  checkTmux,
  failed,
  macGuidance,
  transportChecks,
} from "./checks.ts";
import { checkLine } from "./render_checks.ts";

export async function runChecks(ctx: CommandContext): Promise<Check[]> {
  const p = ctx.paths();
  const db = await ctx.openStore();
  try {
    const [tmuxChecks, transports, shell] = await Promise.all([
      checkTmux(db),
      transportChecks(ctx.registry, db, { brief: false }),
      checkShellQuiet(),
    ]);
    return [
      ...tmuxChecks,
      ...transports,
      shell,
      checkSelf(p.home),
      ...checkHome(p.home),
      ...macGuidance(),
    ];
  } finally {
    db.close();
  }
}

/** `--repair`: the ledger moved aside and rebuilt (see core/repair.ts), said on stderr. */
async function repair(json: boolean): Promise<Record<string, unknown>> {
  const { repairLedger } = await import("../../core/repair.ts");
  const report = repairLedger(paths().home);
  if (!json) {
    const c = errColors();
    if (report.movedTo) errLine(`${c.green("✓")} the old ledger is kept at ${report.movedTo}`);
    const copied = Object.entries(report.salvaged).filter(([, n]) => n > 0)
      .map(([t, n]) => `${n} ${t}`);
    if (copied.length) errLine(`${c.green("✓")} copied from it: ${copied.join(", ")}`);
    if (report.unreadable.length) {
      errLine(`${c.yellow("!")} unreadable there: ${report.unreadable.join(", ")}`);
    }
    errLine(`${c.green("✓")} the ledger now holds ${report.runs} runs`);
  }
  return {
    moved_to: report.movedTo,
    salvaged: report.salvaged,
    unreadable: report.unreadable,
    runs: report.runs,
  };
}

export async function doctor(
  ctx: CommandContext,
  f: { json?: boolean; repair?: boolean },
): Promise<number> {
  const repaired = f.repair ? await repair(!!f.json) : undefined;
  const checks = await runChecks(ctx);
  if (f.json) {
    outLine(JSON.stringify({ ok: !failed(checks), checks, repair: repaired }, null, 2));
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
  register(program, ctx) {
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
      .option(
        "--repair",
        "move a damaged run ledger aside, keep what it still holds, rebuild the runs from their files",
      )
      .action(async (f) => setExitCode(await doctor(ctx, f)));
  },
};

// `handoff` with no arguments (also `handoff status`): the latest runs, the tmux sessions
// with their windows, the paired devices, and whether a phone could connect right now.

import type { CommandContext, CommandSpec } from "../../core/registry.ts";
import { setExitCode } from "../../core/cli.ts";
import { jsonVisible, outColors, outLine, type Palette, safeText } from "../../core/output.ts";
import { listRuns, reconcile } from "../../core/ledger.ts";
import { formatAge, formatRunDuration, runToJson } from "../../core/run_view.ts";
import { paths, tildePath } from "../../core/paths.ts";
import { type Db, getSetting } from "../../core/store.ts";
import { listDevices } from "../gate/devices_db.ts";
import { relativeExpiry } from "../gate/expiry.ts";
import { findTmux, resolveTmux, tmux } from "../tmux/tmux.ts";
import { parseStatusWindows, STATUS_WINDOW_FORMAT, type StatusSession } from "../tmux/format.ts";
import { prepareDevices, SETTING } from "./access.ts";
import { type Check, checkTmux, transportChecks } from "./checks.ts";
import { checkLine } from "./render_checks.ts";
import { deviceJson, shownStatus } from "./view.ts";
import { shown } from "./ui.ts";

const RECENT_RUNS = 5;

/** The latest runs, beside the desk's state: what an agent handed off lately. */
function printRuns(db: Db, c: Palette): void {
  outLine(c.bold("Runs"));
  let exists = true;
  try {
    Deno.statSync(paths().config);
  } catch {
    exists = false;
  }
  if (!exists) outLine("  No config yet: handoff init");
  reconcile(db);
  const runs = listRuns(db, { limit: RECENT_RUNS });
  if (exists && runs.length === 0) outLine('  None yet: handoff run "<task>"');
  const now = Date.now();
  for (const r of runs) {
    const paint = r.status === "success"
      ? c.green
      : r.status === "running"
      ? c.cyan
      : r.status === "interrupted"
      ? c.yellow
      : c.red;
    const when = r.status === "running"
      ? formatRunDuration(r, now)
      : `${formatAge(now - (r.ended_at ?? r.created_at))} ago`;
    outLine(
      `  ${paint("●")} ${r.run_id}  ${c.dim(`${r.status}, ${when}`)}  ${
        shown(r.title.slice(0, 60))
      }`,
    );
  }
  outLine("");
}

export async function status(ctx: CommandContext, f: { json?: boolean }): Promise<number> {
  const db = await ctx.openStore();
  try {
    const access = await ctx.registry.access();
    if (access) await prepareDevices(db, access);
    const bin = resolveTmux(getSetting(db, SETTING.tmuxPath)) ?? findTmux();
    let sessions: StatusSession[] = [];
    if (bin) {
      const r = await tmux(
        { bin, socket: getSetting(db, SETTING.tmuxSocket) ?? null },
        ["list-windows", "-a", "-F", STATUS_WINDOW_FORMAT],
      );
      if (r.code === 0) sessions = parseStatusWindows(r.stdout);
    }
    const now = new Date();
    const devices = listDevices(db);
    const [tmuxChecks, others, addr] = await Promise.all([
      checkTmux(db),
      transportChecks(ctx.registry, db, { brief: true }),
      ctx.registry.address(),
    ]);
    const checks: Check[] = [...tmuxChecks, ...others];
    const ready = !checks.some((c) => c.status === "fail") && !!addr?.host &&
      sessions.length > 0;
    if (f.json) {
      outLine(jsonVisible(
        {
          runs: listRuns(db, { limit: RECENT_RUNS }).map(runToJson),
          sessions,
          devices: devices.map((d) => deviceJson(d, now)),
          readiness: {
            ready,
            address: addr?.host ?? null,
            dns_name: addr?.name ?? null,
            checks,
          },
        },
        2,
      ));
      return 0;
    }
    const c = outColors();
    printRuns(db, c);
    outLine(c.bold("Sessions"));
    if (sessions.length === 0) outLine("  No tmux sessions.");
    for (const s of sessions) {
      const n = s.windows.length;
      outLine(
        `  ${c.cyan("●")} ${shown(s.name)}  ${
          c.dim(`${n} window${n === 1 ? "" : "s"}${s.attached ? ", attached" : ""}`)
        }`,
      );
      for (const w of s.windows) {
        const cmd = safeText(w.command).padEnd(12);
        outLine(
          `      ${w.active ? "›" : " "} ${String(w.index).padStart(2)}  ${cmd}  ${
            safeText(tildePath(w.path))
          }`,
        );
      }
    }
    outLine("");
    outLine(c.bold("Devices"));
    if (devices.length === 0) outLine("  None paired yet: handoff pair");
    for (const d of devices) {
      const st = shownStatus(d, now);
      const paint = st === "active" ? c.green : st === "pending" ? c.yellow : c.red;
      const exp = d.status === "pending" ? "" : `, expires ${relativeExpiry(d.softExpiry, now)}`;
      outLine(
        `  ${paint("●")} ${shown(d.name)}  ${
          c.dim(
            `${st}, ${d.readOnly ? "read-only" : "read/write"}, ` +
              `sessions ${d.sessions.map(shown).join(";")}${exp}`,
          )
        }`,
      );
    }
    outLine("");
    outLine(c.bold("Readiness"));
    for (const ch of checks) outLine(checkLine(ch, c, true));
    outLine("");
    outLine(
      ready
        ? c.green("Ready. Open Handoff on your phone.")
        : "Not ready yet: see above, or run handoff doctor.",
    );
    return 0;
  } finally {
    db.close();
  }
}

export const statusCommand: CommandSpec = {
  name: "status",
  summary: "tmux sessions, paired devices, readiness (also: handoff with no arguments)",
  register(program, ctx) {
    program.command("status")
      .summary("tmux sessions, paired devices, readiness (also: handoff with no arguments)")
      .description(
        "What a phone would find: the tmux sessions with their windows (index, command, path), " +
          "the paired devices, and whether tmux, sshd and an address for the phone are ready.",
      )
      .option("--json", "JSON on stdout")
      .action(async (f) => setExitCode(await status(ctx, f)));
  },
};

// The original phone tool's top-level commands, kept for its users: `handoff revoke NAME`,
// `handoff renew NAME`, `handoff logs [NAME]` (the `devices` subcommands under their old
// names) and `handoff unpair` (revoke every device).

import type { Command } from "@commander-js/extra-typings";
import { setExitCode } from "../../core/cli.ts";
import { errColors, errLine } from "../../core/output.ts";
import type { CommandContext, CommandSpec } from "../../core/registry.ts";
import { listDevices } from "../gate/devices_db.ts";
import { deviceAccess, revokeEverywhere } from "./access.ts";
import { registerDevicesLog } from "./devices_log.ts";
import { registerDevicesRenew } from "./devices_renew.ts";
import { registerDevicesRm } from "./devices_rm.ts";
import { askYesNo, interactive, shown } from "./ui.ts";

/** An alias of a `devices` subcommand: the same command, summarised as the alias it is. */
function alias(
  name: string,
  summary: string,
  register: (program: Command, ctx: CommandContext) => void,
): CommandSpec {
  return {
    name,
    summary,
    register(program, ctx) {
      register(program as unknown as Command, ctx);
      program.commands.find((c) => c.name() === name)?.summary(summary);
    },
  };
}

export const revokeCommand = alias(
  "revoke",
  "revoke a device (handoff devices rm)",
  (program, ctx) => registerDevicesRm(program, ctx, "revoke", []),
);

export const renewCommand = alias(
  "renew",
  "extend a device's access (handoff devices renew)",
  (program, ctx) => registerDevicesRenew(program, ctx),
);

export const logsCommand = alias(
  "logs",
  "the gate's audit log (handoff devices log)",
  (program, ctx) => registerDevicesLog(program, ctx, "logs", []),
);

/** `handoff unpair`: every device revoked (key lines, live sessions); asks first. */
export async function unpair(ctx: CommandContext, f: { yes?: boolean }): Promise<number> {
  const access = await deviceAccess(ctx.registry);
  const db = await ctx.openStore();
  try {
    const live = listDevices(db).filter((d) => d.status !== "revoked");
    if (live.length === 0) {
      errLine("Nothing to unpair.");
      return 0;
    }
    if (!f.yes) {
      if (!interactive()) {
        errLine(`handoff: unpair revokes ${live.length} device(s): pass --yes to confirm`);
        return 2;
      }
      if (!(await askYesNo(`Revoke all ${live.length} device(s) and remove their keys?`, false))) {
        errLine("Cancelled.");
        return 0;
      }
    }
    for (const d of live) {
      await revokeEverywhere(db, access, d);
      errLine(`${errColors().green("✓")} revoked "${shown(d.name)}"`);
    }
    return 0;
  } finally {
    db.close();
  }
}

export const unpairCommand: CommandSpec = {
  name: "unpair",
  summary: "revoke every paired device",
  register(program, ctx) {
    program.command("unpair")
      .summary("revoke every paired device")
      .description(
        "Revoke every device: key lines removed, live sessions detached (the original tool's " +
          "`unpair`; unlike it, nothing else in the home is deleted). Asks first; --yes skips it.",
      )
      .option("-y, --yes", "do not ask")
      .action(async (f) => setExitCode(await unpair(ctx, f)));
  },
};

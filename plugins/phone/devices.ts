// `handoff devices`: the paired phones; its subcommands live one per file next to it.

import type { Command } from "@commander-js/extra-typings";
import type { CommandContext, CommandSpec } from "../../core/registry.ts";
import { setExitCode } from "../../core/cli.ts";
import { errLine, jsonVisible, outColors, outLine, table } from "../../core/output.ts";
import { isSameProcess } from "../../core/proc.ts";
import { listDevices, openAttachments } from "../gate/devices_db.ts";
import { relativeExpiry } from "../gate/expiry.ts";
import { deviceAccess, prepareDevices } from "./access.ts";
import { deviceJson, patternsAreSoft, shownStatus } from "./view.ts";
import { shown } from "./ui.ts";
import { registerDevicesEdit } from "./devices_edit.ts";
import { registerDevicesRm } from "./devices_rm.ts";
import { registerDevicesRenew } from "./devices_renew.ts";
import { registerDevicesLog } from "./devices_log.ts";
import { registerDevicesApprove } from "./devices_approve.ts";
import { registerDevicesImport } from "./devices_import.ts";

export async function devicesList(
  ctx: CommandContext,
  f: { json?: boolean; all?: boolean },
): Promise<number> {
  const access = await deviceAccess(ctx.registry);
  const db = await ctx.openStore();
  try {
    await prepareDevices(db, access);
    const now = new Date();
    const devices = listDevices(db, { all: f.all });
    const attached = new Map<number, string[]>();
    for (const a of openAttachments(db)) {
      if (!isSameProcess(a.pid, a.pidStart)) continue;
      const list = attached.get(a.deviceId) ?? [];
      list.push(a.window === null ? a.session : `${a.session}:${a.window}`);
      attached.set(a.deviceId, list);
    }
    if (f.json) {
      outLine(jsonVisible(
        devices.map((d) => ({ ...deviceJson(d, now), attached: attached.get(d.id) ?? [] })),
        2,
      ));
      return 0;
    }
    if (devices.length === 0) {
      errLine("No paired devices. Pair one with: handoff pair");
      return 0;
    }
    const c = outColors();
    const rows = devices.map((d) => [
      (d.renewalRequested ? "↻ " : "") + shown(d.name),
      d.sessions.map(shown).join(";"),
      d.readOnly ? "read-only" : "read/write",
      shownStatus(d, now),
      d.status === "pending" ? "-" : relativeExpiry(d.softExpiry, now),
      d.lastSeen ?? "never",
      (attached.get(d.id) ?? []).map(shown).join(" "),
    ]);
    const lines = table(
      ["NAME", "SESSIONS", "MODE", "STATUS", "EXPIRES", "LAST SEEN", "ATTACHED"],
      rows,
      (col, cell, padded) => {
        if (col !== 3) return padded;
        const paint = cell === "active" ? c.green : cell === "pending" ? c.yellow : c.red;
        return padded.replace(cell, paint(cell));
      },
    );
    lines.forEach((l, i) => outLine(i === 0 ? c.bold(l) : l));
    const soft = devices.filter((d) => d.status !== "revoked" && patternsAreSoft(d));
    if (soft.length) {
      errLine(
        `note: ${soft.map((d) => `"${shown(d.name)}"`).join(", ")} ` +
          "can type: its session patterns limit what the gate lists and attaches, but a shell " +
          "(or tmux's command prompt) in an allowed session reaches every session. For a hard " +
          "limit: handoff devices edit NAME --read-only",
      );
    }
    if (devices.some((d) => d.renewalRequested)) {
      errLine("↻ renewal requested — approve with: handoff devices renew NAME");
    }
    return 0;
  } finally {
    db.close();
  }
}

export const devicesCommand: CommandSpec = {
  name: "devices",
  summary: "paired phones: list, approve, edit, renew, rm, log",
  register(program, ctx) {
    const devices = program.command("devices")
      .summary("paired phones: list, approve, edit, renew, rm, log")
      .description(
        "The paired phones. Every change is one database transaction, so a phone's polling " +
          "never loses it. Without a subcommand: the list.",
      );
    // The listing is the default subcommand, so its --json never swallows a subcommand's.
    devices.command("list", { isDefault: true })
      .alias("ls")
      .summary("list the paired phones (the default)")
      .option("--json", "JSON array on stdout")
      .option("--all", "include revoked devices")
      .action(async (f) => setExitCode(await devicesList(ctx, f)));
    const sub = devices as unknown as Command;
    registerDevicesApprove(sub, ctx);
    registerDevicesEdit(sub, ctx);
    registerDevicesRenew(sub, ctx);
    registerDevicesRm(sub, ctx);
    registerDevicesLog(sub, ctx);
    registerDevicesImport(sub, ctx);
  },
};

// `handoff devices edit NAME`: sessions, read-only, expiry, name. Without flags on a
// terminal it asks, defaulting to the current values (the seed's Enter granted write
// access). A change of scope detaches the device's live clients, so it applies at once.

import type { Command } from "@commander-js/extra-typings";
import { setExitCode } from "../../core/cli.ts";
import { HandoffError, usageError } from "../../core/errors.ts";
import { errColors, errLine, jsonVisible, outLine } from "../../core/output.ts";
import { liveNames, updateDevice } from "../gate/devices_db.ts";
import { validDeviceName } from "../gate/grammar.ts";
import { detachClients, deviceAccess } from "./access.ts";
import type { CommandContext } from "../../core/registry.ts";
import { mustFind } from "./lookup.ts";
import { renewDevice } from "./devices_renew.ts";
import {
  askDuration,
  askValue,
  askYesNo,
  checkDuration,
  checkSessions,
  interactive,
  shown,
} from "./ui.ts";
import { deviceJson } from "./view.ts";

export interface EditFlags {
  sessions?: string;
  readOnly?: boolean;
  readWrite?: boolean;
  expires?: string;
  name?: string;
  json?: boolean;
}

export async function devicesEdit(
  ctx: CommandContext,
  target: string,
  f: EditFlags,
): Promise<number> {
  if (f.readOnly && f.readWrite) {
    throw usageError("--read-only and --read-write exclude each other");
  }
  let sessions = f.sessions === undefined ? undefined : checkSessions(f.sessions);
  let readOnly = f.readOnly ? true : f.readWrite ? false : undefined;
  let expires = f.expires;
  if (expires !== undefined) checkDuration(expires);
  if (f.name !== undefined && !validDeviceName(f.name)) {
    throw usageError(`--name: not a valid device name`);
  }
  const db = await ctx.openStore();
  try {
    const d = mustFind(db, target);
    if (d.status === "revoked") throw new HandoffError(`"${shown(d.name)}" is revoked`);
    const noFlags = sessions === undefined && readOnly === undefined && expires === undefined &&
      f.name === undefined;
    if (noFlags && interactive()) {
      sessions = await askValue("Sessions", d.sessions.join(","), checkSessions);
      readOnly = await askYesNo("Read-only?", d.readOnly);
      if (await askYesNo("Change the expiry?", false)) expires = await askDuration();
    } else if (noFlags) {
      throw usageError(
        "nothing to change: pass --sessions, --read-only/--read-write, --expires or --name",
      );
    }
    if (f.name !== undefined && f.name !== d.name && liveNames(db, d.id).has(f.name)) {
      throw new HandoffError(`another device is already named "${shown(f.name)}"`);
    }
    let updated = updateDevice(db, d.id, { sessions, readOnly, name: f.name })!;
    if (expires !== undefined && d.status === "active") {
      updated = renewDevice(db, await deviceAccess(ctx.registry), d.id, checkDuration(expires));
    }
    const scopeChanged =
      (sessions !== undefined && sessions.join("\n") !== d.sessions.join("\n")) ||
      (readOnly !== undefined && readOnly !== d.readOnly);
    const detached = scopeChanged ? await detachClients(db, updated) : 0;
    errLine(
      `${errColors().green("✓")} updated "${shown(updated.name)}": ` +
        `${updated.sessions.map(shown).join(", ")}, ${
          updated.readOnly ? "read-only" : "read/write"
        }, ` +
        (updated.softExpiry ? `expires ${updated.softExpiry}` : "never expires") +
        (detached ? ` (${detached} live client(s) detached to apply it)` : ""),
    );
    if (f.json) outLine(jsonVisible(deviceJson(updated), 2));
    return 0;
  } finally {
    db.close();
  }
}

export function registerDevicesEdit(devices: Command, ctx: CommandContext): void {
  devices.command("edit")
    .summary("change a device's sessions, mode, expiry or name")
    .description(
      "Change what a device may do. Without flags on a terminal it asks, with the current " +
        "values as defaults. Live tmux clients of the device are detached when its sessions or " +
        "mode change, so the new scope applies at once.",
    )
    .argument("<name>", "device name or fingerprint")
    .option("--sessions <patterns>", "comma-separated globs, e.g. 'main,work-*'")
    .option("--read-only", "watch only")
    .option("--read-write", "watch and type")
    .option("--expires <duration>", "new expiry from now: 24h, 7d, 30d or never")
    .option("--name <name>", "rename the device")
    .option("--json", "print the device as JSON on stdout")
    .action(async (name, f) => setExitCode(await devicesEdit(ctx, name, f)));
}

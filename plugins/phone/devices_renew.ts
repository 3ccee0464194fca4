// `handoff devices renew NAME [--expires D]`: a new expiry from now, in the gate and in
// sshd's key line (for "never", the line loses its expiry-time: the seed kept the old one).

import type { Command } from "@commander-js/extra-typings";
import { setExitCode } from "../../core/cli.ts";
import { HandoffError } from "../../core/errors.ts";
import { errColors, errLine, jsonVisible, outLine } from "../../core/output.ts";
import { updateDevice } from "../gate/devices_db.ts";
import { expiryFor } from "../gate/expiry.ts";
import { deviceAccess, installAccess } from "./access.ts";
import type { CommandContext } from "../../core/registry.ts";
import type { DeviceAccess } from "../../core/transport.ts";

import { mustFind } from "./lookup.ts";
import { askDuration, checkDuration, interactive, shown } from "./ui.ts";
import { deviceJson } from "./view.ts";

export async function devicesRenew(
  ctx: CommandContext,
  name: string,
  f: { expires?: string; json?: boolean },
): Promise<number> {
  if (f.expires !== undefined) checkDuration(f.expires);
  const access = await deviceAccess(ctx.registry);
  const db = await ctx.openStore();
  try {
    const d = mustFind(db, name);
    if (d.status !== "active") {
      throw new HandoffError(`"${shown(d.name)}" is ${d.status}, not active`);
    }
    const duration = f.expires ?? (interactive() ? await askDuration() : "30d");
    const updated = renewDevice(db, access, d.id, checkDuration(duration));
    errLine(
      `${errColors().green("✓")} renewed "${shown(updated.name)}": ` +
        (updated.softExpiry ? `expires ${updated.softExpiry}` : "never expires"),
    );
    if (f.json) outLine(jsonVisible(deviceJson(updated), 2));
    return 0;
  } finally {
    db.close();
  }
}

/** New soft/hard expiry from now, renewal request cleared, key line rewritten. */
export function renewDevice(
  db: Parameters<typeof updateDevice>[0],
  access: DeviceAccess,
  id: number,
  ms: number | null,
) {
  const { softExpiry, hardExpiry } = expiryFor(new Date(), ms);
  const updated = updateDevice(db, id, { softExpiry, hardExpiry, renewalRequested: false })!;
  installAccess(db, access, updated, updated.hardExpiry);
  return updated;
}

/** `devices renew`; also the original tool's top-level `handoff renew`. */
export function registerDevicesRenew(devices: Command, ctx: CommandContext): void {
  devices.command("renew")
    .summary("extend a device's access (answers a phone's renewal request)")
    .description(
      "Give a device a new expiry counted from now (asked on a terminal, else 30d). Its key " +
        "line in authorized_keys gets the matching hard expiry (48 h later), or none for never.",
    )
    .argument("<name>", "device name or fingerprint")
    .option("--expires <duration>", "24h, 7d, 30d or never")
    .option("--json", "print the device as JSON on stdout")
    .action(async (name, f) => setExitCode(await devicesRenew(ctx, name, f)));
}

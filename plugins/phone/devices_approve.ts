// `handoff devices approve NAME --code NNNNNN`: the scripted end of `pair --no-wait`. The
// code is the one the phone shows after its `pair` request; a wrong code activates nothing.

import type { Command } from "@commander-js/extra-typings";
import { timingSafeEqual } from "node:crypto";
import { setExitCode } from "../../core/cli.ts";
import { HandoffError, usageError } from "../../core/errors.ts";
import { errColors, errLine, jsonVisible, outLine } from "../../core/output.ts";
import { verificationCode } from "../gate/verification.ts";
import { deviceAccess, prepareDevices } from "./access.ts";
import type { CommandContext } from "../../core/registry.ts";

import { mustFind } from "./lookup.ts";
import { confirmDevice } from "./pair.ts";
import { shown } from "./ui.ts";
import { deviceJson } from "./view.ts";

/** Compares six-digit codes without an early exit (spaces allowed: `123 456`). */
export function codeMatches(expected: string, given: string): boolean {
  const g = given.replace(/\s/g, "");
  const a = new TextEncoder().encode(expected.padEnd(6, "x"));
  const b = new TextEncoder().encode(g.padEnd(6, "x").slice(0, 6));
  return g.length === 6 && timingSafeEqual(a, b);
}

export async function devicesApprove(
  ctx: CommandContext,
  name: string,
  f: { code: string; json?: boolean },
): Promise<number> {
  if (!/^\d{3} ?\d{3}$/.test(f.code.trim())) throw usageError("--code: six digits, e.g. 071706");
  const access = await deviceAccess(ctx.registry);
  const db = await ctx.openStore();
  try {
    await prepareDevices(db, access);
    const d = mustFind(db, name);
    if (d.status !== "pending") throw new HandoffError(`"${shown(d.name)}" is already ${d.status}`);
    if (!d.pairRequestedAt) {
      throw new HandoffError(
        `the phone has not asked to pair "${shown(d.name)}" yet`,
        1,
        "scan the QR code with the Handoff app first; it then shows the code",
      );
    }
    if (!codeMatches(verificationCode(d.fingerprint, d.nonce), f.code.trim())) {
      errLine(`${errColors().red("✗")} the code does not match: "${shown(d.name)}" stays pending`);
      return 1;
    }
    const active = confirmDevice(db, access, d);
    errLine(`${errColors().green("✓")} "${shown(active.name)}" paired`);
    if (f.json) outLine(jsonVisible(deviceJson(active), 2));
    return 0;
  } finally {
    db.close();
  }
}

export function registerDevicesApprove(devices: Command, ctx: CommandContext): void {
  devices.command("approve")
    .summary("activate a pending device whose phone shows this code")
    .description(
      "Activate a device left pending by `handoff pair --no-wait`, once its phone has scanned " +
        "the QR code and shows the six-digit code. A wrong code activates nothing.",
    )
    .argument("<name>", "device name or fingerprint")
    .requiredOption("--code <digits>", "the six-digit code the phone shows")
    .option("--json", "print the device as JSON on stdout")
    .action(async (name, f) =>
      setExitCode(await devicesApprove(ctx, name, f as { code: string; json?: boolean }))
    );
}

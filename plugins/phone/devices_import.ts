// `handoff devices import-seed [--dry-run] [--json]`: the original phone tool's devices
// brought over (gate/seed_import.ts).

import type { Command } from "@commander-js/extra-typings";
import { setExitCode } from "../../core/cli.ts";
import { errLine, jsonVisible, outLine } from "../../core/output.ts";
import type { CommandContext } from "../../core/registry.ts";
import { importSeed } from "../gate/seed_import.ts";
import { accessStore, deviceAccess } from "./access.ts";
import { reportSeedImport } from "./seed_auto.ts";

export async function devicesImportSeed(
  ctx: CommandContext,
  f: { dryRun?: boolean; json?: boolean; authorizedKeys?: string },
): Promise<number> {
  const access = await deviceAccess(ctx.registry);
  const db = await ctx.openStore();
  try {
    const store = f.authorizedKeys ?? accessStore(db, access);
    const r = importSeed(db, ctx.paths().home, access, store, { dryRun: f.dryRun });
    reportSeedImport(db, r, f.dryRun);
    if (f.json) outLine(jsonVisible(r, 2));
    if (r.unreadable) return 1;
    if (!r.imported.length && !r.skipped.length) {
      errLine("The original tool's registry lists no devices.");
    }
    return 0;
  } finally {
    db.close();
  }
}

export function registerDevicesImport(devices: Command, ctx: CommandContext): void {
  devices.command("import-seed")
    .summary("bring over the phones paired with the original handoff (devices.json)")
    .description(
      "Every device in <home>/devices.json (the original phone tool's registry) becomes a " +
        "handoff device with the same key, sessions, read-only flag and expiry, and its " +
        "authorized_keys line gets handoff's forced command; the phone keeps working without " +
        "pairing again. Done once by itself; run it again to retry what was skipped. The old " +
        "file is kept.",
    )
    .option("--dry-run", "say what would be imported, change nothing")
    .option("--authorized-keys <file>", "the file holding the devices' key lines")
    .option("--json", "print the report as JSON on stdout")
    .action(async (f) => setExitCode(await devicesImportSeed(ctx, f)));
}

// `handoff devices import-seed [--dry-run] [--json]`: the original phone tool's devices
// brought over (gate/seed_import.ts), and the report of what was and was not.

import type { Command } from "@commander-js/extra-typings";
import { setExitCode } from "../../core/cli.ts";
import { errColors, errLine, escapeControls, jsonVisible, outLine } from "../../core/output.ts";
import { paths, tildePath } from "../../core/paths.ts";
import type { CommandContext } from "../../core/registry.ts";
import { type Db, getSetting, openDb, setSetting } from "../../core/store.ts";
import type { DeviceAccess } from "../../core/transport.ts";
import {
  importSeed,
  type SeedImport,
  seedImportDue,
  seedPrivateKeys,
} from "../gate/seed_import.ts";
import { SEED_IMPORTED } from "../gate/seed_due.ts";
import { accessStore, deviceAccess } from "./access.ts";

/** Set once the user was told where the old tool's private keys are. */
const KEYS_TOLD = "seed.private_keys_told";

/** The report on stderr: what came over, what did not and why, and the old private keys. */
export function reportSeedImport(db: Db, r: SeedImport, dryRun = false): void {
  const c = errColors();
  const verb = dryRun ? "would import" : "imported";
  if (r.unreadable) {
    errLine(
      `${c.yellow("!")} original tool's devices: ${escapeControls(r.unreadable)} (file kept)`,
    );
    return;
  }
  for (const d of r.imported) {
    errLine(`${c.green("✓")} ${verb} "${escapeControls(d.name)}" from ${tildePath(r.file)}`);
  }
  for (const s of r.skipped) {
    errLine(
      `${c.yellow("!")} not imported: "${escapeControls(s.entry)}": ${escapeControls(s.why)}`,
    );
  }
  for (const name of r.removedLines) {
    errLine(
      `${c.yellow("!")} ${dryRun ? "would remove" : "removed"} the key line of "${
        escapeControls(name)
      }"`,
    );
  }
  if (dryRun || getSetting(db, KEYS_TOLD) === undefined) tellPrivateKeys(db, r.privateKeys, dryRun);
}

/** Once: where the old tool's private keys are, and the command that deletes them. */
function tellPrivateKeys(db: Db, files: string[], dryRun = false): void {
  if (files.length === 0) return;
  errLine(
    `${errColors().yellow("!")} the original tool kept ${files.length} private key file(s) on ` +
      "disk (handoff never reads them, and phones do not need them): delete them with",
  );
  errLine(`    rm -f ${files.map((f) => tildePath(f)).join(" ")}`);
  if (!dryRun) setSetting(db, KEYS_TOLD, "1");
}

/**
 * The automatic import, the first time a phone command meets a home that has devices.json;
 * after an import the gate did (it cannot talk), the private-key notice is given here.
 */
export function importSeedIfDue(db: Db, access: DeviceAccess): void {
  const home = paths().home;
  if (seedImportDue(db, home)) {
    reportSeedImport(db, importSeed(db, home, access, accessStore(db, access)));
  } else if (
    getSetting(db, SEED_IMPORTED) !== undefined && getSetting(db, KEYS_TOLD) === undefined
  ) {
    tellPrivateKeys(db, seedPrivateKeys(home));
  }
}

export async function devicesImportSeed(
  ctx: CommandContext,
  f: { dryRun?: boolean; json?: boolean; authorizedKeys?: string },
): Promise<number> {
  const access = await deviceAccess(ctx.registry);
  const db = openDb(paths().db);
  try {
    const store = f.authorizedKeys ?? accessStore(db, access);
    const r = importSeed(db, paths().home, access, store, { dryRun: f.dryRun });
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

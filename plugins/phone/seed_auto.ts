// The original tool's devices imported by themselves: the first time a phone command meets
// a home that has its devices.json (see gate/seed_import.ts), and the report of it.

import { errColors, errLine, escapeControls } from "../../core/output.ts";
import { paths, tildePath } from "../../core/paths.ts";
import { type Db, getSetting, setSetting } from "../../core/store.ts";
import type { DeviceAccess } from "../../core/transport.ts";
import { SEED_IMPORTED } from "../gate/seed_due.ts";
import {
  importSeed,
  type SeedImport,
  seedImportDue,
  seedPrivateKeys,
} from "../gate/seed_import.ts";
import { accessStore } from "../gate/settings.ts";

/** One word for sh: the paths are pasted into a terminal by the user. */
function shellWord(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

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
  errLine(`    rm -f ${files.map((f) => shellWord(escapeControls(f))).join(" ")}`);
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

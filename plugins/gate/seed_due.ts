// Whether the original phone tool's registry still has to be imported: cheap enough for
// every gate call (one settings row, one stat); the import itself is seed_import.ts.

import { join } from "../../core/path.ts";
import { type Db, getSetting } from "../../core/store.ts";

/** The settings key that records the import (so the automatic one runs once). */
export const SEED_IMPORTED = "seed.devices_imported";

export function seedRegistryPath(home: string): string {
  return join(home, "devices.json");
}

/** True when the home has the old tool's registry and it was never imported. */
export function seedImportDue(db: Db, home: string): boolean {
  if (getSetting(db, SEED_IMPORTED) !== undefined) return false;
  try {
    return Deno.statSync(seedRegistryPath(home)).isFile;
  } catch {
    return false;
  }
}

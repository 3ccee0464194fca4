/**
 * Bringing the original phone tool's devices over: every device in `~/.handoff/devices.json`
 * becomes a handoff device with the same fingerprint and rights, and its authorized_keys
 * line gets handoff's own forced command (the key and every other line stay as they are).
 * A phone paired with the old tool keeps working without pairing again.
 *
 * Done once by itself, when handoff first meets such a home (the gate, for a key it does
 * not know; the phone commands), and on demand (`handoff devices import-seed`). The old
 * file is never changed or removed. The old tool's private keys (`keys/`, `pair_qr.png`)
 * are never read: the import only says where they are and how to delete them.
 */
import { join } from "../../core/path.ts";
import { isoUtc } from "../../core/instant.ts";
import { type Db, setSetting, transaction } from "../../core/store.ts";
import type { DeviceAccess } from "../../core/transport.ts";
import { gateCommand } from "./command.ts";
import { deviceByFingerprint, insertImported } from "./devices_db.ts";
import { parseSeedRegistry, type SeedSkip } from "./seed_devices.ts";
import { SEED_IMPORTED, seedRegistryPath } from "./seed_due.ts";

export { seedImportDue } from "./seed_due.ts";

export interface SeedImport {
  file: string;
  imported: { name: string; fingerprint: string }[];
  skipped: SeedSkip[];
  /** Key lines taken out: pending pairings of the old tool (their keys could still log in). */
  removedLines: string[];
  /** The old tool's private key files, left for the user to delete. */
  privateKeys: string[];
  /** The whole file could not be read (nothing imported). */
  unreadable?: string;
}

/** What the old tool left on disk that holds private keys (never read, only named). */
export function seedPrivateKeys(home: string): string[] {
  const found: string[] = [];
  try {
    for (const e of Deno.readDirSync(join(home, "keys"))) {
      if (e.isFile && !e.name.endsWith(".pub") && !e.name.startsWith(".pair-")) {
        found.push(join(home, "keys", e.name));
      }
    }
  } catch { /* no keys folder */ }
  try {
    if (Deno.statSync(join(home, "pair_qr.png")).isFile) found.push(join(home, "pair_qr.png"));
  } catch { /* none */ }
  return found.sort();
}

/**
 * Imports what devices.json holds. `access` rewrites the key lines in `store` (without it
 * a device cannot be imported: its key is read from its line). `dryRun` writes nothing.
 */
export function importSeed(
  db: Db,
  home: string,
  access: DeviceAccess | null,
  store: string,
  o: { dryRun?: boolean; now?: Date } = {},
): SeedImport {
  const file = seedRegistryPath(home);
  const report: SeedImport = {
    file,
    imported: [],
    skipped: [],
    removedLines: [],
    privateKeys: seedPrivateKeys(home),
  };
  let text: string;
  try {
    text = Deno.readTextFileSync(file);
  } catch (e) {
    report.unreadable = `cannot read ${file}: ${(e as Error).message}`;
    return report;
  }
  let registry;
  try {
    registry = parseSeedRegistry(text);
  } catch (e) {
    report.unreadable = (e as Error).message;
    return report;
  }
  report.skipped.push(...registry.skipped);
  for (const d of registry.devices) {
    const skip = (why: string) => report.skipped.push({ entry: d.name, why });
    if (deviceByFingerprint(db, d.fingerprint)) {
      skip("already a handoff device");
      continue;
    }
    if (!access?.installed) {
      skip("no transport reads device keys (handoff plugin enable sshd)");
      continue;
    }
    const line = access.installed(store, d.fingerprint);
    if (d.status !== "active") {
      // Revoked, or a pairing nobody finished: its key may still log in (the old tool
      // never removed a pending one), and no device answers for it any more.
      skip(
        d.status === "revoked"
          ? "revoked in the original tool"
          : "a pairing that was never confirmed (pair the phone again)",
      );
      if (line) {
        if (!o.dryRun) transaction(db, () => access.remove(store, d.fingerprint));
        report.removedLines.push(d.name);
      }
      continue;
    }
    if (line === null) {
      skip(`no key line for it in ${store} (the phone cannot log in; pair it again)`);
      continue;
    }
    // The line's own limits stay: its from=, and the earlier of its expiry and the device's.
    const hard = d.hardExpiry === null ? null : Date.parse(d.hardExpiry);
    const until = line.expiresMs === null
      ? hard
      : hard === null
      ? line.expiresMs
      : Math.min(hard, line.expiresMs);
    const key = line.key;
    if (o.dryRun) {
      report.imported.push({ name: d.name, fingerprint: d.fingerprint });
      continue;
    }
    try {
      transaction(db, () => {
        const stored = insertImported(db, {
          ...d,
          hardExpiry: until === null ? null : isoUtc(until),
          publicKey: key,
          authorizedKeys: store,
          keyFrom: line.from,
        });
        access.put(store, {
          fingerprint: d.fingerprint,
          publicKey: key,
          command: gateCommand(home, d.fingerprint),
          until: until === null ? null : isoUtc(until),
          from: line.from,
        }, false);
        report.imported.push({ name: stored.name, fingerprint: d.fingerprint });
      });
    } catch (e) {
      // One line handoff cannot write (say, a from= it cannot keep) costs only that device.
      skip(`its key line could not be rewritten (${(e as Error).message}); left as it was`);
    }
  }
  // Without a transport that reads keys nothing could be imported: the next call tries again.
  if (!o.dryRun && access?.installed) {
    setSetting(
      db,
      SEED_IMPORTED,
      JSON.stringify({
        at: isoUtc((o.now ?? new Date()).getTime()),
        imported: report.imported.length,
      }),
    );
  }
  return report;
}

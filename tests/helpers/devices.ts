// Paired devices made directly in a home's store, for tests of what devices may do (the
// pairing flow itself is tested through the real sshd elsewhere).

import { join } from "node:path";
import { openDb } from "../../core/store.ts";
import { activate, insertPending } from "../../plugins/gate/devices_db.ts";

export interface TestDevice {
  sessions?: string[];
  readOnly?: boolean;
  status?: "active" | "pending" | "revoked";
  softExpiry?: string;
}

let next = 0;

/** Adds a device to the home's database; returns its fingerprint. */
export function addDevice(home: string, name: string, o: TestDevice = {}): string {
  const db = openDb(join(home, "handoff.db"));
  try {
    const fingerprint = `SHA256:${String(next++).padStart(43, "A")}`;
    const d = insertPending(db, {
      name,
      nameLocked: true,
      fingerprint,
      publicKey: "ssh-ed25519 AAAA test",
      sessions: o.sessions ?? ["*"],
      readOnly: o.readOnly ?? false,
      nonce: "n",
      createdAt: new Date().toISOString(),
      softExpiry: o.softExpiry ?? null,
      hardExpiry: null,
      pendingUntil: new Date(Date.now() + 600_000).toISOString(),
      authorizedKeys: join(home, "authorized_keys"),
      keyFrom: null,
    });
    if (o.status !== "pending") activate(db, d.id);
    if (o.status === "revoked") {
      db.prepare("UPDATE devices SET status = 'revoked' WHERE id = ?").run(d.id);
    }
    return fingerprint;
  } finally {
    db.close();
  }
}

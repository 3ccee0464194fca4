// What a device's access is made of outside the database: its grant in the transport
// (an authorized_keys line with sshd), and the tmux clients it has attached. Shared by
// pair, devices and status.

import type { Db } from "../../core/store.ts";
import { getSetting, transaction } from "../../core/store.ts";
import { handoffHome } from "../../core/paths.ts";
import { isSameProcess, killPid } from "../../core/proc.ts";
import { HandoffError } from "../../core/errors.ts";
import type { Registry } from "../../core/registry.ts";
import type { AccessGrant, DeviceAccess } from "../../core/transport.ts";
import { isoUtc } from "../gate/expiry.ts";
import { gateCommand } from "../gate/command.ts";
import {
  endAttachment,
  openAttachments,
  removeDevice,
  type StoredDevice,
} from "../gate/devices_db.ts";
import { resolveTmux } from "../tmux/tmux.ts";
import { applyScopeHooks } from "../tmux/scope_hooks.ts";
import { accessStore, SETTING } from "../gate/settings.ts";

export { gateCommand };

export { accessStore, SETTING };

/** The transport that installs device keys (sshd); an error saying what to do without one. */
export async function deviceAccess(registry: Registry): Promise<DeviceAccess> {
  const access = await registry.access();
  if (!access) {
    throw new HandoffError(
      "no transport installs device keys (the sshd plugin is disabled?)",
      1,
      "handoff plugin enable sshd",
    );
  }
  return access;
}

/** The device's grant: forced gate command, expiry (`until`, ISO) and from=. */
export function grantFor(
  device: Pick<StoredDevice, "fingerprint" | "publicKey" | "keyFrom">,
  until: string | null,
  home = handoffHome(),
): AccessGrant {
  if (!device.publicKey) throw new Error(`device ${device.fingerprint} has no public key stored`);
  return {
    fingerprint: device.fingerprint,
    publicKey: device.publicKey,
    command: gateCommand(home, device.fingerprint),
    until,
    from: device.keyFrom,
  };
}

/** Writes (or rewrites) the device's access; the database write lock serialises editors. */
export function installAccess(
  db: Db,
  access: DeviceAccess,
  device: StoredDevice,
  until: string | null,
  add = false,
): void {
  const store = device.authorizedKeys ?? accessStore(db, access);
  const grant = grantFor(device, until);
  transaction(db, () => access.put(store, grant, add));
}

export function removeAccess(db: Db, access: DeviceAccess, device: StoredDevice): number {
  const store = device.authorizedKeys ?? accessStore(db, access);
  return transaction(db, () => access.remove(store, device.fingerprint));
}

/**
 * Ends the device's live tmux clients (seed weakness 13: revocation left them running).
 * The client is the gate's pid after execve; SIGHUP makes tmux detach it cleanly. (Each
 * client's guard would notice the change within a second anyway; this is at once.)
 */
export async function detachClients(db: Db, device: StoredDevice): Promise<number> {
  let detached = 0;
  const ended: number[] = [];
  for (const a of openAttachments(db, device.id)) {
    if (isSameProcess(a.pid, a.pidStart) && killPid(a.pid!, "SIGHUP")) detached++;
    if (endAttachment(db, a.id, isoUtc(Date.now()))) ended.push(a.id);
  }
  const bin = resolveTmux(getSetting(db, SETTING.tmuxPath));
  if (bin && ended.length) {
    await applyScopeHooks({ bin, socket: getSetting(db, SETTING.tmuxSocket) ?? null }, null, ended);
  }
  return detached;
}

/**
 * Everything a device had. Revoked first (a gate deciding now refuses it, and one that
 * decided before has recorded its attachment by now), then its live clients, then its
 * key line. An active device's row is kept as revoked, for the log.
 */
export async function revokeEverywhere(
  db: Db,
  access: DeviceAccess,
  device: StoredDevice,
): Promise<{ clients: number; lines: number }> {
  removeDevice(db, device.id, isoUtc(Date.now()));
  const clients = await detachClients(db, device);
  const lines = removeAccess(db, access, device);
  return { clients, lines };
}

/**
 * Before a phone command looks at devices: the original tool's come over the first time
 * (see seed_auto.ts), and stale pendings go (pruneExpiredPending).
 */
export async function prepareDevices(db: Db, access: DeviceAccess): Promise<void> {
  (await import("./seed_auto.ts")).importSeedIfDue(db, access);
  await pruneExpiredPending(db, access);
}

/**
 * Pending devices whose pairing window has passed (their `handoff pair` was killed, or a
 * `--no-wait` pairing was never approved) are removed with their key line.
 */
export async function pruneExpiredPending(
  db: Db,
  access: DeviceAccess,
  now = new Date(),
): Promise<number> {
  const rows = db.prepare(
    "SELECT id FROM devices WHERE status = 'pending' AND pending_until IS NOT NULL AND pending_until < ?",
  ).all(isoUtc(now.getTime())) as unknown as { id: number }[];
  const { deviceById } = await import("../gate/devices_db.ts");
  for (const { id } of rows) {
    const d = deviceById(db, id);
    if (d) await revokeEverywhere(db, access, d);
  }
  return rows.length;
}

// What a device's access is made of outside the database: its authorized_keys line, and
// the tmux clients it has attached. Shared by pair, devices and the gate's bookkeeping.

import type { Db } from "../../core/store.ts";
import { getSetting, transaction } from "../../core/store.ts";
import { handoffHome } from "../../core/paths.ts";
import { isSameProcess, killPid } from "../../core/proc.ts";
import { authorizedKeysExpiry } from "../gate/expiry.ts";
import { isoUtc } from "../gate/expiry.ts";
import { selfProgram } from "../../core/self.ts";
import { authorizedKeysLine } from "../sshd/authorized_keys.ts";
import {
  addKeyLine,
  defaultAuthorizedKeys,
  removeKeyLines,
  replaceKeyLine,
} from "../sshd/keys_file.ts";
import { sshdVersion, supportsUtcExpiry } from "../sshd/sshd.ts";
import {
  endAttachment,
  openAttachments,
  removeDevice,
  type StoredDevice,
} from "../gate/devices_db.ts";
import { resolveTmux } from "../tmux/tmux.ts";
import { applyScopeHooks } from "../tmux/scope_hooks.ts";
import { SETTING } from "../gate/settings.ts";

/** argv of the forced command for one device: the home goes before `gate` (main.ts reads it). */
export function gateCommand(home: string, fingerprint: string): string[] {
  return [selfProgram(home), "--home", home, "gate", fingerprint];
}

export { SETTING };

/** The authorized_keys file new devices go to: the setting, else ~/.ssh/authorized_keys. */
export function authorizedKeysFile(db: Db): string {
  return getSetting(db, SETTING.authorizedKeys) ?? defaultAuthorizedKeys();
}

let utcExpiry: boolean | undefined;

/** The device's line: forced gate command, restrict,pty, expiry (`until`, ISO) and from=. */
export function keyLineFor(
  device: Pick<StoredDevice, "fingerprint" | "publicKey" | "keyFrom">,
  until: string | null,
  home = handoffHome(),
): string {
  if (!device.publicKey) throw new Error(`device ${device.fingerprint} has no public key stored`);
  utcExpiry ??= supportsUtcExpiry(sshdVersion());
  return authorizedKeysLine({
    command: gateCommand(home, device.fingerprint),
    publicKeyLine: device.publicKey,
    expiryTime: until === null ? undefined : authorizedKeysExpiry(until, { utcSuffix: utcExpiry }),
    from: device.keyFrom ?? undefined,
  });
}

/** Writes (or rewrites) the device's line; the database write lock serialises editors. */
export function installKeyLine(
  db: Db,
  device: StoredDevice,
  until: string | null,
  add = false,
): void {
  const file = device.authorizedKeys ?? authorizedKeysFile(db);
  const line = keyLineFor(device, until);
  transaction(
    db,
    () => (add ? addKeyLine(file, line) : replaceKeyLine(file, device.fingerprint, line)),
  );
}

export function removeKeyLine(db: Db, device: StoredDevice): number {
  const file = device.authorizedKeys ?? authorizedKeysFile(db);
  return transaction(db, () => removeKeyLines(file, device.fingerprint));
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
  device: StoredDevice,
): Promise<{ clients: number; lines: number }> {
  removeDevice(db, device.id, isoUtc(Date.now()));
  const clients = await detachClients(db, device);
  const lines = removeKeyLine(db, device);
  return { clients, lines };
}

/**
 * Pending devices whose pairing window has passed (their `handoff pair` was killed, or a
 * `--no-wait` pairing was never approved) are removed with their key line.
 */
export async function pruneExpiredPending(db: Db, now = new Date()): Promise<number> {
  const rows = db.prepare(
    "SELECT id FROM devices WHERE status = 'pending' AND pending_until IS NOT NULL AND pending_until < ?",
  ).all(isoUtc(now.getTime())) as unknown as { id: number }[];
  const { deviceById } = await import("../gate/devices_db.ts");
  for (const { id } of rows) {
    const d = deviceById(db, id);
    if (d) await revokeEverywhere(db, d);
  }
  return rows.length;
}

// Devices and attachments in SQLite. Every read-modify-write runs in a `BEGIN IMMEDIATE`
// transaction, so the phone's polling (a gate call every 2 s while pairing) can never
// overwrite an activation with a stale copy (seed weakness 9).

import type { Db } from "../../core/store.ts";
import { transaction } from "../../core/store.ts";
import type { Device, DeviceStatus } from "./device.ts";

/** A device as stored: the gate's view plus what pairing and revocation need. */
export interface StoredDevice extends Device {
  /** `ssh-ed25519 AAAA… comment`: rewrites the authorized_keys line on renew. */
  publicKey: string | null;
  /** The authorized_keys file holding this device's line. */
  authorizedKeys: string | null;
  /** The line's `from=` option, if any. */
  keyFrom: string | null;
  /** The name the phone sent with `pair`. */
  reportedName: string | null;
  /** The user chose the name (`pair --name`): the phone's name does not replace it. */
  nameLocked: boolean;
  /** ISO UTC: a pending device that has not been confirmed by then is void. */
  pendingUntil: string | null;
  /** ISO UTC: when the phone sent `pair` (and so saw the code). */
  pairRequestedAt: string | null;
  /** The address the first `pair` request came from (SSH_CONNECTION), if known. */
  pairSource: string | null;
  revokedAt: string | null;
  /** Why the device was revoked when it was not a person's `devices rm` (e.g. `pair_conflict`). */
  revokedReason: string | null;
}

interface Row {
  id: number;
  name: string;
  fingerprint: string;
  status: string;
  sessions: string;
  read_only: number;
  nonce: string;
  created_at: string;
  soft_expiry: string | null;
  hard_expiry: string | null;
  renewal_requested: number;
  last_seen: string | null;
  last_command: string | null;
  pair_requested_at: string | null;
  public_key: string | null;
  authorized_keys: string | null;
  key_from: string | null;
  reported_name: string | null;
  name_locked: number;
  pending_until: string | null;
  revoked_at: string | null;
  pair_source: string | null;
  revoked_reason: string | null;
}

function parseSessions(text: string): string[] {
  try {
    const v = JSON.parse(text);
    return Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];
  } catch {
    return []; // unreadable patterns allow nothing
  }
}

function toStatus(s: string): DeviceStatus {
  return s === "active" || s === "pending" ? s : "revoked";
}

export function rowToDevice(r: Row): StoredDevice {
  return {
    id: r.id,
    name: r.name,
    fingerprint: r.fingerprint,
    status: toStatus(r.status),
    sessions: parseSessions(r.sessions),
    readOnly: r.read_only !== 0,
    nonce: r.nonce,
    createdAt: r.created_at,
    softExpiry: r.soft_expiry,
    hardExpiry: r.hard_expiry,
    renewalRequested: r.renewal_requested !== 0,
    lastSeen: r.last_seen,
    lastCommand: r.last_command,
    pairRequestedAt: r.pair_requested_at,
    publicKey: r.public_key,
    authorizedKeys: r.authorized_keys,
    keyFrom: r.key_from,
    reportedName: r.reported_name,
    nameLocked: r.name_locked !== 0,
    pendingUntil: r.pending_until,
    pairSource: r.pair_source,
    revokedAt: r.revoked_at,
    revokedReason: r.revoked_reason,
  };
}

export function deviceByFingerprint(db: Db, fingerprint: string): StoredDevice | null {
  const row = db.prepare("SELECT * FROM devices WHERE fingerprint = ?").get(fingerprint) as
    | Row
    | undefined;
  return row ? rowToDevice(row) : null;
}

export function deviceById(db: Db, id: number): StoredDevice | null {
  const row = db.prepare("SELECT * FROM devices WHERE id = ?").get(id) as Row | undefined;
  return row ? rowToDevice(row) : null;
}

/** A live (pending or active) device by exact name, or by exact fingerprint. */
export function findLiveDevice(db: Db, nameOrFingerprint: string): StoredDevice | null {
  const row = db.prepare(
    "SELECT * FROM devices WHERE status != 'revoked' AND (name = ? OR fingerprint = ?) " +
      "ORDER BY name = ? DESC LIMIT 1",
  ).get(nameOrFingerprint, nameOrFingerprint, nameOrFingerprint) as Row | undefined;
  return row ? rowToDevice(row) : null;
}

/** Any device (revoked ones too, newest first) by name or fingerprint: for the log. */
export function findAnyDevices(db: Db, nameOrFingerprint: string): StoredDevice[] {
  const rows = db.prepare(
    "SELECT * FROM devices WHERE name = ? OR fingerprint = ? ORDER BY status = 'revoked', id DESC",
  ).all(nameOrFingerprint, nameOrFingerprint) as unknown as Row[];
  return rows.map(rowToDevice);
}

export function listDevices(db: Db, opts: { all?: boolean } = {}): StoredDevice[] {
  const rows = db.prepare(
    `SELECT * FROM devices ${opts.all ? "" : "WHERE status != 'revoked'"} ORDER BY id`,
  ).all() as unknown as Row[];
  return rows.map(rowToDevice);
}

export function liveNames(db: Db, exceptId = -1): Set<string> {
  const rows = db.prepare("SELECT name FROM devices WHERE status != 'revoked' AND id != ?")
    .all(exceptId) as unknown as { name: string }[];
  return new Set(rows.map((r) => r.name));
}

/** `base`, or `base (2)`, `base (3)`… : the first name no live device uses. */
export function uniqueName(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let n = 2;; n++) {
    const candidate = `${base} (${n})`;
    if (!taken.has(candidate)) return candidate;
  }
}

export interface NewDevice {
  name: string;
  nameLocked: boolean;
  fingerprint: string;
  publicKey: string;
  sessions: string[];
  readOnly: boolean;
  nonce: string;
  createdAt: string;
  softExpiry: string | null;
  hardExpiry: string | null;
  pendingUntil: string;
  authorizedKeys: string;
  keyFrom: string | null;
}

export function insertPending(db: Db, d: NewDevice): StoredDevice {
  return transaction(db, () => {
    const name = uniqueName(d.name, liveNames(db));
    db.prepare(
      `INSERT INTO devices (name, fingerprint, status, sessions, read_only, nonce, created_at,
         soft_expiry, hard_expiry, public_key, authorized_keys, key_from, name_locked, pending_until)
       VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      name,
      d.fingerprint,
      JSON.stringify(d.sessions),
      d.readOnly ? 1 : 0,
      d.nonce,
      d.createdAt,
      d.softExpiry,
      d.hardExpiry,
      d.publicKey,
      d.authorizedKeys,
      d.keyFrom,
      d.nameLocked ? 1 : 0,
      d.pendingUntil,
    );
    return deviceByFingerprint(db, d.fingerprint)!;
  });
}

/** Pending → active, only if still pending (a concurrent reject wins). */
export function activate(db: Db, id: number): StoredDevice | null {
  return transaction(db, () => {
    const res = db.prepare(
      "UPDATE devices SET status = 'active', pending_until = NULL WHERE id = ? AND status = 'pending'",
    ).run(id);
    return Number(res.changes) === 1 ? deviceById(db, id) : null;
  });
}

/**
 * A pending device is forgotten entirely; an active one is kept as `revoked` for the log.
 * With a `reason` a pending one is kept as revoked too, so whoever was waiting on it (its
 * `handoff pair`) can say why it went.
 */
export function removeDevice(db: Db, id: number, now: string, reason?: string): void {
  transaction(db, () => {
    if (reason === undefined) {
      db.prepare("DELETE FROM devices WHERE id = ? AND status = 'pending'").run(id);
    }
    db.prepare(
      "UPDATE devices SET status = 'revoked', revoked_at = ?, revoked_reason = ? " +
        "WHERE id = ? AND status != 'revoked'",
    ).run(now, reason ?? null, id);
  });
}

export interface DeviceChanges {
  name?: string;
  sessions?: string[];
  readOnly?: boolean;
  softExpiry?: string | null;
  hardExpiry?: string | null;
  renewalRequested?: boolean;
}

export function updateDevice(db: Db, id: number, c: DeviceChanges): StoredDevice | null {
  return transaction(db, () => {
    const sets: string[] = [];
    const args: (string | number | null)[] = [];
    const set = (col: string, v: string | number | null) => {
      sets.push(`${col} = ?`);
      args.push(v);
    };
    if (c.name !== undefined) set("name", c.name);
    if (c.sessions !== undefined) set("sessions", JSON.stringify(c.sessions));
    if (c.readOnly !== undefined) set("read_only", c.readOnly ? 1 : 0);
    if (c.softExpiry !== undefined) set("soft_expiry", c.softExpiry);
    if (c.hardExpiry !== undefined) set("hard_expiry", c.hardExpiry);
    if (c.renewalRequested !== undefined) set("renewal_requested", c.renewalRequested ? 1 : 0);
    if (sets.length) {
      db.prepare(`UPDATE devices SET ${sets.join(", ")} WHERE id = ? AND status != 'revoked'`)
        .run(...args, id);
    }
    return deviceById(db, id);
  });
}

// ---------------------------------------------------------------------------------------
// Attachments: a tmux client a device opened. The gate's pid is the client's pid (execve
// keeps it); the row is open until that process is gone, which is checked lazily.

export interface Attachment {
  id: number;
  deviceId: number;
  session: string;
  /** Id (`$3`) of the session attached to. */
  sessionId: string | null;
  /** A read-only phone's own session in that session's group (see the gate). */
  ownSessionId: string | null;
  window: number | null;
  pid: number | null;
  pidStart: string | null;
  tty: string | null;
  readOnly: boolean;
  /** The device's session patterns when it attached (null: recorded before they were kept). */
  sessions: string[] | null;
  startedAt: string;
  endedAt: string | null;
}

interface AttachmentRow {
  id: number;
  device_id: number;
  session: string;
  session_id: string | null;
  own_session_id: string | null;
  window: number | null;
  pid: number | null;
  pid_start: string | null;
  tty: string | null;
  read_only: number;
  sessions: string | null;
  started_at: string;
  ended_at: string | null;
}

function toAttachment(r: AttachmentRow): Attachment {
  return {
    id: r.id,
    deviceId: r.device_id,
    session: r.session,
    sessionId: r.session_id,
    ownSessionId: r.own_session_id,
    window: r.window,
    pid: r.pid,
    pidStart: r.pid_start,
    tty: r.tty,
    readOnly: r.read_only !== 0,
    sessions: r.sessions === null ? null : parseSessions(r.sessions),
    startedAt: r.started_at,
    endedAt: r.ended_at,
  };
}

export function insertAttachment(
  db: Db,
  a: Omit<Attachment, "id" | "endedAt" | "ownSessionId">,
): number {
  const res = db.prepare(
    `INSERT INTO attachments (device_id, session, session_id, window, pid, pid_start, tty,
       read_only, sessions, started_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    a.deviceId,
    a.session,
    a.sessionId,
    a.window,
    a.pid,
    a.pidStart,
    a.tty,
    a.readOnly ? 1 : 0,
    a.sessions === null ? null : JSON.stringify(a.sessions),
    a.startedAt,
  );
  return Number(res.lastInsertRowid);
}

export function attachmentById(db: Db, id: number): Attachment | null {
  const row = db.prepare("SELECT * FROM attachments WHERE id = ?").get(id) as
    | AttachmentRow
    | undefined;
  return row ? toAttachment(row) : null;
}

export function setOwnSession(db: Db, id: number, sessionId: string): void {
  db.prepare("UPDATE attachments SET own_session_id = ? WHERE id = ?").run(sessionId, id);
}

/** The process that is the attachment's tmux client, when it is not the gate's own pid. */
export function setAttachmentProcess(
  db: Db,
  id: number,
  pid: number,
  pidStart: string | null,
): void {
  db.prepare("UPDATE attachments SET pid = ?, pid_start = ? WHERE id = ?").run(pid, pidStart, id);
}

export function openAttachments(db: Db, deviceId?: number): Attachment[] {
  const rows =
    (deviceId === undefined
      ? db.prepare("SELECT * FROM attachments WHERE ended_at IS NULL ORDER BY id").all()
      : db.prepare("SELECT * FROM attachments WHERE ended_at IS NULL AND device_id = ? ORDER BY id")
        .all(deviceId)) as unknown as AttachmentRow[];
  return rows.map(toAttachment);
}

export function endAttachment(db: Db, id: number, now: string): boolean {
  const res = db.prepare("UPDATE attachments SET ended_at = ? WHERE id = ? AND ended_at IS NULL")
    .run(now, id);
  return Number(res.changes) === 1;
}

// ---------------------------------------------------------------------------------------
// Streams: open `subscribe` connections, counted against a device's cap. A row is open
// until its gate process is gone (checked lazily, as for attachments).

/**
 * Records a stream for the device (rows of dead processes are closed on the way). At the
 * cap the oldest live streams are named for the caller to end: a phone that vanished
 * without a FIN leaves streams nobody can tell from live ones, and it must still be able
 * to subscribe again. Call inside a write transaction.
 */
export function openStream(
  db: Db,
  deviceId: number,
  max: number,
  proc: { pid: number; pidStart: string | null },
  now: string,
  alive: (pid: number, pidStart: string | null) => boolean,
): { id: number; evict: number[] } {
  const rows = db.prepare(
    "SELECT id, pid, pid_start FROM streams WHERE device_id = ? AND ended_at IS NULL ORDER BY id",
  ).all(deviceId) as unknown as { id: number; pid: number | null; pid_start: string | null }[];
  const live: { id: number; pid: number }[] = [];
  for (const r of rows) {
    if (r.pid !== null && alive(r.pid, r.pid_start)) live.push({ id: r.id, pid: r.pid });
    else endStream(db, r.id, now);
  }
  const evict = live.slice(0, Math.max(0, live.length - max + 1));
  for (const e of evict) endStream(db, e.id, now);
  const res = db.prepare(
    "INSERT INTO streams (device_id, pid, pid_start, started_at) VALUES (?, ?, ?, ?)",
  ).run(deviceId, proc.pid, proc.pidStart, now);
  return { id: Number(res.lastInsertRowid), evict: evict.map((e) => e.pid) };
}

export function endStream(db: Db, id: number, now: string): void {
  db.prepare("UPDATE streams SET ended_at = ? WHERE id = ? AND ended_at IS NULL").run(now, id);
}

/** A device brought over from the original tool, with the rights and history it had there. */
export type ImportedDevice =
  & Pick<
    Device,
    | "name"
    | "fingerprint"
    | "sessions"
    | "readOnly"
    | "nonce"
    | "createdAt"
    | "softExpiry"
    | "hardExpiry"
    | "renewalRequested"
    | "lastSeen"
    | "lastCommand"
  >
  & { publicKey: string; authorizedKeys: string; keyFrom: string | null };

/** Inserts an imported device as active, under a name no live device has. */
export function insertImported(db: Db, d: ImportedDevice): StoredDevice {
  return transaction(db, () => {
    const name = uniqueName(d.name, liveNames(db));
    db.prepare(
      `INSERT INTO devices (name, fingerprint, status, sessions, read_only, nonce, created_at,
         soft_expiry, hard_expiry, renewal_requested, last_seen, last_command, public_key,
         authorized_keys, key_from, name_locked)
       VALUES (?, ?, 'active', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
    ).run(
      name,
      d.fingerprint,
      JSON.stringify(d.sessions),
      d.readOnly ? 1 : 0,
      d.nonce,
      d.createdAt,
      d.softExpiry,
      d.hardExpiry,
      d.renewalRequested ? 1 : 0,
      d.lastSeen,
      d.lastCommand,
      d.publicKey,
      d.authorizedKeys,
      d.keyFrom,
    );
    return deviceByFingerprint(db, d.fingerprint)!;
  });
}

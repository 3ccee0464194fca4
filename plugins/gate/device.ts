// The device record the gate decides on. Storage (SQLite) maps its rows onto this shape.

export type DeviceStatus = "pending" | "active" | "revoked";

export interface Device {
  id: number;
  name: string;
  /** `SHA256:<unpadded base64>`; bound to the key by the forced command, never by the client. */
  fingerprint: string;
  status: DeviceStatus;
  /** Case-sensitive shell globs naming the tmux sessions the device may see. */
  sessions: string[];
  readOnly: boolean;
  nonce: string;
  /** ISO 8601 UTC. */
  createdAt: string;
  /** ISO 8601 UTC; null means never. */
  softExpiry: string | null;
  /** softExpiry + 48 h, enforced by sshd through `expiry-time`; null means never. */
  hardExpiry: string | null;
  renewalRequested: boolean;
  lastSeen: string | null;
  lastCommand: string | null;
  /** ISO 8601 UTC: a pending device not confirmed by then is void (absent: no limit). */
  pendingUntil?: string | null;
}

// The original phone tool's device registry (`~/.handoff/devices.json`, version 1) read
// into handoff's devices. Pure: every entry is checked on its own, so a damaged file gives
// what can be read and says, per entry, what was skipped and why.

import { parseInstant } from "../../core/instant.ts";
import type { ImportedDevice } from "./devices_db.ts";
import { validDeviceName, validSessionPattern } from "./grammar.ts";

/** One device of the original tool, as handoff stores it (its key comes from its line). */
export type SeedDevice = Omit<ImportedDevice, "publicKey" | "authorizedKeys" | "keyFrom"> & {
  status: "active" | "pending" | "revoked";
};

export interface SeedSkip {
  /** The entry's name (or its index when it has none). */
  entry: string;
  why: string;
}

export interface SeedRegistry {
  devices: SeedDevice[];
  skipped: SeedSkip[];
}

const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

type Json = Record<string, unknown>;
const isMap = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** `""` and absent mean never; anything else must be an ISO UTC instant. */
function instant(v: unknown, what: string): string | null {
  if (v === undefined || v === null || v === "") return null;
  if (typeof v !== "string" || Number.isNaN(parseInstant(v))) {
    throw new Error(`${what} is not a time (${JSON.stringify(v)})`);
  }
  return new Date(parseInstant(v)).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function entryName(e: unknown, i: number): string {
  return isMap(e) && typeof e.name === "string" && e.name !== "" ? e.name : `#${i + 1}`;
}

function device(e: unknown): SeedDevice {
  if (!isMap(e)) throw new Error("not an object");
  const fp = e.fingerprint;
  if (typeof fp !== "string" || !FINGERPRINT.test(fp)) throw new Error("no valid fingerprint");
  const name = typeof e.name === "string" ? e.name.trim() : "";
  if (!validDeviceName(name)) throw new Error(`unusable name ${JSON.stringify(e.name)}`);
  // The original tool recognised soft_expired but worked expiry out from time.
  const status = e.status === "soft_expired" ? "active" : e.status;
  if (status !== "active" && status !== "pending" && status !== "revoked") {
    throw new Error(`unknown status ${JSON.stringify(e.status)}`);
  }
  const sessions = e.sessions === undefined ? ["*"] : e.sessions;
  if (!Array.isArray(sessions) || !sessions.every((p) => typeof p === "string")) {
    throw new Error("sessions is not a list of patterns");
  }
  const bad = sessions.find((p) => !validSessionPattern(p));
  if (bad !== undefined) throw new Error(`invalid session pattern ${JSON.stringify(bad)}`);
  const text = (v: unknown) => typeof v === "string" && v !== "" ? v : null;
  return {
    name,
    fingerprint: fp,
    status,
    sessions,
    readOnly: e.read_only === true,
    nonce: typeof e.nonce === "string" && /^[0-9a-f]{1,64}$/.test(e.nonce) ? e.nonce : "",
    createdAt: instant(e.created_at, "created_at") ?? new Date(0).toISOString(),
    softExpiry: instant(e.soft_expiry, "soft_expiry"),
    hardExpiry: instant(e.hard_expiry, "hard_expiry"),
    renewalRequested: e.renewal_requested === true,
    lastSeen: instant(e.last_seen, "last_seen"),
    lastCommand: text(e.last_command),
  };
}

/** Reads devices.json text; throws only when nothing at all can be read from it. */
export function parseSeedRegistry(text: string): SeedRegistry {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new Error(`devices.json is not JSON (${(e as Error).message})`);
  }
  if (!isMap(j) || !Array.isArray(j.devices)) {
    throw new Error('devices.json has no "devices" list');
  }
  const out: SeedRegistry = { devices: [], skipped: [] };
  const seen = new Set<string>();
  j.devices.forEach((e, i) => {
    try {
      const d = device(e);
      if (seen.has(d.fingerprint)) throw new Error("its fingerprint appears twice");
      seen.add(d.fingerprint);
      out.devices.push(d);
    } catch (err) {
      out.skipped.push({ entry: entryName(e, i), why: (err as Error).message });
    }
  });
  return out;
}

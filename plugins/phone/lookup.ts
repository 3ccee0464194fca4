// Finding the device a command names: exact name, or exact fingerprint.
import { HandoffError } from "../../core/errors.ts";
import type { Db } from "../../core/store.ts";
import { findLiveDevice, type StoredDevice } from "../gate/devices_db.ts";
import { shown } from "./ui.ts";

export function mustFind(db: Db, nameOrFingerprint: string): StoredDevice {
  const d = findLiveDevice(db, nameOrFingerprint);
  if (!d) {
    throw new HandoffError(
      `no device "${shown(nameOrFingerprint)}"`,
      1,
      "see `handoff devices` for the names",
    );
  }
  return d;
}

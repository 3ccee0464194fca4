// Setting keys (core/store.ts `settings`) shared by the gate and the commands.

import { type Db, getSetting } from "../../core/store.ts";
import type { DeviceAccess } from "../../core/transport.ts";

export const SETTING = {
  /** Absolute tmux binary, resolved at setup/pair time (sshd's PATH is minimal). */
  tmuxPath: "tmux.path",
  /** `-S` socket of the tmux server phones use; unset: the user's default server. */
  tmuxSocket: "tmux.socket",
  /** The authorized_keys file new devices go to (default ~/.ssh/authorized_keys). */
  authorizedKeys: "sshd.authorized_keys",
  /** Concurrent `subscribe` streams one device may hold. */
  maxStreams: "gate.max_streams",
  /** Concurrent attached terminals one device may hold. */
  maxAttaches: "gate.max_attaches",
  /** A stream whose reader takes longer than this to accept a record is ended. */
  streamWriteTimeoutMs: "gate.stream_write_timeout_ms",
  /** Gate calls one device may make per 10 s; more get error:too_many. */
  maxCallsPerWindow: "gate.max_calls_per_10s",
} as const;

/** Defaults of the numeric gate limits. */
export const LIMIT_DEFAULTS = {
  [SETTING.maxStreams]: 4,
  [SETTING.maxAttaches]: 4,
  [SETTING.streamWriteTimeoutMs]: 30_000,
  [SETTING.maxCallsPerWindow]: 150,
} as const;

export type LimitKey = keyof typeof LIMIT_DEFAULTS;

/** A limit from its stored text; the default when it is unset or not a positive integer. */
export function limitValue(key: LimitKey, stored: string | undefined): number {
  const n = Number(stored);
  return stored !== undefined && Number.isInteger(n) && n > 0 ? n : LIMIT_DEFAULTS[key];
}

/** Where devices' access goes: the setting (`setup --authorized-keys`), else the default. */
export function accessStore(db: Db, access: Pick<DeviceAccess, "defaultStore">): string {
  return getSetting(db, SETTING.authorizedKeys) ?? access.defaultStore();
}

/**
 * The transport hook: how a phone reaches this machine and how a device's access is put
 * in place and taken away. OpenSSH (authorized_keys lines behind a forced command) and
 * Tailscale (the address in the QR code) fill it today; another network or SSH server
 * would be one more transport. `pair`, `devices`, `setup`, `status` and `doctor` use
 * transports only through the registry.
 */

export type CheckStatus = "ok" | "warn" | "fail" | "info";

/** A host name or IP address a phone can dial: no option-like or punctuation-only text. */
export function isDialHost(host: string): boolean {
  return /^[A-Za-z0-9:][A-Za-z0-9.:_-]{0,252}$/.test(host) && /[A-Za-z0-9]/.test(host);
}

/**
 * sshd `from=` patterns that limit where a key may log in from: each names some address
 * (a lone `*` or `-` would lift the limit or break the line).
 */
export function isFromPatterns(from: string): boolean {
  return from.length <= 500 &&
    from.split(",").every((p) => /^!?[A-Za-z0-9.:*?/_%-]+$/.test(p) && /[A-Za-z0-9]/.test(p));
}

/** One readiness check, as doctor, setup and the status screen show it. */
export interface Check {
  id: string;
  label: string;
  status: CheckStatus;
  /** What was found. */
  detail: string;
  /** How to fix it, when it is not ok. */
  fix?: string;
}

/** Where a phone dials this machine, as a transport found it. */
export interface DialAddress {
  /** What the QR carries; null when this transport has no address now. */
  host: string | null;
  /** Address patterns a device's access is limited to on this network (key line `from=`). */
  from: string | null;
  /** The host's DNS name on this network, when it has one. */
  name: string | null;
  /** One line for the person pairing: "100.64.0.1 (desk.example.ts.net) via Tailscale". */
  detail: string;
  /** Why there is no address and what to do, when `host` is null. */
  problem?: { message: string; fix: string };
  /** Things that defeat the gate on this network (said before the QR is shown). */
  warnings: string[];
}

/** A key pair made for one device; the private half only ever travels in the QR code. */
export interface DeviceKey {
  fingerprint: string;
  publicKeyLine: string;
  privateKeyPem: string;
}

/** One device's access as a transport installs it. */
export interface AccessGrant {
  fingerprint: string;
  /** The device's public key line. */
  publicKey: string;
  /** The forced command every login of this key runs (argv). */
  command: string[];
  /** When the transport itself must stop honouring the key (ISO UTC); null for never. */
  until: string | null;
  /** Address patterns the key is limited to; null for anywhere. */
  from: string | null;
}

/**
 * Installs and removes devices' access. `store` names where grants live (for OpenSSH an
 * authorized_keys file); callers serialise writers (handoff holds its database write
 * lock around each call), and each call is atomic on its own.
 */
/** An installed grant as the transport has it: the key, and its own limits. */
export interface InstalledAccess {
  /** `ssh-ed25519 AAAA… comment` */
  key: string;
  /** Where the key may log in from (sshd's `from=` patterns), if limited. */
  from: string | null;
  /** When the transport stops accepting the key (ms), if it does. */
  expiresMs: number | null;
}

export interface DeviceAccess {
  newKey(comment: string): DeviceKey;
  /** Where grants go when the user configured nothing. */
  defaultStore(): string;
  /** Adds the grant (`add`) or replaces the entry for its fingerprint. */
  put(store: string, grant: AccessGrant, add: boolean): void;
  /** Removes every entry for the fingerprint; returns how many there were. */
  remove(store: string, fingerprint: string): number;
  /** What is installed for the fingerprint (its key verified against it), else null. */
  installed?(store: string, fingerprint: string): InstalledAccess | null;
}

/** A command `handoff setup` offers to run (asked first, or `--yes`). */
export interface SetupStep {
  what: string;
  argv: string[];
}

/**
 * A transport. Every part is optional; how each is used:
 *   address  first transport with a host wins (`pair --host` overrides them all)
 *   access   first-wins: the one transport that installs device keys
 *   checks   all, in registration order (`doctor`; `status` asks for the brief ones)
 *   setup    all: packages to install when missing, then a step to start what is stopped
 */
export interface Transport {
  name: string;
  address?(): Promise<DialAddress>;
  /** Loaded when a command needs it (its code stays out of every other start-up). */
  access?(): Promise<DeviceAccess>;
  checks?(o: { store: string; brief: boolean }): Promise<Check[]>;
  setup?: {
    /** System packages (Linux names) this transport needs and does not find. */
    missingPackages(): Promise<string[]>;
    /** A step that starts the transport's service when it is installed but stopped. */
    startStep(): Promise<SetupStep | null>;
  };
}

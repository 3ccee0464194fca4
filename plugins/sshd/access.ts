// OpenSSH as the transport that installs device access: one authorized_keys line per
// device, with the forced command, `restrict,pty`, `expiry-time` and `from=`.

import type { AccessGrant, DeviceAccess } from "../../core/transport.ts";
import { authorizedKeysLine } from "./authorized_keys.ts";
import { authorizedKeysExpiry } from "./expiry_time.ts";
import {
  addKeyLine,
  defaultAuthorizedKeys,
  installedLineOf,
  removeKeyLines,
  replaceKeyLine,
} from "./keys_file.ts";
import { sshdVersion, supportsUtcExpiry } from "./sshd.ts";
import { generateDeviceKey } from "./sshkey.ts";

let utcExpiry: boolean | undefined;

/** The grant's authorized_keys line (the installed sshd decides the expiry format). */
export function grantLine(grant: AccessGrant): string {
  utcExpiry ??= supportsUtcExpiry(sshdVersion());
  return authorizedKeysLine({
    command: grant.command,
    publicKeyLine: grant.publicKey,
    expiryTime: grant.until === null
      ? undefined
      : authorizedKeysExpiry(grant.until, { utcSuffix: utcExpiry }),
    from: grant.from ?? undefined,
  });
}

/** Device access as authorized_keys lines. */
export const sshdAccess: DeviceAccess = {
  newKey: generateDeviceKey,
  defaultStore: defaultAuthorizedKeys,
  put(file, grant, add) {
    const line = grantLine(grant);
    if (add) addKeyLine(file, line);
    else replaceKeyLine(file, grant.fingerprint, line);
  },
  remove: removeKeyLines,
  installed: installedLineOf,
};

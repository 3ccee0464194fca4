/**
 * The sshd plugin: OpenSSH as the phone's transport. Device access is one authorized_keys
 * line per device (access.ts); doctor's OpenSSH checks (checks.ts); setup installs and
 * starts it (setup.ts). Each part is imported when first used.
 */
import type { Plugin } from "../../core/registry.ts";
import type { Check, Transport } from "../../core/transport.ts";

const sshdTransport: Transport = {
  name: "sshd",
  access: async () => (await import("./access.ts")).sshdAccess,
  async checks({ store, brief }): Promise<Check[]> {
    const c = await import("./checks.ts");
    if (brief) return (await c.checkSshd()).filter((ch) => ch.id === "sshd-running");
    const [sshd, pubkey, acceptEnv] = await Promise.all([
      c.checkSshd(),
      c.checkPubkeyLogin(store),
      c.checkAcceptEnv(),
    ]);
    return [...sshd, pubkey, acceptEnv, c.checkKeysFile(store)];
  },
  setup: {
    missingPackages: async () => (await import("./setup.ts")).missingPackages(),
    startStep: async () => (await import("./setup.ts")).startSshdStep(),
  },
};

export const sshdPlugin: Plugin = { name: "sshd", transports: [sshdTransport] };

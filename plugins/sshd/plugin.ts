/** The sshd plugin: OpenSSH as the phone's transport (authorized_keys lines, device keys). */
import type { Plugin } from "../../core/registry.ts";

export const sshdPlugin: Plugin = { name: "sshd" };

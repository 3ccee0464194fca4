// Hand the desk to the phone: status, pair, devices, setup and doctor as one plugin. This
// module stays light (the registry is loaded on every start, fast paths included): each
// command's module is imported only when the commander tree is built.
import { lazyCommand, type Plugin } from "../../core/registry.ts";

const lazy = lazyCommand;

export const phonePlugin: Plugin = {
  name: "phone",
  commands: [
    lazy(
      "status",
      "tmux sessions, paired devices, readiness (also: handoff with no arguments)",
      async () => (await import("./status.ts")).statusCommand,
    ),
    lazy(
      "pair",
      "pair a phone: QR code, six-digit confirmation",
      async () => (await import("./pair.ts")).pairCommand,
    ),
    lazy(
      "devices",
      "paired phones: list, approve, edit, renew, rm, log",
      async () => (await import("./devices.ts")).devicesCommand,
    ),
    lazy(
      "setup",
      "get this machine ready for phones (tmux, sshd, keys)",
      async () => (await import("./setup.ts")).setupCommand,
    ),
    lazy(
      "doctor",
      "check everything a phone connection needs, with fixes",
      async () => (await import("./doctor.ts")).doctorCommand,
    ),
    // The original tool's top-level names.
    lazy(
      "revoke",
      "revoke a device (handoff devices rm)",
      async () => (await import("./aliases.ts")).revokeCommand,
    ),
    lazy(
      "renew",
      "extend a device's access (handoff devices renew)",
      async () => (await import("./aliases.ts")).renewCommand,
    ),
    lazy(
      "logs",
      "the gate's audit log (handoff devices log)",
      async () => (await import("./aliases.ts")).logsCommand,
    ),
    lazy(
      "unpair",
      "revoke every paired device",
      async () => (await import("./aliases.ts")).unpairCommand,
    ),
  ],
};

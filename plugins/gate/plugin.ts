// The gate as a plugin: one hidden fast command (sshd runs it; never through commander).
import type { CommandSpec, Plugin } from "../../core/registry.ts";

export const gateCommandSpec: CommandSpec = {
  name: "gate",
  summary: "the forced command of paired devices (run by sshd, not by people)",
  // main.ts calls gate.ts's gateMain before loading plugins; this is the same entry for
  // anyone dispatching through the registry.
  async fast(args) {
    const { gateMain } = await import("./gate.ts");
    return await gateMain(args);
  },
};

export const gatePlugin: Plugin = { name: "gate", commands: [gateCommandSpec] };

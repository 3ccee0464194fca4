/**
 * The manage plugin: `handoff plugin …`, which installs, lists, checks and removes
 * plugins. Its subcommands load only when `plugin` is the command.
 */
import type { Plugin } from "../../core/registry.ts";

export const managePlugin: Plugin = {
  name: "manage",
  commands: [{
    name: "plugin",
    summary: "add, list, inspect, verify, upgrade, disable and remove plugins",
    async register(program, ctx) {
      const { registerPluginCommands } = await import("./commands.ts");
      registerPluginCommands(program, ctx);
    },
  }],
};

/**
 * The completion plugin: `handoff completion <shell>` prints a script that asks the hot
 * command `handoff complete-args` for the values of the moment (plugins/hot.ts).
 */
import { lazyCommand, type Plugin } from "../../core/registry.ts";

export const completionPlugin: Plugin = {
  name: "completion",
  commands: [
    lazyCommand(
      "completion",
      "print the shell completion script (bash, zsh, fish)",
      async () => (await import("./command.ts")).completionCommand,
    ),
  ],
};

/**
 * The notify plugin: the `notify` and `events` commands, the Claude Code and Codex
 * notification sources, and the live stream behind the gate's `subscribe`.
 * This module is imported on every start-up: everything heavier loads in the handlers.
 */
import type { Plugin } from "../../core/registry.ts";
import { eventsCommand } from "./events.ts";
import { claudeCodeSource, codexSource } from "./hook_input.ts";

export const notifyPlugin: Plugin = {
  name: "notify",
  commands: [
    {
      name: "notify",
      summary: "record an event for paired phones (agent hooks call this)",
      // Only for `handoff --help`: plugins/hot.ts runs every `notify` call.
      register(program) {
        program.command("notify")
          .summary("record an event for paired phones (agent hooks call this)")
          .description("See `handoff notify --help`.")
          .allowUnknownOption()
          .allowExcessArguments();
      },
    },
    eventsCommand,
  ],
  sources: [claudeCodeSource, codexSource],
  async subscribe(sub) {
    const { subscribe } = await import("./subscribe.ts");
    return subscribe(sub);
  },
};

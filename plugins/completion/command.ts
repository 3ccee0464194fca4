// `handoff completion bash|zsh|fish`: the shell completion script on stdout.

import type { Command } from "@commander-js/extra-typings";
import { setExitCode } from "../../core/cli.ts";
import { usageError } from "../../core/errors.ts";
import { out } from "../../core/output.ts";
import type { CommandContext, CommandSpec } from "../../core/registry.ts";
import { completionScript, type Shell, SHELLS } from "./scripts.ts";

export const completionCommand: CommandSpec = {
  name: "completion",
  summary: "print the shell completion script (bash, zsh, fish)",
  register(program: Command, _ctx: CommandContext) {
    program.command("completion")
      .summary("print the shell completion script (bash, zsh, fish)")
      .description(
        "Print the completion script for a shell: commands, flags, backends from the config, " +
          "run ids and names from the ledger, device names, tmux sessions, plugin names and " +
          "open permission requests. `handoff init --completions` installs it for your shell.",
      )
      .argument("<shell>", SHELLS.join(", "))
      .action((shell) => {
        if (!(SHELLS as readonly string[]).includes(shell)) {
          throw usageError(`no completion for ${JSON.stringify(shell)}: ${SHELLS.join(", ")}`);
        }
        out(completionScript(shell as Shell));
        setExitCode(0);
      });
  },
};

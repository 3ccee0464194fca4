/**
 * The dispatch commands, registered as one plugin on the same hook points as any other.
 * Each command's module loads only when that command runs (or for the help), so `run`
 * does not pay for `init`'s or `list`'s imports.
 */
import { lazyCommand, type Plugin } from "../../core/registry.ts";

export const dispatchPlugin: Plugin = {
  name: "dispatch",
  commands: [
    lazyCommand(
      "run",
      "hand a task to a backend agent CLI",
      async () => (await import("./run.ts")).runCommand,
    ),
    lazyCommand(
      "new",
      "reserve a run id and print its prompt file path",
      async () => (await import("./new.ts")).newCommand,
    ),
    lazyCommand(
      "resume",
      "continue a run's conversation (a new linked run)",
      async () => (await import("./resume.ts")).resumeCommand,
    ),
    lazyCommand(
      "list",
      "list runs, newest first",
      async () => (await import("./list.ts")).listCommand,
    ),
    lazyCommand(
      "tail",
      "follow a run's progress to its end",
      async () => (await import("./tail.ts")).tailCommand,
    ),
    lazyCommand(
      "wait",
      "block until a run ends and exit with its status",
      async () => (await import("./wait.ts")).waitCommand,
    ),
    lazyCommand(
      "kill",
      "stop a running run (or cancel a reservation)",
      async () => (await import("./kill.ts")).killCommand,
    ),
    lazyCommand(
      "rm",
      "remove runs and their files",
      async () => (await import("./rm.ts")).rmCommand,
    ),
    lazyCommand(
      "prune",
      "remove runs older than a duration, with their files",
      async () => (await import("./prune.ts")).pruneCommand,
    ),
    lazyCommand(
      "env",
      "show paths, config, backends, plugins and versions",
      async () => (await import("./env.ts")).envCommand,
    ),
    lazyCommand(
      "init",
      "write a config template and install the agent skills",
      async () => (await import("./init.ts")).initCommand,
    ),
    lazyCommand(
      "backends",
      "the configured backends; `backends check` tries each with a real one-line run",
      async () => (await import("./backends.ts")).backendsCommand,
    ),
  ],
};

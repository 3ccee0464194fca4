/** The dispatch commands, registered as one plugin on the same hook points as any other. */
import type { Plugin } from "../../core/registry.ts";
import { runCommand } from "./run.ts";
import { newCommand } from "./new.ts";
import { resumeCommand } from "./resume.ts";
import { listCommand } from "./list.ts";
import { tailCommand } from "./tail.ts";
import { waitCommand } from "./wait.ts";
import { killCommand } from "./kill.ts";
import { envCommand } from "./env.ts";
import { initCommand } from "./init.ts";
import { rmCommand } from "./rm.ts";
import { pruneCommand } from "./prune.ts";
import { backendsCommand } from "./backends.ts";

export const dispatchPlugin: Plugin = {
  name: "dispatch",
  commands: [
    runCommand,
    newCommand,
    resumeCommand,
    listCommand,
    tailCommand,
    waitCommand,
    killCommand,
    rmCommand,
    pruneCommand,
    envCommand,
    initCommand,
    backendsCommand,
  ],
};

/**
 * The approvals plugin: agents' permission requests answered from a paired phone (gate
 * verbs `approve` and `deny`) or at the desk (`handoff approvals`, `approve`, `deny`). The
 * PermissionRequest hook (`approval-hook`) is a hot command (plugins/hot.ts); ACP runs
 * with `permission_mode: ask` ask through ask.ts. This module stays light.
 */
import { type GateVerb, lazyCommand, type Plugin } from "../../core/registry.ts";

function lazyVerb(name: "approve" | "deny"): GateVerb {
  return {
    name,
    run: async (call) => (await import("./gate_verbs.ts")).answerFromPhone(name, call),
  };
}

export const approvalsPlugin: Plugin = {
  name: "approvals",
  commands: [
    lazyCommand(
      "approvals",
      "permission requests agents are waiting on",
      async () => (await import("./approvals.ts")).approvalsCommand,
    ),
    lazyCommand(
      "approve",
      "allow what an agent asks for (see handoff approvals)",
      async () => (await import("./answer.ts")).approveCommand,
    ),
    lazyCommand(
      "deny",
      "refuse what an agent asks for (see handoff approvals)",
      async () => (await import("./answer.ts")).denyCommand,
    ),
  ],
  gateVerbs: [lazyVerb("approve"), lazyVerb("deny")],
};

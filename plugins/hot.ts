/**
 * First-party commands on hot paths, reachable without loading the plugin list (which
 * costs milliseconds of other commands' imports):
 *   gate    answers every phone request, (1 + sessions) calls every 5 s per phone
 *   notify  runs on every agent turn (Claude Code and Codex hooks)
 *   attach-guard  (internal) watches one attached phone for the gate, see gate/guard.ts
 *   deliver (internal) hands stored events to the event sinks, see core/delivery.ts
 *   approval-hook  the PermissionRequest hook of Claude Code and Codex (approvals/hook.ts)
 *   complete-args (internal) the values for shell completion, see completion/complete.ts
 * Each handler takes the arguments after its name and returns the exit code; each
 * reports its own errors (a hook must never fail the agent that called it).
 * `handoff plugin disable gate|notify|approvals` is honoured here too: a disabled gate
 * refuses every phone, a disabled notify records nothing and still exits 0, a disabled
 * approvals hook exits 0 at once (the agent asks at the desk).
 */
export const hotCommands: Record<string, () => Promise<(args: string[]) => Promise<number>>> = {
  gate: async () => {
    if (await isDisabled("gate", true)) {
      return () => {
        console.log("error:denied");
        console.error(
          "handoff: the gate plugin is disabled, or plugins/lock.json cannot be read " +
            "(handoff plugin list says which)",
        );
        return Promise.resolve(1);
      };
    }
    const { gateMain } = await import("./gate/gate.ts");
    // The registry (for the event sink behind `subscribe`) is loaded only when asked for.
    return (args) => gateMain(args, async () => await (await import("./mod.ts")).pluginRegistry());
  },
  notify: async () => {
    if (await isDisabled("notify")) {
      return () => {
        console.error(
          "handoff: notify is disabled, nothing recorded (handoff plugin enable notify)",
        );
        return Promise.resolve(0);
      };
    }
    return (await import("./notify/notify.ts")).notifyMain;
  },
  "approval-hook": async () => {
    if (await isDisabled("approvals")) {
      return () => {
        console.error("handoff: approvals are disabled, the agent asks at the desk");
        return Promise.resolve(0);
      };
    }
    return (await import("./approvals/hook.ts")).approvalHookMain;
  },
  "complete-args": async () => {
    const { completeMain } = await import("./completion/complete.ts");
    return (args) =>
      completeMain(args, async () => await (await import("./mod.ts")).pluginRegistry());
  },
  "attach-guard": async () => (await import("./gate/guard.ts")).guardMain,
  deliver: async () => {
    const { deliverMain } = await import("../core/delivery.ts");
    return (args) =>
      deliverMain(args, async () => await (await import("./mod.ts")).pluginRegistry());
  },
};

async function isDisabled(name: string, ifDamaged = false): Promise<boolean> {
  // paths.ts, not lock.ts: the lock's parser and manifests stay out of the gate.
  const { disabledInLock, handoffHome } = await import("../core/paths.ts");
  return disabledInLock(handoffHome(), name, ifDamaged);
}

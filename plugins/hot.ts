/**
 * First-party commands on hot paths, reachable without loading the plugin list (which
 * costs milliseconds of other commands' imports):
 *   gate    answers every phone request, (1 + sessions) calls every 5 s per phone
 *   notify  runs on every agent turn (Claude Code and Codex hooks)
 *   attach-guard  (internal) watches one attached phone for the gate, see gate/guard.ts
 * Each handler takes the arguments after its name and returns the exit code; each
 * reports its own errors (a hook must never fail the agent that called it).
 */
export const hotCommands: Record<string, () => Promise<(args: string[]) => Promise<number>>> = {
  gate: async () => {
    const { gateMain } = await import("./gate/gate.ts");
    // The registry (for the event sink behind `subscribe`) is loaded only when asked for.
    return (args) => gateMain(args, async () => (await import("./mod.ts")).firstPartyRegistry());
  },
  notify: async () => (await import("./notify/notify.ts")).notifyMain,
  "attach-guard": async () => (await import("./gate/guard.ts")).guardMain,
};

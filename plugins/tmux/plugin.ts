/**
 * The tmux plugin: sessions phones list and attach, and the tab a run is started from.
 * This module is imported on every start-up: the tmux helpers load when asked.
 */
import type { RunTab } from "../../core/event_log.ts";
import type { Plugin } from "../../core/registry.ts";

/**
 * A run dispatched from a tmux pane belongs to that tab: the phone links to the agent
 * waiting for it, and a device allowed only other sessions does not see it. Asked when the
 * run starts: by the time it ends, the pane may be gone.
 */
async function runOrigin(env: Record<string, string>): Promise<RunTab | null> {
  if (!env.TMUX_PANE) return null;
  const { tabOfPane } = await import("./pane.ts");
  return await tabOfPane(env.TMUX_PANE);
}

export const tmuxPlugin: Plugin = { name: "tmux", runOrigin };

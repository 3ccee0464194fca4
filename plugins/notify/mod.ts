/**
 * The notify plugin: the `notify` and `events` commands, the event sink behind the gate's
 * `subscribe`, and the run-event listener that turns ended or blocked runs into events.
 * This module is imported on every start-up: everything heavier loads in the handlers.
 */
import type { Plugin, RunNotice, RunTab } from "../../core/registry.ts";
import { eventsCommand } from "./events.ts";

async function recordRunNotice(notice: RunNotice): Promise<void> {
  const { appendEvent, runNoticeEvent } = await import("../../core/event_log.ts");
  const { openDb } = await import("../../core/store.ts");
  const db = openDb();
  try {
    appendEvent(db, runNoticeEvent(notice));
  } finally {
    db.close();
  }
}

/**
 * A run dispatched from a tmux pane belongs to that tab: the phone links to the agent
 * waiting for it, and a device allowed only other sessions does not see it. Asked when the
 * run starts: by the time it ends, the pane may be gone.
 */
async function runOrigin(env: Record<string, string>): Promise<RunTab | null> {
  if (!env.TMUX_PANE) return null;
  const { tabOfPane } = await import("../tmux/pane.ts");
  return await tabOfPane(env.TMUX_PANE);
}

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
  async subscribe(sub) {
    const { subscribe } = await import("./subscribe.ts");
    return subscribe(sub);
  },
  onRunEvent: recordRunNotice,
  runOrigin,
};

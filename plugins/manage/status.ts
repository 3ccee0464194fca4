/** `handoff plugin status`: how each event sink's deliveries go. */
import { jsonVisible, outLine } from "../../core/output.ts";
import type { CommandContext } from "../../core/registry.ts";
import { kickDelivery } from "../../core/delivery_kick.ts";
import { sinkRecord, sinkSummary } from "./sinks.ts";

export async function status(ctx: CommandContext, f: { json?: boolean }): Promise<number> {
  const sinks = ctx.registry.sinks();
  if (sinks.length === 0) {
    if (!f.json) outLine("no event sinks registered");
    return 0;
  }
  const { pendingCount, sinkState } = await import("../../core/delivery.ts");
  const db = await ctx.openStore();
  let failing = 0;
  let waiting = false;
  try {
    for (const s of sinks) {
      const st = sinkState(db, s.key);
      const pending = pendingCount(db, st);
      const row = sinkRecord(st, pending);
      if (st.attempts > 0) failing++;
      if (pending > 0) waiting = true;
      if (f.json) {
        outLine(jsonVisible(row));
        continue;
      }
      outLine(sinkSummary(row));
    }
  } finally {
    db.close();
  }
  // Events wait (a back-off outlived its delivery process): try them again now.
  if (waiting) kickDelivery(ctx.paths().home);
  return failing ? 1 : 0;
}

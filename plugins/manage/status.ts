/** `handoff plugin status`: how each event sink's deliveries go. */
import { escapeControls, jsonVisible, outLine } from "../../core/output.ts";
import type { CommandContext } from "../../core/registry.ts";
import { kickDelivery } from "../../core/delivery_kick.ts";

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
      const row = {
        sink: s.key,
        delivered: st.delivered,
        pending,
        missed: st.missed,
        attempts: st.attempts,
        next_attempt_at: st.next_at ? new Date(st.next_at).toISOString() : null,
        last_ok_at: st.last_ok_at,
        last_error: st.last_error,
        last_error_at: st.last_error_at,
      };
      if (st.attempts > 0) failing++;
      if (pending > 0) waiting = true;
      if (f.json) {
        outLine(jsonVisible(row));
        continue;
      }
      const state = st.attempts > 0
        ? `FAILING (${st.attempts} attempt(s), next ${row.next_attempt_at}): ${
          escapeControls(st.last_error ?? "")
        }`
        : pending > 0
        ? "delivering"
        : "up to date";
      outLine(
        `${s.key}: ${state}; ${st.delivered} delivered, ${pending} pending` +
          (st.missed ? `, ${st.missed} pruned before delivery` : ""),
      );
    }
  } finally {
    db.close();
  }
  // Events wait (a back-off outlived its delivery process): try them again now.
  if (waiting) kickDelivery(ctx.paths().home);
  return failing ? 1 : 0;
}

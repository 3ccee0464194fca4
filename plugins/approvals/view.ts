// How requests are shown at the desk: one table row each, or JSON. Pure.

import { escapeControls, formatDuration } from "../../core/output.ts";
import type { PermissionRequest } from "./requests.ts";

export function tabText(r: Pick<PermissionRequest, "session" | "window">): string {
  if (r.session === null) return "-";
  return escapeControls(r.window === null ? r.session : `${r.session}:${r.window}`);
}

/** The row of `handoff approvals`: id, waiting for, tab, agent, what it wants, options. */
export function requestRow(r: PermissionRequest, now: Date): string[] {
  const left = r.expiresMs - now.getTime();
  const state = r.status === "open"
    ? `${formatDuration(Math.max(0, left))} left`
    : `${r.status}${r.decidedBy ? ` (${escapeControls(r.decidedBy)})` : ""}`;
  return [
    r.requestId,
    state,
    tabText(r),
    escapeControls(r.agent),
    r.options.map((o) => escapeControls(o.id)).join("/"),
    r.summary,
  ];
}

export const REQUEST_HEAD = ["ID", "STATE", "TAB", "AGENT", "OPTIONS", "WANTS"];

/** The JSON of one request (the event's field names). */
export function requestJson(r: PermissionRequest): Record<string, unknown> {
  return {
    request_id: r.requestId,
    status: r.status,
    created_at: r.createdAt,
    expires_at: r.expiresAt,
    tab: r.session === null ? null : r.window === null ? r.session : `${r.session}:${r.window}`,
    tmux_session: r.session,
    tmux_window: r.window,
    cwd: r.cwd,
    agent: r.agent,
    source: r.source,
    agent_session_id: r.agentSessionId,
    run_id: r.runId,
    tool: r.tool,
    summary: r.summary,
    options: r.options,
    option: r.optionId,
    decided_by: r.decidedBy,
    decided_at: r.decidedAt,
    message: r.message,
  };
}

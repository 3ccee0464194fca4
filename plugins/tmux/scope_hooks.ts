// Installing and removing scope hooks on the tmux server (the argv is built in scope.ts):
// globally, and in every session that has a `client-session-changed` array of its own.

import { parseSessionIds, SESSION_ID_FORMAT } from "./format.ts";
import { localHookProbeArgs, parseLocalHookProbe, scopeHookArgs } from "./scope.ts";
import { tmux, type TmuxResult, type TmuxServer } from "./tmux.ts";

/** Every session's id, or [] when no server runs. */
export async function allSessionIds(server: TmuxServer): Promise<string[]> {
  const r = await tmux(server, ["list-sessions", "-F", SESSION_ID_FORMAT]);
  return r.code === 0 ? parseSessionIds(r.stdout).map((s) => s.id) : [];
}

/**
 * Installs one attachment's hooks and/or removes stale ones, wherever they must be.
 * `sessionIds` saves a listing when the caller has just made one.
 */
export async function applyScopeHooks(
  server: TmuxServer,
  install: { attachmentId: number; commands: [string, string] } | null,
  staleIds: readonly number[],
  sessionIds?: readonly string[],
): Promise<TmuxResult> {
  const ids = sessionIds ?? await allSessionIds(server);
  const probe = ids.length ? await tmux(server, localHookProbeArgs(ids)) : null;
  const local = probe && probe.code === 0 ? parseLocalHookProbe(probe.stdout) : [];
  return await tmux(server, scopeHookArgs(install, staleIds, local));
}

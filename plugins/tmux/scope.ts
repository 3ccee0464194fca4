// Keeping a gated tmux client inside its device's session patterns. A read-only client can
// still run the keys bound to switch-client (prefix ( ) L), and a read/write one anything,
// so attaching to an allowed session is not enough: global `client-session-changed` hooks,
// one pair per attachment, catch the client as soon as it lands on a session its patterns
// do not allow.
//
// What the hooks do, and why (measured with the raw byte stream of the phone's terminal):
// - A hook that runs a program (run-shell) lets tmux draw the new session while the program
//   starts: the forbidden screen reaches the phone.
// - Even a pure-tmux `detach-client` in the hook is too late: tmux redraws the client (on
//   the forbidden session) before the detach takes effect.
// - Switching the client back, inside tmux in the same pass, works: tmux redraws once, on
//   the allowed session, so the forbidden one is never drawn. So the first hook switches
//   the client back to the session it attached to (by id: `$N`), and the second detaches
//   it if it is still out of bounds (that session is gone).
// Pure: builds the tmux argv; the gate runs it.

/** tmux's hook; fires for a client whatever switched it (its own key, another client). */
export const SCOPE_HOOK = "client-session-changed";

/** Array indexes of one attachment's two hooks: far above what people use in tmux.conf. */
export function scopeHookNames(attachmentId: number): [string, string] {
  const base = 40000 + 2 * attachmentId;
  return [`${SCOPE_HOOK}[${base}]`, `${SCOPE_HOOK}[${base + 1}]`];
}

// Patterns that mean the same to our glob (glob.ts) and to tmux's `#{m:}` (fnmatch(3)),
// and need no escaping inside a tmux format or a single-quoted tmux argument. Anything
// else (`#`, braces, `,`, `\`, quotes, `$`, `:`, POSIX classes like `[:alpha:]`) cannot be
// expressed safely and is left out, which only ever detaches more, never less.
const TMUX_SAFE_PATTERN = /^[\p{L}\p{N} _*?.@%+=~\/!^\[\]-]+$/u;

export function tmuxSafePattern(p: string): boolean {
  return TMUX_SAFE_PATTERN.test(p) && !/\[[:=.]/.test(p);
}

/**
 * tmux format that is `1` when the client's current session matches one of the patterns.
 * `client_session` is read live, so the second hook sees the first one's switch.
 */
export function allowedFormat(patterns: readonly string[]): string {
  const safe = patterns.filter(tmuxSafePattern);
  // `||` takes two arguments in tmux 3.3 (the second swallows the rest), so nest.
  return safe.reduceRight(
    (rest, p) => `#{||:#{m:${p},#{client_session}},${rest}}`,
    "0",
  );
}

/** True when the patterns allow every session, so no hook is needed. */
export function allowsEverything(patterns: readonly string[]): boolean {
  return patterns.includes("*");
}

const TTY = /^\/dev\/[A-Za-z0-9_\/]+$/;
const SESSION_ID = /^\$\d+$/;

export interface ScopedClient {
  /** The tmux client's pid: the gate's own, kept through execve. */
  pid: number;
  /** Its terminal, e.g. `/dev/pts/3` (tmux's name for the client). */
  tty: string;
  /** Id (`$3`) of the session it attaches to: where a stray switch is sent back. */
  homeSessionId: string;
}

/** The two hook commands for one attached client (see the header for why two). */
export function scopeHookCommands(
  client: ScopedClient,
  patterns: readonly string[],
): [string, string] {
  if (!Number.isInteger(client.pid) || client.pid <= 0) throw new Error("invalid client pid");
  if (!TTY.test(client.tty)) throw new Error(`invalid tty ${JSON.stringify(client.tty)}`);
  if (!SESSION_ID.test(client.homeSessionId)) {
    throw new Error(`invalid session id ${JSON.stringify(client.homeSessionId)}`);
  }
  // pid and tty together: a hook outlives its client until the next attach prunes it (tmux
  // fires no hook when a client's terminal goes away), and both would have to be reused.
  const me = `#{&&:#{==:#{client_pid},${client.pid}},#{==:#{client_tty},${client.tty}}}`;
  const outside = `#{&&:${me},#{?${allowedFormat(patterns)},0,1}}`;
  // `$3` needs no quoting: tmux's parser expands `$NAME` only when NAME starts with a letter
  // or `_` (cmd-parse.y, yylex_is_var).
  return [
    `if-shell -F '${outside}' 'switch-client -c ${client.tty} -t ${client.homeSessionId}'`,
    `if-shell -F '${outside}' 'detach-client -t ${client.tty}'`,
  ];
}

/**
 * tmux argv (after the binary and socket) that installs one attachment's hooks and removes
 * stale ones, in one tmux call. `;` as a separate argument chains tmux commands.
 *
 * A session's own `client-session-changed` hooks replace the global array for clients
 * entering that session (tmux looks hooks up per session, and an array option set on a
 * session hides the global one entirely), so a scope hook installed only globally would
 * not fire there. `localSessions` are the ids of sessions with their own array: the hooks
 * go into those arrays too. (No array is created where there is none: that would hide the
 * global hooks of the other attachments.)
 */
export function scopeHookArgs(
  install: { attachmentId: number; commands: [string, string] } | null,
  staleIds: readonly number[],
  localSessions: readonly string[] = [],
): string[] {
  for (const id of localSessions) {
    if (!SESSION_ID.test(id)) throw new Error(`invalid session id ${JSON.stringify(id)}`);
  }
  const scopes: string[][] = [["-g"], ...localSessions.map((id) => ["-t", id])];
  const cmds: string[][] = [];
  for (const id of staleIds) {
    for (const name of scopeHookNames(id)) {
      for (const scope of scopes) cmds.push(["set-hook", "-u", ...scope, name]);
    }
  }
  if (install) {
    const names = scopeHookNames(install.attachmentId);
    for (const scope of scopes) {
      cmds.push(["set-hook", ...scope, names[0], install.commands[0]]);
      cmds.push(["set-hook", ...scope, names[1], install.commands[1]]);
    }
  }
  return chain(cmds);
}

/** Joins tmux commands into one argv with `;` separators. */
export function chain(cmds: readonly string[][]): string[] {
  return cmds.flatMap((c, i) => (i === 0 ? c : [";", ...c]));
}

const PROBE_MARK = "@@handoff-session ";

/**
 * One tmux call that shows each session's own `client-session-changed` hooks, each block
 * after a marker line naming the session id (`show-hooks -t` without `-g` shows only what
 * is set on that session).
 */
export function localHookProbeArgs(sessionIds: readonly string[]): string[] {
  return chain(sessionIds.flatMap((id) => {
    if (!SESSION_ID.test(id)) throw new Error(`invalid session id ${JSON.stringify(id)}`);
    return [["display-message", "-p", PROBE_MARK + id], ["show-hooks", "-t", id, SCOPE_HOOK]];
  }));
}

/** The session ids whose block in the probe's output has a hook line. */
export function parseLocalHookProbe(text: string): string[] {
  const found = new Set<string>();
  let current: string | null = null;
  for (const line of text.split("\n")) {
    if (line.startsWith(PROBE_MARK)) current = line.slice(PROBE_MARK.length);
    else if (current && line.startsWith(SCOPE_HOOK)) found.add(current);
  }
  return [...found].filter((id) => SESSION_ID.test(id));
}

// What tmux prints for the gate and the status screen, parsed. Pure. tmux escapes control
// characters in its output (`\n` is printed as backslash + n), so one record is one line.

/** `list-sessions -F` format: the window count first, so the name can be anything. */
export const SESSION_FORMAT = "#{session_windows} #{session_name}";

export interface SessionInfo {
  name: string;
  windows: number;
}

export function parseSessions(text: string): SessionInfo[] {
  const out: SessionInfo[] = [];
  for (const line of text.split("\n")) {
    const m = /^(\d+) (.+)$/.exec(line);
    if (m) out.push({ name: m[2], windows: Number(m[1]) });
  }
  return out;
}

/**
 * `list-sessions -F` format naming each session by id. The gate targets sessions by id
 * (`$3`) only: tmux resolves a name target as a client's tty (`pts/6`) before it honours
 * `=`, so even `=name:` can reach another session.
 */
export const SESSION_ID_FORMAT = "#{session_id}\t#{session_name}";

/** SESSION_ID_FORMAT output → `{ id, name }` per session. */
export function parseSessionIds(text: string): { id: string; name: string }[] {
  const out: { id: string; name: string }[] = [];
  for (const line of text.split("\n")) {
    const tab = line.indexOf("\t");
    const id = line.slice(0, tab);
    if (tab > 0 && /^\$\d+$/.test(id)) out.push({ id, name: line.slice(tab + 1) });
  }
  return out;
}

/** The id (`$3`) of the session named exactly `name`, from SESSION_ID_FORMAT output. */
export function sessionIdOf(text: string, name: string): string | null {
  return parseSessionIds(text).find((s) => s.name === name)?.id ?? null;
}

/**
 * The exact tmux target for a session id (and window index). `:=N` keeps window `5` from
 * resolving to a window named `5…` when index 5 does not exist.
 */
export function idTarget(sessionId: string, window: number | null = null): string {
  if (!/^\$\d+$/.test(sessionId)) throw new Error(`not a tmux session id: ${sessionId}`);
  return window === null ? `${sessionId}:` : `${sessionId}:=${window}`;
}

/**
 * `list-windows -a -F` for the `windows` reply: every window of the server, its session's
 * name first, so the reply keeps the windows of the one session named exactly (no target
 * is resolved at all). Tabs separate the fields: tmux prints a tab inside a value as `\t`,
 * so only the separators are real tabs.
 */
export const WINDOW_FORMAT =
  "#{session_name}\t#{window_index}\t#{pane_title}\t#{pane_current_command}\t#{pane_current_path}";

/**
 * The `windows` reply (seed §5) for `session`: `<index>|<pane_title>|<command>|<path>` per
 * window. The phones split on `|` with a limit of 4, so a `|` in the title or the command
 * (free text a program can set) becomes `¦`; the path is the last field and kept as is.
 */
export function windowsReply(text: string, session: string): string {
  let reply = "";
  for (const line of text.split("\n")) {
    const f = line.split("\t");
    if (f.length !== 5 || f[0] !== session || !/^\d+$/.test(f[1])) continue;
    reply += `${f[1]}|${f[2].replaceAll("|", "¦")}|${f[3].replaceAll("|", "¦")}|${f[4]}\n`;
  }
  return reply;
}

/** `list-windows -a` format for the status screen (tab separated, session last). */
export const STATUS_WINDOW_FORMAT =
  "#{window_index}\t#{window_active}\t#{pane_current_command}\t#{pane_current_path}\t#{session_attached}\t#{session_name}";

export interface StatusWindow {
  index: number;
  active: boolean;
  command: string;
  path: string;
}

export interface StatusSession {
  name: string;
  attached: number;
  windows: StatusWindow[];
}

export function parseStatusWindows(text: string): StatusSession[] {
  const sessions = new Map<string, StatusSession>();
  for (const line of text.split("\n")) {
    const f = line.split("\t");
    if (f.length < 6 || !/^\d+$/.test(f[0])) continue;
    const name = f.slice(5).join("\t");
    let s = sessions.get(name);
    if (!s) sessions.set(name, s = { name, attached: Number(f[4]) || 0, windows: [] });
    s.windows.push({ index: Number(f[0]), active: f[1] === "1", command: f[2], path: f[3] });
  }
  return [...sessions.values()];
}

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
 * `list-windows -F` for the `windows` reply. Tabs separate the fields: tmux prints a tab
 * inside a value as `\t`, so only the separators are real tabs.
 */
export const WINDOW_FORMAT =
  "#{window_index}\t#{pane_title}\t#{pane_current_command}\t#{pane_current_path}";

/**
 * The `windows` reply (seed §5): `<index>|<pane_title>|<command>|<path>` per window. The
 * phones split on `|` with a limit of 4, so a `|` in the title or the command (free text a
 * program can set) becomes `¦`; the path is the last field and kept as is.
 */
export function windowsReply(text: string): string {
  let reply = "";
  for (const line of text.split("\n")) {
    const f = line.split("\t");
    if (f.length !== 4 || !/^\d+$/.test(f[0])) continue;
    reply += `${f[0]}|${f[1].replaceAll("|", "¦")}|${f[2].replaceAll("|", "¦")}|${f[3]}\n`;
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

// The tmux tab a process runs in: `$TMUX_PANE` (`%3`) asked of the server in `$TMUX`.
// notify (an agent's hook) and the run engine (through the notify plugin) tag their events
// with it; pair warns when devices can watch it.

import { which } from "../../core/proc.ts";

const TMUX_TIMEOUT_MS = 1000;

/** `tmux display-message -p '#{session_name}\t#{window_index}'` output → the tab. */
export function parseTab(text: string): { session: string; window: number } | null {
  const line = text.replace(/\r?\n$/, "");
  const tab = line.lastIndexOf("\t");
  if (tab <= 0) return null;
  const window = Number(line.slice(tab + 1));
  if (!/^\d+$/.test(line.slice(tab + 1)) || !Number.isSafeInteger(window)) return null;
  return { session: line.slice(0, tab), window };
}

/** Runs one tmux command against the server in $TMUX; null when there is no tmux. */
async function tmuxHere(args: string[]): Promise<{ ok: boolean; stdout: string } | null> {
  const tmux = tmuxOnPath();
  if (!tmux) return null;
  try {
    const r = await new Deno.Command(tmux, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(TMUX_TIMEOUT_MS),
    }).output();
    return { ok: r.success, stdout: new TextDecoder().decode(r.stdout) };
  } catch {
    return null;
  }
}

/** The tmux tab of `pane` (`%3`), asked of the tmux server in $TMUX; null outside tmux. */
export async function tabOfPane(
  pane: string,
): Promise<{ session: string; window: number } | null> {
  const r = await tmuxHere([
    "display-message",
    "-p",
    "-t",
    pane,
    "#{session_name}\t#{window_index}",
  ]);
  return r?.ok ? parseTab(r.stdout) : null;
}

/** tmux on PATH, else where it usually lives; the server is the one in $TMUX. */
export function tmuxOnPath(): string | null {
  return which("tmux") ??
    ["/opt/homebrew/bin/tmux", "/usr/local/bin/tmux", "/usr/bin/tmux"].find((p) => which(p)) ??
    null;
}

/** Clears the pane's scrollback (what `pair` drew there may hold a private key). */
export async function clearPaneHistory(pane: string): Promise<boolean> {
  return (await tmuxHere(["clear-history", "-t", pane]))?.ok ?? false;
}

/** False when the pane's window has `alternate-screen off` (what is drawn goes to its history). */
export async function paneKeepsAlternateScreen(pane: string): Promise<boolean> {
  // A format reads the option as it applies to the pane (inherited values too).
  const r = await tmuxHere(["display-message", "-p", "-t", pane, "#{alternate-screen}"]);
  return !!r?.ok && r.stdout.trim() === "1";
}

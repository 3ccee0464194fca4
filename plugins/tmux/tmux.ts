// Running tmux: which binary, which server, which environment. sshd gives the gate a
// minimal PATH and no locale, so the binary is an absolute path resolved at pair/setup
// time (setting `tmux.path`), and UTF-8 is set explicitly (without it tmux draws every
// non-ASCII character as `_`).

/** Where tmux usually lives, for when no path is stored yet (Homebrew first on macOS). */
const TMUX_DIRS = ["/opt/homebrew/bin", "/usr/local/bin", "/usr/bin", "/bin"];

export interface TmuxServer {
  /** Absolute path of the tmux binary. */
  bin: string;
  /** `-S` socket; null for the user's default server. */
  socket: string | null;
}

function isExecutable(path: string): boolean {
  try {
    const st = Deno.statSync(path);
    return st.isFile && ((st.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** tmux on PATH, then the usual install directories; null when there is none. */
export function findTmux(pathEnv = Deno.env.get("PATH") ?? ""): string | null {
  const dirs = [...pathEnv.split(":").filter((d) => d.startsWith("/")), ...TMUX_DIRS];
  for (const dir of dirs) {
    const p = `${dir}/tmux`;
    if (isExecutable(p)) return p;
  }
  return null;
}

/** The stored path if it still works, else a probe of the usual directories. */
export function resolveTmux(stored: string | undefined): string | null {
  if (stored && stored.startsWith("/") && isExecutable(stored)) return stored;
  for (const dir of TMUX_DIRS) {
    if (isExecutable(`${dir}/tmux`)) return `${dir}/tmux`;
  }
  return null;
}

let utf8Locale: string | undefined;

/**
 * A UTF-8 locale that exists here: en_US.UTF-8 as the seed used, or C.UTF-8 (always
 * present on current glibc) when en_US is not generated. macOS has both.
 */
export function utf8LocaleName(): string {
  if (utf8Locale) return utf8Locale;
  if (Deno.build.os !== "linux") return utf8Locale = "en_US.UTF-8";
  const dirs = ["/usr/lib/locale/en_US.utf8", "/usr/lib/locale/en_US.UTF-8"];
  if (dirs.some((d) => existsDir(d)) || archiveHas("en_US.utf8")) {
    return utf8Locale = "en_US.UTF-8";
  }
  return utf8Locale = "C.UTF-8";
}

function existsDir(p: string): boolean {
  try {
    return Deno.statSync(p).isDirectory;
  } catch {
    return false;
  }
}

function archiveHas(name: string): boolean {
  try {
    const bytes = Deno.readFileSync("/usr/lib/locale/locale-archive");
    return new TextDecoder("latin1").decode(bytes).includes(name);
  } catch {
    return false;
  }
}

/** The environment tmux runs with: ours (sshd's), minus the client's request, plus UTF-8. */
export function tmuxEnv(
  base: Record<string, string> = Deno.env.toObject(),
): Record<string, string> {
  const env = { ...base };
  delete env.SSH_ORIGINAL_COMMAND;
  delete env.TMUX;
  delete env.TMUX_PANE;
  if (!env.LANG && !env.LC_ALL && !env.LC_CTYPE) env.LANG = utf8LocaleName();
  return env;
}

/** argv (without the binary) selecting the server. */
export function serverArgs(server: TmuxServer): string[] {
  return server.socket ? ["-S", server.socket] : [];
}

export interface TmuxResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one tmux command line (argv, never a shell). */
export async function tmux(server: TmuxServer, args: string[]): Promise<TmuxResult> {
  const out = await new Deno.Command(server.bin, {
    args: [...serverArgs(server), ...args],
    env: tmuxEnv(),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** True when tmux said there is no server (or no socket): not an error for listings. */
export function noServer(r: TmuxResult): boolean {
  return /no server running|error connecting to|No such file or directory/.test(r.stderr);
}

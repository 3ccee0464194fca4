// Test harness: a real tmux server, private to one test.
//
// Every command goes to `tmux -S <tempdir>/sock -f /dev/null`, so a test never
// sees (or kills) the user's own tmux server or their ~/.tmux.conf.
//
// Targets: tmux 3.3a resolves `=name` as a session, but NOT as a pane or
// window ("can't find pane: =name"). capture(), sendKeys() and waitFor()
// therefore turn a bare `=name` into `=name:` (that session's current pane).

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type TmuxResult = { code: number; stdout: string; stderr: string };

export type Tmux = {
  /** Absolute socket path, for `tmux -S <socket>` in scripts. */
  socket: string;
  /** Absolute path of the tmux binary used. */
  bin: string;
  /** Runs `tmux -S <socket> -f /dev/null <args…>`; never throws on a non-zero exit. */
  tmux(...args: string[]): Promise<TmuxResult>;
  /**
   * Creates a detached session. With one `cmd` element tmux runs it through
   * `sh -c`; with two or more it execs them directly (no shell).
   * (An argument that is exactly ";" would split the tmux command.)
   * remainOnExit keeps the pane (and its last screen) when `cmd` exits; see
   * waitPaneDead(). A "Pane is dead" line tmux may print can scroll the top line
   * into the history, so read a finished pane with `capture-pane -p -S -`.
   */
  newSession(name: string, opts?: NewSessionOptions): Promise<void>;
  /** The visible screen of a pane, one line per row (trailing blanks trimmed by tmux). */
  capture(target: string): Promise<string>;
  /** `send-keys`: each argument is a key name (`Enter`, `C-c`) or literal text. */
  sendKeys(target: string, ...keys: string[]): Promise<void>;
  /** Polls capture() every 50 ms until predicate(screen) (10 s by default); returns that screen. */
  waitFor(
    target: string,
    predicate: (screen: string) => boolean,
    timeoutMs?: number,
  ): Promise<string>;
  /**
   * Waits until the pane's program has exited (needs remainOnExit). Reads
   * `#{pane_dead}`: tmux 3.3a sometimes misses the child's exit status and then
   * never prints its "Pane is dead" line, although the pane is dead.
   */
  waitPaneDead(target: string, timeoutMs?: number): Promise<void>;
  /** kill-server, then removes the temp dir. */
  close(): Promise<void>;
};

export type NewSessionOptions = {
  cmd?: string[];
  width?: number;
  height?: number;
  cwd?: string;
  remainOnExit?: boolean;
};

let tmuxPath: Promise<string> | undefined;

/** Resolves the tmux binary once (PATH, then the usual install dirs). */
export function findTmux(): Promise<string> {
  tmuxPath ??= (async () => {
    const dirs = (Deno.env.get("PATH") ?? "").split(":").filter((d) => d.startsWith("/"));
    dirs.push("/usr/bin", "/usr/local/bin", "/opt/homebrew/bin");
    for (const dir of dirs) {
      const path = join(dir, "tmux");
      try {
        const st = await Deno.stat(path);
        if (st.isFile && ((st.mode ?? 0) & 0o111) !== 0) return path;
      } catch { /* not here */ }
    }
    throw new Error(
      "tmux not found (looked in PATH, /usr/bin, /usr/local/bin, /opt/homebrew/bin): install tmux",
    );
  })();
  return tmuxPath;
}

/** `=name` → `=name:` so it works where tmux wants a pane (see header). */
export function paneTarget(target: string): string {
  return target.startsWith("=") && !/[:.]/.test(target) ? target + ":" : target;
}

/** Starts a private tmux "server" (tmux starts it with the first session). */
export async function startTmux(): Promise<Tmux> {
  const bin = await findTmux();
  const dir = await mkdtemp(join(tmpdir(), "handoff-tmux-"));
  const socket = join(dir, "sock");

  // Drop TMUX so running the tests inside tmux changes nothing.
  const env = Deno.env.toObject();
  delete env.TMUX;
  delete env.TMUX_PANE;

  const tmux = async (...args: string[]): Promise<TmuxResult> => {
    const out = await new Deno.Command(bin, {
      args: ["-S", socket, "-f", "/dev/null", ...args],
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    return {
      code: out.code,
      stdout: new TextDecoder().decode(out.stdout),
      stderr: new TextDecoder().decode(out.stderr),
    };
  };

  const check = async (...args: string[]): Promise<string> => {
    const r = await tmux(...args);
    if (r.code !== 0) {
      throw new Error(
        `tmux ${args.join(" ")} failed (${r.code}): ${r.stderr.trim()}`,
      );
    }
    return r.stdout;
  };

  const capture = (target: string) => check("capture-pane", "-p", "-t", paneTarget(target));

  return {
    socket,
    bin,
    tmux,
    async newSession(name, opts = {}) {
      const args = ["new-session", "-d", "-s", name];
      if (opts.width !== undefined) args.push("-x", String(opts.width));
      if (opts.height !== undefined) args.push("-y", String(opts.height));
      if (opts.cwd !== undefined) args.push("-c", opts.cwd);
      if (opts.cmd?.length) args.push("--", ...opts.cmd);
      if (opts.remainOnExit) {
        // One tmux invocation runs its `;`-separated commands before the server
        // handles the child's exit, so even a command that exits at once leaves a
        // dead pane behind. (A separate `set remain-on-exit` lost that race under
        // load.)
        args.push(";", "set-option", "-w", "-t", `=${name}:`, "remain-on-exit", "on");
      }
      await check(...args);
    },
    capture,
    async sendKeys(target, ...keys) {
      await check("send-keys", "-t", paneTarget(target), "--", ...keys);
    },
    async waitFor(target, predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      let screen = "";
      let lastError = "";
      while (true) {
        try {
          screen = await capture(target);
          lastError = "";
          if (predicate(screen)) return screen;
        } catch (err) {
          lastError = (err as Error).message; // pane not there (yet, or any more)
        }
        if (Date.now() > deadline) {
          throw new Error(
            `tmux waitFor ${target}: timed out after ${timeoutMs} ms` +
              (lastError ? ` (${lastError})` : "") +
              `; last screen:\n${screen}`,
          );
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async waitPaneDead(target, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      const dead = async () =>
        (await tmux("display-message", "-p", "-t", paneTarget(target), "#{pane_dead}")).stdout
          .trim() === "1";
      while (!(await dead())) {
        if (Date.now() > deadline) {
          throw new Error(`tmux ${target}: still running after ${timeoutMs} ms`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      // Fails harmlessly with "no server running" when no session was made.
      await tmux("kill-server");
      await rm(dir, { recursive: true, force: true });
    },
  };
}

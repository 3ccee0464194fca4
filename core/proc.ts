/**
 * Process identity: a pid alone can be reused after a reboot or a long uptime, so runs
 * store the pid together with its start time and both must match before we trust it.
 */

/** A token that changes when the pid is reused; null when the process does not exist. */
export function processStartTime(pid: number): string | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  if (Deno.build.os === "linux") {
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      // Field 22 (starttime) counted after the ")" that ends the command name.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      return fields[19] ?? null;
    } catch {
      return null;
    }
  }
  try {
    const out = new Deno.Command("ps", {
      args: ["-o", "lstart=", "-p", String(pid)],
    })
      .outputSync();
    const text = new TextDecoder().decode(out.stdout).trim();
    return out.success && text ? text : null;
  } catch {
    return null;
  }
}

/** True when the process exists and is the same one we recorded. */
export function isSameProcess(
  pid: number | null,
  startTime: string | null,
): boolean {
  if (!pid) return false;
  const now = processStartTime(pid);
  if (now === null) return false;
  if (Deno.build.os === "linux" && isZombie(pid)) return false;
  return startTime === null || now === startTime;
}

function isZombie(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) ===
      "Z";
  } catch {
    return false;
  }
}

/** Sends a signal to a whole process group; false when there was nobody to signal. */
export function killGroup(pgid: number, signal: Deno.Signal): boolean {
  try {
    Deno.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

export function killPid(pid: number, signal: Deno.Signal): boolean {
  try {
    Deno.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Finds an executable on PATH (or checks an explicit path); null when absent. */
export function which(
  cmd: string,
  pathEnv = Deno.env.get("PATH") ?? "",
): string | null {
  const isExec = (p: string) => {
    try {
      const st = Deno.statSync(p);
      return st.isFile && ((st.mode ?? 0o111) & 0o111) !== 0;
    } catch {
      return false;
    }
  };
  if (cmd.includes("/")) return isExec(cmd) ? cmd : null;
  for (const dir of pathEnv.split(":")) {
    if (!dir) continue;
    const p = `${dir}/${cmd}`;
    if (isExec(p)) return p;
  }
  return null;
}

/** Parent pid of every process, from /proc (Linux) or ps (elsewhere). */
function parentTable(): Map<number, number> {
  const parents = new Map<number, number>();
  if (Deno.build.os === "linux") {
    for (const e of Deno.readDirSync("/proc")) {
      if (!/^\d+$/.test(e.name)) continue;
      try {
        const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        parents.set(Number(e.name), ppid);
      } catch { /* exited meanwhile */ }
    }
    return parents;
  }
  try {
    const out = new Deno.Command("ps", { args: ["-A", "-o", "pid=,ppid="] }).outputSync();
    for (const line of new TextDecoder().decode(out.stdout).split("\n")) {
      const [pid, ppid] = line.trim().split(/\s+/).map(Number);
      if (pid) parents.set(pid, ppid);
    }
  } catch { /* no ps: the process group alone will have to do */ }
  return parents;
}

/**
 * A process and all its descendants. Agent CLIs start tool commands in sessions of
 * their own, so signalling the process group alone leaves those running.
 */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parentTable()) {
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid)!.push(pid);
  }
  const tree: number[] = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift()!;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/**
 * Kills a process and all its descendants at once. The root is stopped first so it cannot
 * start anything between the walk of its tree and the kill.
 */
export function killTreeNow(root: number): void {
  if (!killGroup(root, "SIGSTOP")) killPid(root, "SIGSTOP");
  signalTree(root, processTree(root), "SIGKILL");
}

/** Signals the group led by `root` and every process in `tree` (collected beforehand). */
export function signalTree(root: number, tree: number[], signal: Deno.Signal): void {
  // A root that leads no process group of its own is signalled on its own.
  if (!killGroup(root, signal)) killPid(root, signal);
  for (const pid of tree) if (pid !== root) killPid(pid, signal);
}

/** The first line a CLI prints for `--version`, or null (missing, broken, or over 5 s). */
export async function commandVersion(path: string): Promise<string | null> {
  try {
    const out = await new Deno.Command(path, {
      args: ["--version"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(5000),
    }).output();
    return new TextDecoder().decode(out.stdout).trim().split("\n")[0] || null;
  } catch {
    return null;
  }
}

/** `argv` run as root: as is when we are root, else through sudo when there is one. */
export function asRoot(argv: string[]): string[] {
  if (Deno.uid() === 0) return argv;
  return which("sudo") ? ["sudo", ...argv] : argv;
}

let setsidPath: string | null | undefined;

/** setsid(1) (util-linux): on Linux, not on macOS. */
function setsidProgram(): string | null {
  if (setsidPath !== undefined) return setsidPath;
  for (const p of ["/usr/bin/setsid", "/bin/setsid"]) {
    try {
      if (Deno.statSync(p).isFile) return setsidPath = p;
    } catch { /* not here */ }
  }
  return setsidPath = null;
}

/**
 * How to start `argv` in a session and process group of its own. Deno's `detached` forks
 * the whole (large) process before it calls setsid: ~8 ms for handoff, against ~2 ms for a
 * plain spawn of setsid(1), which then calls setsid and execs in place (same pid). That is
 * used where it exists and `argv[0]` is an absolute path to a file, so a missing program
 * still fails the spawn itself with Deno's own error.
 */
export function inNewSession(argv: string[]): { argv: string[]; detached: boolean } {
  const setsid = setsidProgram();
  let direct = false;
  try {
    direct = argv[0].startsWith("/") && Deno.statSync(argv[0]).isFile;
  } catch { /* missing: let the spawn say so */ }
  return setsid && direct ? { argv: [setsid, ...argv], detached: false } : { argv, detached: true };
}

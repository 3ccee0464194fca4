import { join, resolve } from "./path.ts";

/** The user's home directory ($HOME first, so tests and sshd sessions can point it elsewhere). */
export function userHome(): string {
  const home = Deno.env.get("HOME") || passwdHome();
  if (!home) throw new Error("HOME is not set and /etc/passwd has no home for this user: set HOME");
  return home;
}

/** The home field of this user's /etc/passwd line (what node:os falls back to, minus NSS). */
function passwdHome(): string | null {
  try {
    const uid = String(Deno.uid());
    for (const line of Deno.readTextFileSync("/etc/passwd").split("\n")) {
      const f = line.split(":");
      if (f[2] === uid && f[5]) return f[5];
    }
  } catch { /* no passwd file */ }
  return null;
}

/** `~` and `~/x` expand to the home directory; other paths are returned unchanged. */
export function expandHome(p: string): string {
  if (p === "~") return userHome();
  if (p.startsWith("~/")) return join(userHome(), p.slice(2));
  return p;
}

/** Shows a path with the home directory abbreviated to `~` (for messages, never for data). */
export function tildePath(p: string): string {
  const home = userHome();
  if (home && home !== "/" && (p === home || p.startsWith(home + "/"))) {
    return "~" + p.slice(home.length);
  }
  return p;
}

/** Everything handoff keeps lives under one home: `$HANDOFF_HOME`, default `~/.handoff`. */
export function handoffHome(): string {
  const env = Deno.env.get("HANDOFF_HOME");
  return resolve(env ? expandHome(env) : join(userHome(), ".handoff"));
}

export interface Paths {
  home: string;
  config: string;
  db: string;
  tasks: string;
  runs: string;
  keys: string;
}

export function paths(home = handoffHome()): Paths {
  const config = Deno.env.get("HANDOFF_CONFIG");
  return {
    home,
    config: config ? resolve(expandHome(config)) : join(home, "config.yaml"),
    db: join(home, "handoff.db"),
    tasks: join(home, "tasks"),
    runs: join(home, "runs"),
    keys: join(home, "keys"),
  };
}

/** Creates a private directory (0700) and its parents if missing. */
export function ensurePrivateDir(dir: string): void {
  Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

export interface RunFiles {
  prompt: string;
  out: string;
  result: string;
  raw: string;
  stderr: string;
}

/** The plain files of one run: a person can open each of them. */
export function runFiles(runId: string, p: Paths = paths()): RunFiles {
  return {
    prompt: join(p.tasks, `${runId}.prompt.md`),
    out: join(p.tasks, `${runId}.out.txt`),
    result: join(p.tasks, `${runId}.result.md`),
    raw: join(p.runs, `${runId}.jsonl`),
    stderr: join(p.runs, `${runId}.stderr.log`),
  };
}

/** Where installed plugins live: `<home>/plugins`. */
export function pluginsDir(home: string): string {
  return join(home, "plugins");
}

/** The plugin lock (core/plugin/lock.ts); here so the hot paths can find it cheaply. */
export function lockPath(home: string): string {
  return join(pluginsDir(home), "lock.json");
}

/**
 * True when the plugin lock names the plugin as disabled. For hot paths: it reads one
 * field, not the lock's parser and manifests. No lock disables nothing; a lock that cannot
 * be read answers `ifDamaged`: true where being off is the safe side (the gate, which then
 * refuses phones, rather than letting a damaged file turn a disabled gate back on).
 */
export function disabledInLock(home: string, name: string, ifDamaged = false): boolean {
  let text: string;
  try {
    text = Deno.readTextFileSync(lockPath(home));
  } catch (e) {
    return e instanceof Deno.errors.NotFound ? false : ifDamaged;
  }
  try {
    const lock = JSON.parse(text);
    if (!lock || typeof lock !== "object") return ifDamaged;
    if (lock.disabled === undefined) return false; // as the lock's own parser reads it
    return Array.isArray(lock.disabled) ? lock.disabled.includes(name) : ifDamaged;
  } catch {
    return ifDamaged;
  }
}

// How handoff calls itself: from the TUI (a resumed run), from agent hooks, and from places
// with a minimal environment such as sshd's forced command (PATH=/usr/bin:/bin…, no nvm,
// no Homebrew), which needs an absolute program. A compiled binary is its own program;
// from source, a small shim under $HANDOFF_HOME/bin execs the absolute deno on main.ts.

import { fromFileUrl, join } from "./path.ts";
import { ensurePrivateDir } from "./paths.ts";
import { inNewSession } from "./proc.ts";

const MAIN_TS = new URL("../main.ts", import.meta.url);

/**
 * V8's young generation starts at 8 MB instead of 1 MB. Loading handoff's modules fills
 * the default one twice before a run starts its backend, and each scavenge (nearly
 * everything survives) took 5–6 ms here: ~4 ms of what handoff adds to a dispatch
 * (bench/acp_overhead.ts). Peak memory of a command stays the same. scripts/compile.sh
 * gives the compiled binary the same flag.
 */
export const V8_FLAGS = "--v8-flags=--min-semi-space-size=8";

/**
 * How `deno` runs handoff from source. Without --unstable-lazy-dynamic-imports, `deno run`
 * loads every module a literal `import("…")` names before the program starts: all of
 * handoff's ~200 modules for every command (+25 ms for `--version`). A compiled binary
 * embeds them either way; the flag is never given to `deno compile`.
 */
export const SOURCE_RUN: readonly string[] = [
  "run",
  "-A",
  "--quiet",
  "--unstable-lazy-dynamic-imports",
  V8_FLAGS,
];

/** True when running from source (`deno run main.ts`), false in a `deno compile` binary. */
export function runningFromSource(): boolean {
  const exe = Deno.execPath().split("/").pop() ?? "";
  return MAIN_TS.protocol === "file:" && /^deno(\.exe)?$/.test(exe);
}

/** The argv that starts this handoff: the binary, or deno running main.ts. */
export function selfArgv(): string[] {
  return runningFromSource()
    ? [Deno.execPath(), ...SOURCE_RUN, fromFileUrl(MAIN_TS)]
    : [Deno.execPath()];
}

/**
 * Starts `handoff --home <home> <args…>` in a session of its own with no stdio, so the
 * caller neither waits for it nor takes it down on exit. `env`, when given, is the whole
 * environment. Throws when it cannot start.
 */
export function spawnSelfDetached(
  home: string,
  args: string[],
  env?: Record<string, string>,
): void {
  const start = inNewSession([...selfArgv(), "--home", home, ...args]);
  new Deno.Command(start.argv[0], {
    args: start.argv.slice(1),
    ...(env ? { env, clearEnv: true } : {}),
    stdin: "null",
    stdout: "null",
    stderr: "null",
    detached: start.detached,
  }).spawn().unref();
}

/** sh single-quoting (the shim is the only script handoff writes). */
function sq(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The shim's text: exec the absolute deno on the absolute main.ts with the same args. */
export function shimScript(denoPath: string, mainTs: string): string {
  return [
    "#!/bin/sh",
    "# Written by handoff (setup/pair): how sshd's forced command and scripts reach handoff",
    "# when running from source. Safe to delete; `handoff setup` writes it again.",
    `exec ${sq(denoPath)} ${SOURCE_RUN.join(" ")} ${sq(mainTs)} "$@"`,
    "",
  ].join("\n");
}

/**
 * The absolute program that runs this handoff: the binary itself, or the shim (written or
 * refreshed here, 0700). `home` is the absolute HANDOFF_HOME.
 */
export function selfProgram(home: string): string {
  if (!runningFromSource()) return Deno.execPath();
  const dir = join(home, "bin");
  ensurePrivateDir(dir);
  const shim = join(dir, "handoff");
  const text = shimScript(Deno.execPath(), fromFileUrl(MAIN_TS));
  let current: string | null = null;
  try {
    current = Deno.readTextFileSync(shim);
  } catch { /* not written yet */ }
  if (current !== text) {
    const tmp = `${shim}.tmp-${Deno.pid}`;
    Deno.writeTextFileSync(tmp, text, { mode: 0o700 });
    Deno.chmodSync(tmp, 0o700);
    Deno.renameSync(tmp, shim);
  }
  return shim;
}

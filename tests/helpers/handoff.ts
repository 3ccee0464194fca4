/**
 * A throwaway world for end-to-end tests: its own HANDOFF_HOME, a config whose backends
 * point the real claude and codex CLIs at the fake model servers, and a `handoff()`
 * that runs main.ts as a separate process, exactly as a user or an agent would.
 */
import { join } from "node:path";
import { startFakeAnthropic } from "../fakes/fake_anthropic.ts";
import { startFakeOpenAI } from "../fakes/fake_openai.ts";
import type { FakeServer } from "../fakes/serve.ts";
import { BIN_DIR, REPO_ROOT, writeCodexHome } from "./agents.ts";
import { SOURCE_RUN } from "../../core/self.ts";

export const MAIN = join(REPO_ROOT, "main.ts");

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export interface World {
  dir: string;
  home: string;
  work: string;
  anthropic: FakeServer;
  openai: FakeServer;
  env: Record<string, string>;
  configFile: string;
  handoff(args: string[], opts?: RunOpts): Promise<Result>;
  spawn(args: string[], opts?: RunOpts): Deno.ChildProcess;
  close(): Promise<void>;
}

export interface RunOpts {
  stdin?: string;
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** Starts handoff (main.ts) as a process of its own, with exactly `env`. */
export function spawnHandoff(
  args: string[],
  o: { env: Record<string, string>; cwd: string; stdin: "piped" | "null" },
): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [...SOURCE_RUN, MAIN, ...args],
    cwd: o.cwd,
    env: o.env,
    clearEnv: true,
    stdin: o.stdin,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Runs handoff to its end: `stdin` written then closed; killed after `timeoutMs`. */
export async function runHandoff(
  args: string[],
  o: { env: Record<string, string>; cwd: string; stdin?: string; timeoutMs?: number },
): Promise<Result> {
  const child = spawnHandoff(args, { ...o, stdin: o.stdin === undefined ? "null" : "piped" });
  const timer = setTimeout(() => child.kill("SIGKILL"), o.timeoutMs ?? 60_000);
  try {
    if (o.stdin !== undefined) {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(o.stdin)).catch(() => {});
      await w.close().catch(() => {});
    }
    const out = await child.output();
    return {
      code: out.code,
      stdout: new TextDecoder().decode(out.stdout),
      stderr: new TextDecoder().decode(out.stderr),
    };
  } finally {
    clearTimeout(timer);
  }
}

export function defaultConfig(w: { anthropic: FakeServer; openai: FakeServer; dir: string }) {
  return `backends:
  fake:
    type: claude
    model: fake-model
    pro_model: fake-model-pro
    env:
      ANTHROPIC_BASE_URL: ${w.anthropic.url}
      ANTHROPIC_AUTH_TOKEN: \${FAKE_TOKEN:-dummy}
      ANTHROPIC_SMALL_FAST_MODEL: fake-model
  cx:
    type: codex
    model: gpt-5.5
    env:
      CODEX_HOME: ${join(w.dir, "codex-home")}
      FAKE_OPENAI_KEY: dummy
`;
}

export interface WorldOptions {
  config?: (w: World) => string;
  /** Where the world's folder goes (default: the system's temp dir). */
  under?: string;
}

export async function startWorld(opts: WorldOptions = {}): Promise<World> {
  if (opts.under) await Deno.mkdir(opts.under, { recursive: true, mode: 0o755 });
  const dir = await Deno.makeTempDir({ prefix: "handoff-e2e-", dir: opts.under });
  const home = join(dir, "handoff-home");
  const work = join(dir, "work");
  await Deno.mkdir(work, { recursive: true });
  await Deno.mkdir(join(dir, "home"), { recursive: true });
  const anthropic = await startFakeAnthropic();
  const openai = await startFakeOpenAI();
  await writeCodexHome(join(dir, "codex-home"), openai.url);
  const env: Record<string, string> = {
    PATH: `${BIN_DIR}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
    HOME: join(dir, "home"),
    HANDOFF_HOME: home,
    NO_COLOR: "1",
    CLAUDE_CONFIG_DIR: join(dir, "home", ".claude"),
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_AUTOUPDATER: "1",
    DISABLE_TELEMETRY: "1",
    CLAUDE_CODE_MAX_RETRIES: "0",
    CLAUDE_CODE_TMPDIR: join(dir, "home", "tmp"),
    IS_SANDBOX: "1",
    // Noise a calling agent session would leave behind: handoff must not pass it on.
    ANTHROPIC_BASE_URL: "http://127.0.0.1:9/should-never-be-used",
    ANTHROPIC_MODEL: "inherited-model-must-not-leak",
  };
  const configFile = join(home, "config.yaml");
  const spawn = (args: string[], o: RunOpts = {}) =>
    spawnHandoff(args, {
      env: { ...env, ...o.env },
      cwd: o.cwd ?? work,
      stdin: o.stdin === undefined ? "null" : "piped",
    });
  const world: World = {
    dir,
    home,
    work,
    anthropic,
    openai,
    env,
    configFile,
    spawn,
    handoff: (args, o = {}) =>
      runHandoff(args, { ...o, env: { ...env, ...o.env }, cwd: o.cwd ?? work }),
    async close() {
      await anthropic.close();
      await openai.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  await Deno.mkdir(home, { recursive: true });
  await Deno.writeTextFile(configFile, (opts.config ?? defaultConfig)(world));
  return world;
}

/** Reads `handoff list --json` (all statuses). */
export async function listRuns(w: World): Promise<Record<string, unknown>[]> {
  const r = await w.handoff(["list", "--json", "--limit", "1000"]);
  if (r.code !== 0) throw new Error(`list failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The last non-empty line of a text. */
export function lastLine(text: string): string {
  const lines = text.trimEnd().split("\n");
  return lines[lines.length - 1] ?? "";
}

/** Runs `fn` in a fresh world (startWorld), closed afterwards whatever happens. */
export async function withWorld(
  fn: (w: World) => Promise<void>,
  opts: WorldOptions = {},
): Promise<void> {
  const w = await startWorld(opts);
  try {
    await fn(w);
  } finally {
    await w.close();
  }
}

/** The run id of `handoff run`'s first stdout line (`RUN_ID=…`); asserts the format. */
export function runIdOf(stdout: string): string {
  const first = stdout.split("\n")[0];
  if (!/^RUN_ID=\d{4}-[a-z]{2}-[0-9A-Z]{2,}-[a-z0-9-]+$/.test(first)) {
    throw new Error(`not a RUN_ID= line: ${JSON.stringify(first)} (stdout: ${stdout})`);
  }
  return first.slice("RUN_ID=".length);
}

/** Polls `pred` every 50 ms until it holds (a throw counts as not yet); fails after timeoutMs. */
export async function waitFor(
  pred: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      if (await pred()) return;
    } catch { /* not there yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("condition not met in time");
}

/** How many live processes have every one of `words` among their argv (Linux /proc). */
export function processesWith(...words: string[]): number {
  return pidsWith(...words).length;
}

/** The pids of the processes whose argv holds every one of `words`. */
export function pidsWith(...words: string[]): number[] {
  const pids: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const argv = Deno.readTextFileSync(`/proc/${e.name}/cmdline`).split("\0");
      if (words.every((w) => argv.includes(w))) pids.push(Number(e.name));
    } catch { /* exited */ }
  }
  return pids;
}

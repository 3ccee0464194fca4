/**
 * Shared parts of the benchmarks: where handoff lives, a clean environment for the
 * processes measured, statistics, and `measure()`, which times whole processes with
 * hyperfine when it is installed and with a performance.now() loop when it is not.
 *
 * Benchmarks print figures; they never assert on a number.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SOURCE_RUN } from "../core/self.ts";

export const REPO_ROOT = fileURLToPath(new URL("../", import.meta.url));
export const MAIN = join(REPO_ROOT, "main.ts");
export const BIN_DIR = join(REPO_ROOT, "node_modules", ".bin");

/** argv of `handoff <args>` exactly as a user runs it from a checkout. */
export function handoffArgv(...args: string[]): string[] {
  return [Deno.execPath(), ...SOURCE_RUN, MAIN, ...args];
}

/**
 * The Deno cache the current process uses. The measured processes get a temp HOME, and
 * Deno derives its cache from HOME: without this they would start cold every time.
 */
export async function denoDir(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return (JSON.parse(new TextDecoder().decode(out.stdout)) as { denoDir: string }).denoDir;
}

/** A minimal environment: nothing from the caller leaks into what is measured. */
export async function cleanEnv(
  home: string,
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  return {
    PATH: `${BIN_DIR}:${Deno.env.get("PATH") ?? "/usr/local/bin:/usr/bin:/bin"}`,
    HOME: home,
    DENO_DIR: await denoDir(),
    NO_COLOR: "1",
    RUST_BACKTRACE: "0",
    ...extra,
  };
}

/** A throwaway tree for one benchmark: a HOME, a HANDOFF_HOME and a working folder. */
export async function benchDirs(
  prefix: string,
): Promise<{ dir: string; home: string; handoffHome: string; work: string }> {
  const dir = await Deno.makeTempDir({ prefix });
  const d = {
    dir,
    home: join(dir, "home"),
    handoffHome: join(dir, "handoff-home"),
    work: join(dir, "work"),
  };
  for (const sub of [d.home, d.handoffHome, d.work]) await Deno.mkdir(sub, { recursive: true });
  return d;
}

export interface Stats {
  n: number;
  median: number;
  mean: number;
  p90: number;
  min: number;
  max: number;
}

/** Order statistics in ms; p90 by nearest rank. */
export function stats(times: number[]): Stats {
  const s = [...times].sort((a, b) => a - b);
  const n = s.length;
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return {
    n,
    median,
    mean: s.reduce((a, b) => a + b, 0) / n,
    p90: s[Math.max(0, Math.ceil(0.9 * n) - 1)],
    min: s[0],
    max: s[n - 1],
  };
}

export const ms = (x: number) => `${x.toFixed(1)} ms`;

/** Nearest-rank percentile of a sample (`p` in percent: 50, 90, 99). */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)];
}

/** Left-aligned first column, right-aligned others; two spaces between columns. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) =>
    r.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join("  ")
      .trimEnd()
  ).join("\n");
}

/** Path of an executable on PATH, or null. */
export function which(name: string): string | null {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    const p = join(dir, name);
    try {
      const st = Deno.statSync(p);
      if (st.isFile && (st.mode ?? 0o111) & 0o111) return p;
    } catch { /* not here */ }
  }
  return null;
}

export interface Cmd {
  name: string;
  argv: string[];
  /** Its own environment (else the options'); measured with the internal loop. */
  env?: Record<string, string>;
  /** Awaited after each run, untimed (e.g. until a process it started is gone). */
  after?: () => Promise<void>;
}

export interface Measured {
  name: string;
  /** Wall times in ms. */
  times: number[];
}

export interface MeasureOptions {
  warmup: number;
  runs: number;
  env: Record<string, string>;
  cwd?: string;
}

/** Which timer `measure()` uses: printed in each header so figures can be compared. */
export function timerName(): string {
  const h = which("hyperfine");
  return h ? `hyperfine -N (${h})` : "internal loop (performance.now(); hyperfine not found)";
}

/**
 * Wall time of whole processes (stdout and stderr discarded, stdin closed). Every command
 * is run once first and must exit 0, so a broken setup fails loudly instead of being timed.
 */
export async function measure(cmds: Cmd[], o: MeasureOptions): Promise<Measured[]> {
  for (const c of cmds) await checkRuns(c, o);
  const hyperfine = cmds.some((c) => c.env || c.after) ? null : which("hyperfine");
  return hyperfine ? await viaHyperfine(hyperfine, cmds, o) : await viaLoop(cmds, o);
}

async function checkRuns(c: Cmd, o: MeasureOptions): Promise<void> {
  const out = await new Deno.Command(c.argv[0], {
    args: c.argv.slice(1),
    env: c.env ?? o.env,
    clearEnv: true,
    cwd: o.cwd,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  await c.after?.();
  if (out.code !== 0) {
    throw new Error(
      `${c.name} exited with ${out.code}: ${new TextDecoder().decode(out.stderr).trim()}`,
    );
  }
}

/** hyperfine -N splits its command strings like a shell would: quote what needs it. */
function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

async function viaHyperfine(bin: string, cmds: Cmd[], o: MeasureOptions): Promise<Measured[]> {
  const dir = await Deno.makeTempDir({ prefix: "handoff-bench-hf-" });
  try {
    const json = join(dir, "out.json");
    const args = [
      "-N",
      "--style",
      "none",
      "--warmup",
      String(o.warmup),
      "--runs",
      String(o.runs),
      "--export-json",
      json,
    ];
    for (const c of cmds) {
      args.push("--command-name", c.name, c.argv.map(shellWord).join(" "));
    }
    const out = await new Deno.Command(bin, {
      args,
      env: o.env,
      clearEnv: true,
      cwd: o.cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (out.code !== 0) {
      throw new Error(`hyperfine failed: ${new TextDecoder().decode(out.stderr).trim()}`);
    }
    const doc = JSON.parse(await Deno.readTextFile(json)) as {
      results: { command: string; times: number[] }[];
    };
    return doc.results.map((r) => ({ name: r.command, times: r.times.map((t) => t * 1000) }));
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** The fallback: commands interleaved round-robin so drift hits all of them alike. */
async function viaLoop(cmds: Cmd[], o: MeasureOptions): Promise<Measured[]> {
  const once = async (c: Cmd) => {
    const t0 = performance.now();
    await new Deno.Command(c.argv[0], {
      args: c.argv.slice(1),
      env: c.env ?? o.env,
      clearEnv: true,
      cwd: o.cwd,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    const took = performance.now() - t0;
    await c.after?.();
    return took;
  };
  for (let i = 0; i < o.warmup; i++) for (const c of cmds) await once(c);
  const res = cmds.map((c) => ({ name: c.name, times: [] as number[] }));
  for (let i = 0; i < o.runs; i++) {
    for (const [k, c] of cmds.entries()) res[k].times.push(await once(c));
  }
  return res;
}

/** `--name value` from Deno.args, as a positive integer. */
export function intFlag(name: string, fallback: number): number {
  const i = Deno.args.indexOf(name);
  const raw = i >= 0
    ? Deno.args[i + 1]
    : Deno.args.find((a) => a.startsWith(name + "="))?.slice(name.length + 1);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`${name} must be a positive integer, got "${raw}"`);
    Deno.exit(2);
  }
  return n;
}

/** The usual figures table, the first result being the baseline the others are set against. */
export function baselineTable(results: Measured[]): string {
  const base = stats(results[0].times).median;
  return table([
    ["", "median", "mean", "min", "× baseline", "+ baseline"],
    ...results.map((r) => {
      const s = stats(r.times);
      return [
        r.name,
        ms(s.median),
        ms(s.mean),
        ms(s.min),
        (s.median / base).toFixed(2),
        ms(s.median - base),
      ];
    }),
  ]);
}

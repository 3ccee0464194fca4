/**
 * Warm start-up of handoff beside what Deno itself costs: `--version` (the fast path in
 * main.ts, nothing imported), `--help` (the whole command tree) and `env --json` (config
 * loading, here with no config file), next to a `deno run` hello world, all in one
 * hyperfine run so they share the machine's state.
 *
 *   deno run -A bench/startup.ts
 */
import { join } from "node:path";
import { baselineTable, cleanEnv, handoffArgv, measure, timerName } from "./lib.ts";

async function main() {
  const dir = await Deno.makeTempDir({ prefix: "handoff-bench-startup-" });
  try {
    const home = join(dir, "home");
    const handoffHome = join(dir, "handoff-home"); // stays empty: `env` finds no config
    for (const d of [home, handoffHome]) await Deno.mkdir(d, { recursive: true });
    const hello = join(dir, "hello.ts");
    await Deno.writeTextFile(hello, 'console.log("hello");\n');

    console.log(`# startup: warm start-up of handoff vs a deno hello world

measures  wall time of the whole process (deno run -A --quiet …)
timer     ${timerName()}, 5 warm-ups, 30 runs
baseline  deno run -A --quiet hello.ts (console.log only)
`);
    const env = await cleanEnv(home, { HANDOFF_HOME: handoffHome });
    const results = await measure([
      { name: "deno hello world", argv: [Deno.execPath(), "run", "-A", "--quiet", hello] },
      { name: "handoff --version", argv: handoffArgv("--version") },
      { name: "handoff --help", argv: handoffArgv("--help") },
      { name: "handoff env --json (no config)", argv: handoffArgv("env", "--json") },
    ], { warmup: 5, runs: 30, env, cwd: dir });

    console.log(baselineTable(results));
    console.log("\ntarget: --version ≤ 60 ms warm");
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await main();

/**
 * Shell completion on a big ledger: `handoff complete-args bash tail -- <prefix>` (what the
 * bash script runs at every Tab after `handoff tail`) on 100,000 runs, as a whole process,
 * next to the baselines `deno run hello.ts` and `handoff --version` (main.ts answering before
 * it imports anything), and the same completion on an empty ledger.
 *
 *   deno run -A bench/completion.ts [--rows N]     (default 100000)
 *
 * Target: ≤ 50 ms for a completion on 100,000 runs. Figures only.
 */
import { join } from "node:path";
import { buildLedger } from "./list_100k.ts";
import { baselineTable, cleanEnv, handoffArgv, intFlag, measure, timerName } from "./lib.ts";

const rows = intFlag("--rows", 100_000);
const dir = await Deno.makeTempDir({ prefix: "handoff-bench-completion-" });
try {
  const home = join(dir, "home");
  const big = join(dir, "handoff-big");
  const empty = join(dir, "handoff-empty");
  for (const d of [home, big, empty]) await Deno.mkdir(d, { recursive: true });
  buildLedger(join(big, "handoff.db"), rows);
  const hello = join(dir, "hello.ts");
  await Deno.writeTextFile(hello, 'console.log("hello");\n');
  const env = await cleanEnv(home);
  const probe = await new Deno.Command(handoffArgv()[0], {
    args: handoffArgv("complete-args", "bash", "tail", "--", "").slice(1),
    env: { ...env, HANDOFF_HOME: big },
    clearEnv: true,
    stdout: "piped",
  }).output();
  const offered = new TextDecoder().decode(probe.stdout).trim().split("\n");
  const prefix = offered[0]?.slice(0, 7) ?? "";
  console.log(`# completion: handoff complete-args on a ledger of ${rows.toLocaleString("en")} runs

timer     ${timerName()}, 3 warm-ups, 20 runs
check     \`tail <Tab>\` offers ${offered.length} values, first ${offered[0]}; prefix "${prefix}"
`);
  const tab = (label: string, p: string) => ({
    name: `tail ${p || "(nothing typed)"} <Tab> (${label})`,
    argv: handoffArgv("complete-args", "bash", "tail", "--", p),
  });
  const opts = { warmup: 3, runs: 20, cwd: dir };
  const results = [
    ...await measure([
      { name: "deno run hello.ts", argv: [Deno.execPath(), "run", hello] },
      // handoff's own floor: main.ts answers --version before importing anything.
      { name: "handoff --version", argv: handoffArgv("--version") },
    ], { ...opts, env }),
    ...await measure([tab(`${rows / 1000}k`, ""), tab(`${rows / 1000}k`, prefix)], {
      ...opts,
      env: { ...env, HANDOFF_HOME: big },
    }),
    ...await measure([tab("empty", "")], { ...opts, env: { ...env, HANDOFF_HOME: empty } }),
  ];
  console.log(baselineTable(results));
  console.log("\ntarget: a completion on 100k runs ≤ 50 ms");
} finally {
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

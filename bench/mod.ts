/**
 * All benchmarks, one after the other, each in its own process (so one's warm caches
 * and servers do not leak into the next); new scripts in bench/ are picked up by name.
 * Run it with `deno task bench`; each script also runs alone: `deno run -A bench/<name>.ts`.
 * Figures only: nothing here fails on a number.
 */
import { fileURLToPath } from "node:url";

const HERE = fileURLToPath(new URL(".", import.meta.url));

/** Every bench/*.ts that is a script (not this runner, not a helper module like lib.ts). */
function scripts(): string[] {
  return [...Deno.readDirSync(HERE)]
    .map((e) => e.name)
    .filter((n) => n.endsWith(".ts") && !["mod.ts", "lib.ts"].includes(n) && !n.startsWith("_"))
    .sort();
}

/** The machine's state next to the figures: on a shared box the load explains a lot. */
function machine(): string {
  const load = Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
  return `deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cpus, load ${load}`;
}

async function main() {
  console.log(`# handoff benchmarks (${machine()})\n`);
  let failed = 0;
  for (const script of scripts()) {
    const path = HERE + script;
    const t0 = performance.now();
    // Output is inherited: each script prints its own header and figures.
    const { code } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", path],
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(`\n(${script}: ${code === 0 ? "done" : `exited with ${code}`} in ${secs} s)\n`);
    if (code !== 0) failed++;
  }
  console.log(`# done (${machine()})`);
  // A script that could not run (missing CLI, broken setup) is an error, not a figure.
  if (failed) Deno.exit(1);
}

if (import.meta.main) await main();

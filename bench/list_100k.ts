/**
 * `handoff list` on a big ledger: 100,000 runs written straight into a temp HANDOFF_HOME
 * (core/store.ts openDb + one prepared INSERT in one transaction), then `list --json` and
 * the plain table, each as a whole process. The same commands on an empty ledger show
 * what the rows themselves cost.
 *
 *   deno run -A bench/list_100k.ts [--rows N]     (default 100000)
 */
import { join } from "node:path";
import { backfillChains, openDb, transaction } from "../core/store.ts";
import { formatRunId, localDay } from "../core/runid.ts";
import { cleanEnv, handoffArgv, intFlag, measure, ms, stats, table, timerName } from "./lib.ts";

const BACKENDS = [
  { name: "fast", type: "claude", model: "claude-sonnet-4-5", weight: 5 },
  { name: "deepseek", type: "claude", model: "deepseek-chat", weight: 3 },
  { name: "codex", type: "codex", model: "gpt-5.5", weight: 3 },
  { name: "glm", type: "claude", model: "glm-4.6", weight: 1 },
];
/** Mostly successes, as in a real ledger; no `running` rows (list would reconcile them). */
const STATUSES = [
  ...Array(80).fill("success"),
  ...Array(10).fill("error"),
  ...Array(7).fill("interrupted"),
  ...Array(2).fill("lost"),
  "reserved",
];
const SLUGS = [
  "fix auth",
  "add tests",
  "refactor ledger",
  "review pr",
  "update docs",
  "bump deps",
  "investigate flaky test",
  "port to deno",
];
const TITLES = [
  "Fix the token refresh race in the auth middleware and add a regression test",
  "Add unit tests for the run id parser, including the A0..ZZ range",
  "Refactor the ledger so that list uses the primary key index",
  "Review the open pull request and summarize the risky parts",
  "Update the README with the new config keys (include, system_prompt)",
  "Bump the pinned npm dependencies and run the whole suite",
  "Investigate why the tmux harness test fails one time in twenty",
  "Port the notify plugin from Node to Deno built-ins",
];

/** Deterministic pseudo-random numbers (mulberry32): the same ledger every time. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Writes `rows` runs spread evenly over 250 days (400 a day at 100k), oldest first, so
 * ids grow with time like a real ledger. Fewer than 366 days: MMDD ids never repeat.
 */
export function buildLedger(file: string, rows: number): void {
  const rand = rng(42);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const weighted = BACKENDS.flatMap((b) => Array(b.weight).fill(b));
  const days = 250;
  const perDay = Math.ceil(rows / days);
  const start = Date.now() - days * 86_400_000;
  const db = openDb(file);
  try {
    const insert = db.prepare(
      `INSERT INTO runs (run_id, run_day, seq, slug, backend, backend_type, model, pro,
         permission_mode, cwd, title, session_id, parent_run_id, status, exit_code, error,
         created_at, started_at, ended_at, input_tokens, output_tokens, cache_read_tokens,
         cache_write_tokens, reasoning_tokens, turns, cost_usd)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const counter = db.prepare("INSERT INTO run_counters(day, last_n) VALUES (?, ?)");
    transaction(db, () => {
      let done = 0;
      let previous: string | null = null;
      for (let d = 0; d < days && done < rows; d++) {
        const n = Math.min(perDay, rows - done);
        const dayStart = start + d * 86_400_000;
        const day = localDay(new Date(dayStart));
        for (let seq = 1; seq <= n; seq++) {
          const b = pick(weighted);
          const slug = pick(SLUGS);
          const created = dayStart + Math.floor((seq / (n + 1)) * 86_400_000);
          const status = pick(STATUSES);
          const ran = status !== "reserved";
          const started = ran ? created + 200 : null;
          const ended = ran ? started! + Math.floor(5_000 + rand() * 900_000) : null;
          const input = ran ? Math.floor(2_000 + rand() * 400_000) : 0;
          const output = ran ? Math.floor(200 + rand() * 40_000) : 0;
          const runId = formatRunId(new Date(created), b.name, seq, slug);
          insert.run(
            runId,
            day,
            seq,
            slug.replaceAll(" ", "-"),
            b.name,
            b.type,
            b.model,
            rand() < 0.1 ? 1 : 0,
            "bypassPermissions",
            `/home/dev/src/project-${Math.floor(rand() * 12)}`,
            pick(TITLES),
            ran ? crypto.randomUUID() : null,
            rand() < 0.05 ? previous : null, // a few continuations
            status,
            status === "success" ? 0 : status === "error" ? 1 : status === "reserved" ? null : 130,
            status === "error" ? "no successful result: claude exited with status 1" : null,
            created,
            started,
            ended,
            input,
            output,
            ran ? Math.floor(input * 0.6) : 0,
            ran ? Math.floor(input * 0.1) : 0,
            b.type === "codex" ? Math.floor(output * 0.3) : 0,
            ran ? 1 + Math.floor(rand() * 40) : 0,
            ran && b.type === "claude" ? Math.round(rand() * 300) / 100 : null,
          );
          previous = runId;
          done++;
        }
        counter.run(day, n);
      }
    });
    backfillChains(db); // the conversation chains the TUI groups by
  } finally {
    db.close();
  }
}

function fileSize(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return 0;
  }
}

async function main() {
  const rows = intFlag("--rows", 100_000);
  const dir = await Deno.makeTempDir({ prefix: "handoff-bench-list-" });
  try {
    const home = join(dir, "home");
    const big = join(dir, "handoff-big");
    const empty = join(dir, "handoff-empty");
    for (const d of [home, big, empty]) await Deno.mkdir(d, { recursive: true });
    console.log(`# list_100k: handoff list on a ledger of ${rows.toLocaleString("en")} runs

measures  wall time of the whole process: deno run -A --quiet main.ts list …
timer     ${timerName()}, 3 warm-ups, 20 runs
baseline  the same commands on an empty ledger
`);

    const db = join(big, "handoff.db");
    const t0 = performance.now();
    buildLedger(db, rows);
    const buildMs = performance.now() - t0;
    const size = fileSize(db) + fileSize(db + "-wal");
    console.log(`db build  ${ms(buildMs)} (one transaction), ${(size / 1048576).toFixed(1)} MiB`);
    // An empty ledger: the first list creates the database, the check run below does that.
    const cmds = (label: string) => [
      {
        name: `list --json --limit 50 (${label})`,
        argv: handoffArgv("list", "--json", "--limit", "50"),
      },
      { name: `list --limit 50 (${label})`, argv: handoffArgv("list", "--limit", "50") },
    ];

    const env = await cleanEnv(home);
    // Make sure the figures are for a real answer: 50 rows, newest first.
    const probe = await new Deno.Command(handoffArgv()[0], {
      args: handoffArgv("list", "--json", "--limit", "50").slice(1),
      env: { ...env, HANDOFF_HOME: big },
      clearEnv: true,
      stdout: "piped",
      stderr: "inherit",
    }).output();
    const listed = JSON.parse(new TextDecoder().decode(probe.stdout)) as { run_id: string }[];
    console.log(
      `check     list --json returned ${listed.length} runs, newest ${listed[0]?.run_id}`,
    );
    const opts = { warmup: 3, runs: 20, cwd: dir };
    const results = [
      ...await measure(cmds(`${rows / 1000}k`), { ...opts, env: { ...env, HANDOFF_HOME: big } }),
      ...await measure(cmds("empty"), { ...opts, env: { ...env, HANDOFF_HOME: empty } }),
    ];
    console.log();
    console.log(table([
      ["", "median", "mean", "min", "max"],
      ...results.map((r) => {
        const s = stats(r.times);
        return [r.name, ms(s.median), ms(s.mean), ms(s.min), ms(s.max)];
      }),
    ]));
    console.log("\ntarget: list --limit 50 on 100k runs ≤ 200 ms");
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await main();

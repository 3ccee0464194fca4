/**
 * The full-screen `handoff list` on a 100,000-run ledger, in a real tmux pane (80×24):
 *
 *   first paint   Enter pressed in a pane whose shell then execs `handoff list` → the
 *                 first frame is on screen (capture-pane polled in a tight loop until the
 *                 footer shows "1/100,000"). Includes Deno start-up, loading ink + React,
 *                 opening the database and the first window query.
 *   PageDown      the cursor moved ~1,000 rows: 48 presses of 21 rows. "burst" sends all
 *                 of them in one send-keys; "one by one" waits for each screen update.
 *
 *   deno run -A bench/tui_list.ts [--rows N] [--runs N]     (defaults 100000, 10)
 *
 * Figures only (target: first paint ≤ 300 ms); nothing here fails on a number. capture-pane
 * costs a few ms per poll, so times are upper bounds by about that much.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { backfillChains, openDb, transaction } from "../core/store.ts";
import { formatRunId, localDay } from "../core/runid.ts";
import { startTmux, type Tmux } from "../tests/helpers/tmux.ts";
import { percentile } from "./lib.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
const WIDTH = 80;
const HEIGHT = 24;
const LIST_ROWS = HEIGHT - 3; // title, header, footer
const PRESSES = Math.ceil(1000 / LIST_ROWS);

function flag(name: string, fallback: number): number {
  const i = Deno.args.indexOf(name);
  const n = i >= 0 ? Number(Deno.args[i + 1]) : fallback;
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** `rows` finished runs over 250 days, oldest first (ids grow with time, as in real use). */
function buildLedger(file: string, rows: number): void {
  const db = openDb(file);
  const statuses = ["success", "success", "success", "success", "error", "interrupted", "lost"];
  const backends = [["fast", "claude"], ["deepseek", "claude"], ["codex", "codex"]];
  const start = Date.now() - 250 * 86_400_000;
  const step = (250 * 86_400_000) / rows;
  try {
    const insert = db.prepare(
      `INSERT INTO runs (run_id, run_day, seq, slug, backend, backend_type, model, cwd, title,
         session_id, status, created_at, started_at, ended_at, input_tokens, output_tokens,
         turns, cost_usd)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const perDay = new Map<string, number>();
    transaction(db, () => {
      for (let i = 0; i < rows; i++) {
        const at = new Date(start + i * step);
        const day = localDay(at);
        const seq = (perDay.get(day) ?? 0) + 1;
        perDay.set(day, seq);
        const [backend, type] = backends[i % backends.length];
        const slug = `task ${i % 97}`;
        insert.run(
          formatRunId(at, backend, seq, slug),
          day,
          seq,
          slug,
          backend,
          type,
          "model",
          `/home/me/src/project-${i % 40}`,
          `Fix the flaky test number ${i} and explain the root cause in the result`,
          crypto.randomUUID(),
          statuses[i % statuses.length],
          at.getTime(),
          at.getTime(),
          at.getTime() + 30_000 + (i % 600) * 1000,
          1000 + i % 5000,
          200 + i % 800,
          1 + i % 9,
          i % 3 === 2 ? null : 0.001 * (i % 500),
        );
      }
      const counter = db.prepare("INSERT INTO run_counters(day, last_n) VALUES (?, ?)");
      for (const [day, n] of perDay) counter.run(day, n);
    });
    backfillChains(db); // the conversation chains the TUI groups by
  } finally {
    db.close();
  }
}

/** Polls the pane as fast as tmux answers until `pred` holds; the time it first did. */
async function until(t: Tmux, target: string, pred: (s: string) => boolean, ms = 10_000) {
  const deadline = performance.now() + ms;
  let screen = "";
  while (performance.now() < deadline) {
    screen = await t.capture(target);
    if (pred(screen)) return performance.now();
  }
  throw new Error(`timed out; last screen:\n${screen}`);
}

const position = (n: number, total: number) =>
  `${(n + 1).toLocaleString("en-US")}/${total.toLocaleString("en-US")}`;

interface Sample {
  paint: number;
  burst: number;
  single: number[];
}

async function once(t: Tmux, home: string, rows: number, i: number, pages: boolean) {
  const name = `b${i}`;
  // The shell waits for a line, then execs handoff: the clock starts at that Enter.
  await t.newSession(name, {
    width: WIDTH,
    height: HEIGHT,
    cmd: [
      "env",
      `HANDOFF_HOME=${home}`,
      "NO_COLOR=1",
      "sh",
      "-c",
      'read line; exec "$0" run -A --quiet "$1" list',
      Deno.execPath(),
      MAIN,
    ],
  });
  const target = `=${name}`;
  await new Promise((r) => setTimeout(r, 150)); // let sh reach `read`
  const t0 = performance.now();
  await t.sendKeys(target, "Enter");
  const marker = position(0, rows);
  const paint = await until(t, target, (s) => s.includes(marker)) - t0;
  const sample: Sample = { paint, burst: NaN, single: [] };
  if (pages) {
    const t1 = performance.now();
    await t.sendKeys(target, ...Array(PRESSES).fill("PageDown"));
    const burstMarker = position(PRESSES * LIST_ROWS, rows);
    sample.burst = await until(t, target, (s) => s.includes(burstMarker)) - t1;
    for (let k = 1; k <= PRESSES; k++) {
      const want = position(PRESSES * LIST_ROWS - k * LIST_ROWS, rows);
      const t2 = performance.now();
      await t.sendKeys(target, "PageUp");
      sample.single.push(await until(t, target, (s) => s.includes(want)) - t2);
    }
  }
  await t.sendKeys(target, "q");
  await t.tmux("kill-session", "-t", target);
  return sample;
}

const pct = (xs: number[], fraction: number) => percentile(xs, fraction * 100);
const f = (x: number) => `${x.toFixed(0)} ms`;

async function main() {
  const rows = flag("--rows", 100_000);
  const runs = flag("--runs", 10);
  const dir = await Deno.makeTempDir({ prefix: "handoff-bench-tui-" });
  const t = await startTmux();
  try {
    // Keeps the server up between measured sessions (it exits with its last session).
    await t.newSession("keep", { cmd: ["sleep", "3600"] });
    const big = join(dir, "big");
    const t0 = performance.now();
    buildLedger(join(big, "handoff.db"), rows);
    console.log(
      `tui_list: ${rows.toLocaleString("en-US")} runs written in ${
        f(performance.now() - t0)
      }; pane ${WIDTH}×${HEIGHT}, ${runs} runs (+2 warm-up)`,
    );
    const empty = join(dir, "empty");
    buildLedger(join(empty, "handoff.db"), 1);

    for (let i = 0; i < 2; i++) await once(t, big, rows, 100 + i, false); // warm caches
    const samples: Sample[] = [];
    for (let i = 0; i < runs; i++) samples.push(await once(t, big, rows, i, i < 3));
    const small: number[] = [];
    for (let i = 0; i < runs; i++) small.push((await once(t, empty, 1, 200 + i, false)).paint);

    const paints = samples.map((s) => s.paint);
    const bursts = samples.map((s) => s.burst).filter((x) => !Number.isNaN(x));
    const singles = samples.flatMap((s) => s.single);
    console.log(`\nfirst paint, ${rows.toLocaleString("en-US")} runs (target ≤ 300 ms)`);
    console.log(
      `  median ${f(pct(paints, 0.5))}  p90 ${f(pct(paints, 0.9))}  min ${
        f(Math.min(...paints))
      }  max ${f(Math.max(...paints))}`,
    );
    console.log(`first paint, 1 run (for comparison)`);
    console.log(`  median ${f(pct(small, 0.5))}  p90 ${f(pct(small, 0.9))}`);
    console.log(
      `\nPageDown ×${PRESSES} (${(PRESSES * LIST_ROWS).toLocaleString("en-US")} rows), burst`,
    );
    const perPress = (pct(bursts, 0.5) / PRESSES).toFixed(1);
    console.log(`  ${bursts.map(f).join(", ")}  (≈ ${perPress} ms per press)`);
    console.log(`PageUp one at a time, key → screen updated (${singles.length} presses)`);
    console.log(
      `  median ${f(pct(singles, 0.5))}  p90 ${f(pct(singles, 0.9))}  max ${
        f(Math.max(...singles))
      }`,
    );
    // What the measuring itself costs: one send-keys plus one capture-pane.
    const probe: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      await t.tmux("send-keys", "-t", "=keep:", "");
      await t.capture("=keep");
      probe.push(performance.now() - t0);
    }
    console.log(`(tmux send-keys + capture-pane alone: median ${pct(probe, 0.5).toFixed(1)} ms)`);
  } finally {
    await t.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await main();

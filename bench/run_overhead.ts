/**
 * What `handoff run` adds to a dispatch: its wall time minus that of the same Claude Code
 * CLI started directly, both against one in-process fake Anthropic server that answers at
 * once. The direct run gets exactly the argv and environment handoff gives the CLI (built
 * by the same launcher), so the difference is handoff alone: start-up, config, ledger,
 * files, stream parsing and the final write.
 *
 *   deno run -A bench/run_overhead.ts [--runs N]     (default 15)
 */
import { join } from "node:path";
import { startFakeAnthropic } from "../tests/fakes/fake_anthropic.ts";
import { claudeLauncher } from "../backends/claude.ts";
import { DEFAULT_SYSTEM_PROMPT } from "../core/config.ts";
import {
  benchDirs,
  BIN_DIR,
  cleanEnv,
  handoffArgv,
  intFlag,
  ms,
  type Stats,
  stats,
  table,
} from "./lib.ts";

const PROMPT = "Reply with the single word pong.";
const ANSWER = "pong";

interface Timed {
  total: number;
  /** When the first stdout bytes arrived: handoff's RUN_ID line / claude's init event. */
  firstOut: number;
  stdout: string;
}

/** Spawns, writes the prompt to stdin, drains both pipes; wall time to exit. */
async function timed(
  argv: string[],
  opts: { env: Record<string, string>; cwd: string; stdin: string },
): Promise<Timed> {
  const t0 = performance.now();
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    env: opts.env,
    clearEnv: true,
    cwd: opts.cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  try {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin)).catch(() => {});
    await w.close().catch(() => {});
    let firstOut = NaN;
    let stdout = "";
    const readOut = (async () => {
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        if (Number.isNaN(firstOut)) firstOut = performance.now() - t0;
        stdout += chunk;
      }
    })();
    const stderr = new Response(child.stderr).text();
    const [status, , errText] = await Promise.all([child.status, readOut, stderr]);
    const total = performance.now() - t0;
    if (status.code !== 0) {
      throw new Error(`${argv.slice(0, 6).join(" ")} … exited with ${status.code}:\n${errText}`);
    }
    return { total, firstOut, stdout };
  } finally {
    clearTimeout(timer);
  }
}

async function main() {
  const runs = intFlag("--runs", 15);
  const { dir, home, handoffHome, work } = await benchDirs("handoff-bench-run-");
  // Every reply is an immediate text answer: the time measured is the CLIs', not the model's.
  const fake = await startFakeAnthropic({ script: { default: [{ text: ANSWER }] } });
  try {
    // What a user's shell would hand handoff (tests/helpers/handoff.ts, minus the noise).
    const env = await cleanEnv(home, {
      HANDOFF_HOME: handoffHome,
      CLAUDE_CONFIG_DIR: join(home, ".claude"),
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_AUTOUPDATER: "1",
      DISABLE_TELEMETRY: "1",
      CLAUDE_CODE_MAX_RETRIES: "0",
      CLAUDE_CODE_TMPDIR: join(home, "tmp"),
      IS_SANDBOX: "1",
    });
    // The backend's env block, written once into the config and reused for the direct run.
    const backendEnv = {
      ANTHROPIC_BASE_URL: fake.url,
      ANTHROPIC_AUTH_TOKEN: "dummy",
      ANTHROPIC_SMALL_FAST_MODEL: "fake-model",
    };
    await Deno.writeTextFile(
      join(handoffHome, "config.yaml"),
      `backends:\n  bench:\n    type: claude\n    model: fake-model\n    env:\n` +
        Object.entries(backendEnv).map(([k, v]) => `      ${k}: ${JSON.stringify(v)}\n`)
          .join(""),
    );

    // A fresh session id per direct run, as handoff chooses one per run.
    const direct = () =>
      claudeLauncher.launch({
        command: join(BIN_DIR, "claude"),
        args: [],
        mode: null,
        model: "fake-model",
        cwd: work,
        newSession: crypto.randomUUID(),
        permissionMode: claudeLauncher.defaultPermissionMode,
        systemPrompt: DEFAULT_SYSTEM_PROMPT,
        env: backendEnv,
        inheritedEnv: env,
      }, PROMPT);
    const runDirect = async () => {
      const spec = await direct();
      const r = await timed(spec.argv, { env: spec.env, cwd: spec.cwd, stdin: spec.stdin! });
      if (!r.stdout.includes(`"result":"${ANSWER}"`)) {
        throw new Error(`direct claude run gave no result:\n${r.stdout}`);
      }
      return r;
    };
    const runHandoff = async () => {
      const r = await timed(handoffArgv("run", "-"), { env, cwd: work, stdin: PROMPT });
      if (!r.stdout.endsWith(`\n${ANSWER}\n`)) {
        throw new Error(`handoff run gave no answer:\n${r.stdout}`);
      }
      return r;
    };

    const spec = await direct();
    console.log(`# run_overhead: handoff run vs the same claude CLI started directly

measures  wall time of one dispatch (spawn → exit, stdin written, pipes drained)
direct    claude ${spec.argv.slice(1, 9).join(" ")}
          + --append-system-prompt <default> --session-id <uuid>, prompt on stdin
handoff   deno run -A --quiet main.ts run -   (same prompt on stdin; config: one claude backend)
server    fake Anthropic on ${fake.url}, immediate text answer "${ANSWER}"
method    1 warm-up each, then ${runs} pairs interleaved (order alternates per pair)
`);

    // Warm-up: fills Deno's code cache for main.ts and the OS page cache for claude.
    const warmDirect = await runDirect();
    const warmHandoff = await runHandoff();

    const d: Timed[] = [];
    const h: Timed[] = [];
    for (let i = 0; i < runs; i++) {
      // ABBA order: neither side always runs right after the other.
      if (i % 2 === 0) {
        d.push(await runDirect());
        h.push(await runHandoff());
      } else {
        h.push(await runHandoff());
        d.push(await runDirect());
      }
    }

    const sd = stats(d.map((x) => x.total));
    const sh = stats(h.map((x) => x.total));
    // Per pair, so slow moments of the machine cancel out.
    const added = stats(h.map((x, i) => x.total - d[i].total));
    // Where the added time goes: before handoff starts the CLI (it prints RUN_ID just
    // before spawning), and everything after (the CLI under handoff, then the wrap-up).
    const before = stats(h.map((x) => x.firstOut));
    const after = stats(h.map((x, i) => x.total - x.firstOut - d[i].total));
    const row = (name: string, s: Stats) => [name, ms(s.median), ms(s.p90), ms(s.min)];
    console.log(table([
      ["", "median", "p90", "min"],
      row("direct claude", sd),
      row("handoff run (warm)", sh),
      row("added, per pair", added),
    ]));
    console.log(`
added, median per pair      ${ms(added.median)}
added, median − median      ${ms(sh.median - sd.median)}
ratio handoff/direct        ${(sh.median / sd.median).toFixed(3)} (medians)
  before the CLI starts     ${ms(before.median)} (spawn of handoff → RUN_ID on stdout)
  after, beyond direct      ${ms(after.median)} (RUN_ID → exit, minus the direct run)
warm-up (first) runs        direct ${ms(warmDirect.total)}, handoff ${ms(warmHandoff.total)}

target: added ≤ 100 ms median`);
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await main();

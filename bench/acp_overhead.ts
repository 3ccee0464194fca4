/**
 * What handoff adds to an ACP agent's run: `handoff run` against a `type: acp` backend
 * versus the same agent driven by a bare ACP client (bench/acp_client.ts: initialize,
 * session/new, one prompt, nothing else), both Deno processes. The difference is handoff:
 * start-up, config, ledger, files and the event mapping.
 *
 *   deno run -A bench/acp_overhead.ts [--runs N] [--agent claude|fake]
 *
 * `claude` (default, 7 runs): the Claude ACP adapter on a fake Anthropic server that
 * answers at once; a real agent, whose own run (seconds, ± hundreds of ms) buries tens
 * of ms unless N is large. `fake` (default 25 runs): tests/fakes/fake_acp_agent.mjs, a
 * Node script that answers at once, so handoff's share stands out of the noise.
 */
import { join } from "node:path";
import { startFakeAnthropic } from "../tests/fakes/fake_anthropic.ts";
import {
  benchDirs,
  BIN_DIR,
  cleanEnv,
  handoffArgv,
  intFlag,
  ms,
  REPO_ROOT,
  stats,
  table,
} from "./lib.ts";

const PROMPT = "Reply with the single word pong.";
const ANSWER = "pong";
/** What the minimal agent says to any prompt (it asks the client a vendor request first). */
const FAKE_ANSWER = "vendor refused -32601";

async function timed(
  argv: string[],
  env: Record<string, string>,
  cwd: string,
  answer: string,
): Promise<number> {
  const t0 = performance.now();
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    env,
    clearEnv: true,
    cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(PROMPT));
  await w.close();
  const [out, err] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.status,
  ]);
  const total = performance.now() - t0;
  if (!out.includes(answer)) {
    throw new Error(`${argv.slice(0, 5).join(" ")} gave no answer:\n${out}\n${err}`);
  }
  return total;
}

async function main() {
  const which = Deno.args.includes("fake") || Deno.args.includes("--agent=fake")
    ? "fake"
    : "claude";
  const runs = intFlag("--runs", which === "fake" ? 25 : 7);
  const { dir, home, handoffHome, work } = await benchDirs("handoff-bench-acp-");
  const fake = await startFakeAnthropic({ script: { default: [{ text: ANSWER }] } });
  try {
    const agentEnv = {
      ANTHROPIC_BASE_URL: fake.url,
      ANTHROPIC_AUTH_TOKEN: "dummy",
      ANTHROPIC_SMALL_FAST_MODEL: "fake-model",
      CLAUDE_CONFIG_DIR: join(home, ".claude"),
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_AUTOUPDATER: "1",
      DISABLE_TELEMETRY: "1",
      CLAUDE_CODE_MAX_RETRIES: "0",
      IS_SANDBOX: "1",
    };
    const env = await cleanEnv(home, { HANDOFF_HOME: handoffHome, ...agentEnv });
    const agent = which === "fake"
      ? join(REPO_ROOT, "tests", "fakes", "fake_acp_agent.mjs")
      : join(BIN_DIR, "claude-agent-acp");
    const answer = which === "fake" ? FAKE_ANSWER : ANSWER;
    await Deno.writeTextFile(
      join(handoffHome, "config.yaml"),
      `backends:\n  bench:\n    type: acp\n    command: ${agent}\n    model: fake-model\n`,
    );
    const bare = [
      Deno.execPath(),
      "run",
      "-A",
      "--quiet",
      join(REPO_ROOT, "bench", "acp_client.ts"),
      agent,
    ];
    const viaHandoff = handoffArgv("run", "-");
    console.log(`# acp_overhead: handoff run (type: acp) vs a bare ACP client, same agent

agent     ${agent} (${
      which === "fake" ? "minimal ACP agent" : `Claude ACP adapter, fake Anthropic on ${fake.url}`
    }), answer "${answer}"
bare      deno run -A bench/acp_client.ts <agent>   (initialize, session/new, one prompt)
handoff   deno run -A --quiet main.ts run -          (config: one acp backend)
method    1 warm-up each, then ${runs} pairs interleaved (order alternates per pair)
`);
    await timed(bare, env, work, answer);
    await timed(viaHandoff, env, work, answer);
    const b: number[] = [];
    const h: number[] = [];
    for (let i = 0; i < runs; i++) {
      if (i % 2 === 0) {
        b.push(await timed(bare, env, work, answer));
        h.push(await timed(viaHandoff, env, work, answer));
      } else {
        h.push(await timed(viaHandoff, env, work, answer));
        b.push(await timed(bare, env, work, answer));
      }
    }
    const sb = stats(b);
    const sh = stats(h);
    const added = stats(h.map((x, i) => x - b[i]));
    console.log(table([
      ["", "median", "p90", "min"],
      ["bare ACP client", ms(sb.median), ms(sb.p90), ms(sb.min)],
      ["handoff run", ms(sh.median), ms(sh.p90), ms(sh.min)],
      ["added, per pair", ms(added.median), ms(added.p90), ms(added.min)],
    ]));
    console.log(`
added, median per pair      ${ms(added.median)}
ratio handoff/bare          ${(sh.median / sb.median).toFixed(3)} (medians)

target: added ≤ 50 ms median`);
  } finally {
    await fake.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await main();

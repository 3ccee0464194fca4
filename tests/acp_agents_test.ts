/**
 * The acp backend type with more real agents from npm: Qwen Code (`qwen --acp`) and
 * opencode (`opencode acp`) against tests/fakes/fake_chat.ts (OpenAI chat completions), the
 * Codex adapter (`codex-acp`, Codex underneath) against the OpenAI Responses fake. For
 * each: a run whose model writes a file, a resume whose request carries the first turn,
 * a read-only run whose write is refused (Qwen is put in its asking mode, opencode's
 * permissions set to ask), an API error giving exit 1, and kill giving interrupted.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { startFakeChat } from "./fakes/fake_chat.ts";
import type { FakeServer } from "./fakes/serve.ts";
import {
  defaultConfig,
  lastLine,
  listRuns,
  runIdOf,
  waitFor,
  withWorld,
  type World,
} from "./helpers/handoff.ts";
import { BIN_DIR } from "./helpers/agents.ts";

/** `{` and `}` are placeholders' braces in handoff's config: a literal JSON doubles them. */
const literal = (json: unknown) => JSON.stringify(json).replaceAll("{", "{{").replaceAll("}", "}}");

/** The pids (with their commands) of processes whose working directory is `dir`. */
function processesIn(dir: string): string[] {
  const real = Deno.realPathSync(dir);
  const found: string[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      if (Deno.readLinkSync(`/proc/${e.name}/cwd`) !== real) continue;
      const argv = Deno.readTextFileSync(`/proc/${e.name}/cmdline`).split("\0").join(" ");
      found.push(`${e.name} ${argv.slice(0, 80)}`);
    } catch { /* exited */ }
  }
  return found;
}

interface Agent {
  name: string;
  /** The world's OpenAI Responses fake (the Codex adapter) instead of a chat-completions one. */
  responses?: boolean;
  backend: (fake: FakeServer, permission: string, w: World) => string;
}

const AGENTS: Agent[] = [
  {
    name: "qwen",
    backend: (fake, permission) =>
      `  agent:
    type: acp
    command: ${join(BIN_DIR, "qwen")} --acp
    model: fake-model
    permission_mode: ${permission}
    env:
      OPENAI_API_KEY: fake
      OPENAI_BASE_URL: ${fake.url}/v1
      OPENAI_MODEL: fake-model
`,
  },
  {
    name: "opencode",
    backend: (fake, permission) =>
      `  agent:
    type: acp
    command: ${join(BIN_DIR, "opencode")} acp
    model: fake/m
    permission_mode: ${permission}
    env:
      OPENCODE_CONFIG_CONTENT: '${
        literal({
          model: "fake/m",
          provider: {
            fake: {
              npm: "@ai-sdk/openai-compatible",
              options: { baseURL: `${fake.url}/v1`, apiKey: "x" },
              models: { m: {} },
            },
          },
        })
      }'
      OPENCODE_DISABLE_MODELS_FETCH: "1"
      OPENCODE_DISABLE_AUTOUPDATE: "1"
`,
  },
  {
    name: "codex-acp",
    responses: true,
    // Codex itself, configured by the world's CODEX_HOME (its provider is the OpenAI fake).
    backend: (_fake, permission, w) =>
      `  agent:
    type: acp
    command: ${join(BIN_DIR, "codex-acp")}
    model: gpt-5.5
    permission_mode: ${permission}
    env:
      CODEX_HOME: ${join(w.dir, "codex-home")}
      FAKE_OPENAI_KEY: dummy
`,
  },
];

async function withAgent(
  agent: Agent,
  permission: string,
  fn: (w: World, fake: FakeServer) => Promise<void>,
) {
  const chat = agent.responses ? null : await startFakeChat();
  let fake: FakeServer | null = chat;
  try {
    await withWorld((w) => fn(w, fake!), {
      config: (w) => {
        fake ??= w.openai;
        return defaultConfig(w) + agent.backend(fake, permission, w);
      },
    });
  } finally {
    await chat?.close();
  }
}

for (const agent of AGENTS) {
  Deno.test({
    name: `acp ${agent.name}: a file written, resume carries the turn, an API error is exit 1`,
    async fn() {
      await withAgent(agent, "bypass", async (w, fake) => {
        const file = join(w.work, `${agent.name}.txt`);
        const r = await w.handoff(["run", "-b", "agent", "-"], {
          stdin: `FAKE_WRITE: ${file} :: written by ${agent.name}\nFAKE_REPLY: the file is there`,
          timeoutMs: 180_000,
        });
        assert.equal(r.code, 0, r.stderr);
        const runId = runIdOf(r.stdout);
        assert.equal(r.stdout, `RUN_ID=${runId}\nthe file is there\n`);
        assert.equal(lastLine(r.stderr), `RESULT=${join(w.home, "tasks", `${runId}.result.md`)}`);
        assert.match(r.stderr, new RegExp(`write ${file}`));
        assert.equal(Deno.readTextFileSync(file), `written by ${agent.name}\n`);
        const [row] = await listRuns(w);
        assert.equal(row.status, "success");
        assert.ok(row.session_id, "the session id is the run's handle");

        const before = fake.requests.length;
        const again = await w.handoff(["resume", runId, "FAKE_REPLY: still here"], {
          timeoutMs: 180_000,
        });
        assert.equal(again.code, 0, again.stderr);
        // Only the new turn's answer, not the replayed conversation's.
        assert.equal(again.stdout, `RUN_ID=${runIdOf(again.stdout)}\nstill here\n`);
        const resumed = fake.requests.slice(before).find((q) => q.prompt?.includes("still here"));
        assert.ok(resumed, "the resume reached the model");
        assert.match(JSON.stringify(resumed.body), new RegExp(`written by ${agent.name}`));

        fake.setScript({ default: [{ error: { status: 400, message: "model exploded (fake)" } }] });
        const bad = await w.handoff(["run", "-b", "agent", "hello"], { timeoutMs: 180_000 });
        assert.equal(bad.code, 1, bad.stderr);
        const failed = (await listRuns(w)).find((x) => x.run_id === runIdOf(bad.stdout));
        assert.equal(failed?.status, "error");
      });
    },
  });

  Deno.test({
    name:
      `acp ${agent.name}: read-only refuses the agent's write through its own permission request`,
    async fn() {
      await withAgent(agent, "read-only", async (w) => {
        const file = join(w.work, "nope.txt");
        const r = await w.handoff(["run", "-b", "agent", "-"], {
          stdin: `FAKE_WRITE: ${file} :: must not exist\nFAKE_REPLY: could not`,
          timeoutMs: 180_000,
        });
        assert.match(r.stderr, /permission rejected: /, r.stderr);
        assert.throws(() => Deno.statSync(file), Deno.errors.NotFound);
      });
    },
  });

  Deno.test({
    name: `acp ${agent.name}: kill mid-turn ends the run interrupted and the agent with it`,
    async fn() {
      await withAgent(agent, "bypass", async (w, fake) => {
        fake.setScript({ default: [{ hang: true }] });
        const child = w.spawn(["run", "-b", "agent", "think"]);
        const runId = runIdOf(
          new TextDecoder().decode((await child.stdout.getReader().read()).value),
        );
        await waitFor(() => fake.requests.some((q) => q.prompt?.includes("think")), 60_000);
        assert.equal((await w.handoff(["kill", runId])).code, 0);
        assert.equal((await child.status).code, 130);
        await child.stderr.cancel();
        assert.equal((await listRuns(w)).find((x) => x.run_id === runId)?.status, "interrupted");
        // Nothing handoff started is left in the run's folder: not the agent, not its tools.
        await waitFor(() => processesIn(w.work).length === 0, 10_000).catch(() => {
          throw new Error(`left running in ${w.work}: ${processesIn(w.work).join(", ")}`);
        });
      });
    },
  });
}

Deno.test("acp agents end when their input closes (a handoff killed outright leaves none behind)", async () => {
  // handoff drives the agent over its stdio; the only thing that can stop it after a
  // SIGKILL of handoff is the end of its input. Each agent the tests install, asserted.
  const dir = await Deno.makeTempDir({ prefix: "handoff-acp-eof-" });
  try {
    const agents: [string, string[]][] = [
      ["gemini", ["--acp"]],
      ["qwen", ["--acp"]],
      ["opencode", ["acp"]],
      ["claude-agent-acp", []],
      ["codex-acp", []],
    ];
    for (const [bin, args] of agents) {
      const child = new Deno.Command(join(BIN_DIR, bin), {
        args,
        cwd: dir,
        env: {
          HOME: dir,
          PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
          IS_SANDBOX: "1",
          OPENCODE_DISABLE_AUTOUPDATE: "1",
          OPENCODE_DISABLE_MODELS_FETCH: "1",
        },
        clearEnv: true,
        stdin: "piped",
        stdout: "null",
        stderr: "null",
      }).spawn();
      // One request first, so the agent is up and reading before its input closes.
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(
        JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: { protocolVersion: 1, clientCapabilities: {} },
        }) + "\n",
      ));
      await new Promise((r) => setTimeout(r, 1500));
      await w.close();
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      const status = await child.status;
      clearTimeout(timer);
      assert.equal(status.signal, null, `${bin} did not end within 30 s of its input closing`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});

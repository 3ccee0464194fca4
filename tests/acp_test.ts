/**
 * The acp backend type: the update mapping and permission policy as units, then the
 * real Gemini CLI in ACP mode (`gemini --acp`, from npm) against tests/fakes/fake_gemini.ts
 * through `handoff run`: a tool call that writes a file, the answer, the session id,
 * tail and list; a permission request answered by policy; a kill mid-turn ending the run.
 */
import { unless } from "./helpers/skip.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { answerPermission, toolSummary, Turn } from "../plugins/acp/updates.ts";
import { agentEnv, modeFor, replaysAfterLoad } from "../plugins/acp/quirks.ts";
import { knownResumeMethod, noteResumeMethod, resumeMethod } from "../plugins/acp/resumable.ts";
import { withGeminiWorld } from "./helpers/gemini.ts";
import type { FakeServer } from "./fakes/serve.ts";
import {
  defaultConfig,
  lastLine,
  listRuns,
  processesWith,
  runIdOf,
  waitFor,
  withWorld,
  type World,
} from "./helpers/handoff.ts";
import { FAKE_ACP_AGENT, REPO_ROOT } from "./helpers/agents.ts";
import { addDevice } from "./helpers/devices.ts";
import { runHandoff } from "./helpers/handoff.ts";

const upd = (update: Record<string, unknown>) => ({ sessionId: "s", update });

Deno.test("acp updates: chunks become one text, tool calls one line each, the stop reason the status", () => {
  const t = new Turn();
  assert.deepEqual(
    t.update(
      upd({ sessionUpdate: "agent_message_chunk", content: { type: "text", text: "Look" } }),
    ),
    [],
  );
  t.update(upd({ sessionUpdate: "agent_message_chunk", content: { type: "text", text: "ing." } }));
  assert.deepEqual(
    t.update(upd({
      sessionUpdate: "tool_call",
      toolCallId: "c1",
      kind: "execute",
      title: "ls",
      rawInput: { command: "ls -la" },
    })),
    [{ kind: "text", text: "Looking." }, { kind: "tool", name: "execute", summary: "$ ls -la" }],
  );
  assert.deepEqual(
    t.update(
      upd({
        sessionUpdate: "tool_call_update",
        toolCallId: "c1",
        status: "failed",
        content: [{ type: "content", content: { type: "text", text: "denied" } }],
      }),
    ),
    [{ kind: "info", text: "failed: $ ls -la: denied" }],
  );
  assert.deepEqual(
    t.update(
      upd({
        sessionUpdate: "plan",
        entries: [{ content: "read", status: "pending" }, { content: "fix", status: "pending" }],
      }),
    ),
    [{ kind: "info", text: "plan: read; fix" }],
  );
  t.update(
    upd({ sessionUpdate: "agent_message_chunk", content: { type: "text", text: " Done." } }),
  );
  const end = t.end({
    stopReason: "end_turn",
    _meta: { quota: { token_count: { input_tokens: 7, output_tokens: 3 } } },
  });
  assert.deepEqual(end.map((e) => e.kind), ["text", "usage", "result"]);
  // The answer is the turn's last message, as for claude and codex.
  assert.deepEqual(end[2], { kind: "result", text: "Done.", isError: false });
  const refused = new Turn().end({ stopReason: "refusal" });
  assert.deepEqual(refused.at(-1), {
    kind: "result",
    text: "the agent stopped: refusal",
    isError: true,
  });
  assert.equal(new Turn().end({ stopReason: "max_tokens" }).at(-1)?.kind, "result");
  assert.deepEqual(
    toolSummary({ kind: "edit", title: "x", locations: [{ path: "/w/a.txt" }] }),
    { name: "edit", summary: "write /w/a.txt" },
  );
});

Deno.test("acp permissions: bypass allows once, read-only and plan reject, ask rejects and says why", () => {
  const req = {
    sessionId: "s",
    toolCall: { toolCallId: "c", kind: "edit", title: "write", rawInput: { file_path: "/w/x" } },
    options: [
      { optionId: "always", kind: "allow_always", name: "Always" },
      { optionId: "once", kind: "allow_once", name: "Allow" },
      { optionId: "no", kind: "reject_once", name: "Reject" },
    ],
  };
  const yes = answerPermission("bypass", req);
  assert.deepEqual(yes.result, { outcome: { outcome: "selected", optionId: "once" } });
  assert.deepEqual(yes.events, [{ kind: "info", text: "permission allowed: write /w/x" }]);
  for (const mode of ["read-only", "plan", "ask"]) {
    const no = answerPermission(mode, req);
    assert.deepEqual(no.result, { outcome: { outcome: "selected", optionId: "no" } }, mode);
    assert.equal(no.events.at(-1)?.kind, "permission_denied");
  }
  assert.match(
    answerPermission("ask", req, "no phone answered in time").events[0].kind === "info"
      ? (answerPermission("ask", req, "no phone answered in time").events[0] as { text: string })
        .text
      : "",
    /ask: no phone answered in time, so rejected/,
  );
  // An agent that offers no reject option is answered "cancelled", never left waiting.
  assert.deepEqual(answerPermission("plan", { ...req, options: [req.options[1]] }).result, {
    outcome: { outcome: "cancelled" },
  });
});

function withGeminiAcp(
  fn: (w: World, fake: FakeServer) => Promise<void>,
  o: { permission?: string } = {},
) {
  return withGeminiWorld((w, fake) => {
    // Headless API-key sign-in comes from a settings file (system defaults).
    const defaults = join(w.dir, "gemini-defaults.json");
    Deno.writeTextFileSync(
      defaults,
      JSON.stringify({ security: { auth: { selectedType: "gemini-api-key" } } }),
    );
    return `  gacp:
    type: acp
    command: gemini --acp --skip-trust
    model: gemini-2.5-flash
${o.permission ? `    permission_mode: ${o.permission}\n` : ""}    env:
      GEMINI_API_KEY: fake-key
      GOOGLE_GEMINI_BASE_URL: ${fake.url}
      GEMINI_CLI_SYSTEM_DEFAULTS_PATH: ${defaults}
`;
  }, fn);
}

Deno.test({
  name:
    "acp backend with the real gemini --acp: a tool call writes a file; answer, session, tail, list",
  async fn() {
    await withGeminiAcp(async (w) => {
      const file = join(w.work, "hello.txt");
      const r = await w.handoff(["run", "-b", "gacp", "--slug", "acp file", "-"], {
        stdin: `FAKE_WRITE: ${file} :: written over acp\nFAKE_REPLY: the file is written`,
        timeoutMs: 120_000,
      });
      assert.equal(r.code, 0, r.stderr);
      const runId = runIdOf(r.stdout);
      assert.equal(r.stdout, `RUN_ID=${runId}\nthe file is written\n`);
      assert.equal(lastLine(r.stderr), `RESULT=${join(w.home, "tasks", `${runId}.result.md`)}`);
      assert.equal(await Deno.readTextFile(file), "written over acp\n");
      assert.match(r.stderr, /permission allowed: /, "the request and its answer are progress");
      const [row] = (await listRuns(w)).filter((x) => x.run_id === runId);
      assert.equal(row.backend_type, "acp");
      assert.equal(row.status, "success");
      assert.equal(row.permission_mode, "bypass");
      assert.match(String(row.session_id), /^[0-9a-f-]{36}$/);
      assert.ok((row.usage as Record<string, number>).input_tokens > 0);
      const tail = await w.handoff(["tail", runId, "--json"]);
      assert.equal(tail.code, 0, tail.stderr);
      const kinds = tail.stdout.trim().split("\n").map((l) => JSON.parse(l).kind);
      assert.ok(
        kinds.includes("session") && kinds.includes("tool") && kinds.includes("result"),
        kinds.join(" "),
      );
    });
  },
});

Deno.test({
  name:
    "acp backend: read-only rejects the agent's write, recorded as a denied permission; an API error is exit 1",
  async fn() {
    await withGeminiAcp(async (w, fake) => {
      const file = join(w.work, "nope.txt");
      const r = await w.handoff(["run", "-b", "gacp", "-"], {
        stdin: `FAKE_WRITE: ${file} :: must not exist\nFAKE_REPLY: could not write`,
        timeoutMs: 120_000,
      });
      assert.match(r.stderr, /permission rejected: write /);
      assert.throws(() => Deno.statSync(file), Deno.errors.NotFound);
      // An API error is exit 1 with the provider's message.
      fake.setScript({
        default: [{ error: { status: 400, message: "API key not valid (fake)" } }],
      });
      const bad = await w.handoff(["run", "-b", "gacp", "hello"], { timeoutMs: 120_000 });
      assert.equal(bad.code, 1, bad.stderr);
      assert.equal(
        (await listRuns(w)).find((x) => x.run_id === runIdOf(bad.stdout))?.status,
        "error",
      );
    }, { permission: "read-only" });
  },
});

Deno.test({
  name:
    "acp ask: the agent's request goes to the paired phones, one approves and the file is written; with no phone it is refused",
  async fn() {
    await withGeminiAcp(async (w) => {
      const lonely = join(w.work, "lonely.txt");
      const r = await w.handoff(["run", "-b", "gacp", "-"], {
        stdin: `FAKE_WRITE: ${lonely} :: nobody to ask\nFAKE_REPLY: not written`,
        timeoutMs: 120_000,
      });
      assert.match(r.stderr, /ask: no paired phone may answer, so rejected/);
      assert.throws(() => Deno.statSync(lonely), Deno.errors.NotFound);

      const phone = addDevice(w.home, "Pixel", { sessions: ["*"] });
      const file = join(w.work, "approved.txt");
      const child = w.spawn(["run", "-b", "gacp", `FAKE_WRITE: ${file} :: approved on the phone`]);
      let request: Record<string, unknown> | undefined;
      await waitFor(async () => {
        const open = await w.handoff(["approvals", "--json"]);
        request = JSON.parse(open.stdout || "[]")[0];
        return request !== undefined;
      }, 90_000);
      assert.equal(request!.agent, "acp:gemini");
      assert.equal(request!.summary, `write ${file}`);
      assert.ok(
        (request!.options as { kind: string }[]).some((o) => o.kind === "allow_once"),
        JSON.stringify(request!.options),
      );
      const gate = await runHandoff(["gate", phone], {
        env: { ...w.env, SSH_ORIGINAL_COMMAND: `approve ${request!.request_id}` },
        cwd: w.dir,
      });
      assert.equal(gate.stdout, "ok\n", gate.stderr);
      const out = await child.output();
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, stderr);
      assert.match(stderr, /permission allowed by Pixel: write /);
      assert.equal(await Deno.readTextFile(file), "approved on the phone\n");
    }, { permission: "ask" });
  },
});

Deno.test({
  name: "acp backend: kill mid-turn cancels the session, stops the agent, the run ends interrupted",
  async fn() {
    await withGeminiAcp(async (w) => {
      const marker = `acp-kill-${Date.now()}`;
      const child = w.spawn([
        "run",
        "-b",
        "gacp",
        "--slug",
        "acp sleep",
        `FAKE_BASH: sleep 44 # ${marker}`,
      ]);
      const runId = runIdOf(
        new TextDecoder().decode((await child.stdout.getReader().read()).value),
      );
      const out = join(w.home, "tasks", `${runId}.out.txt`);
      await waitFor(async () => (await Deno.readTextFile(out)).includes("sleep 44"), 60_000);
      assert.ok(processesWith("--acp", "--skip-trust") > 0, "the agent runs");
      const k = await w.handoff(["kill", runId]);
      assert.equal(k.code, 0, k.stderr);
      assert.equal((await child.status).code, 130);
      await child.stderr.cancel();
      const row = (await listRuns(w)).find((x) => x.run_id === runId)!;
      assert.equal(row.status, "interrupted");
      // The agent and the tool it started are gone.
      await waitFor(() => processesWith("--acp", "--skip-trust") === 0, 10_000).catch(() => {
        throw new Error(`agent processes left: ${processesWith("--acp", "--skip-trust")}`);
      });
      await waitFor(async () => !(await pgrepF(marker)), 10_000);
    });
  },
});

async function pgrepF(pattern: string): Promise<boolean> {
  const r = await new Deno.Command("pgrep", { args: ["-f", pattern], stdout: "null" }).output();
  return r.success;
}

Deno.test({
  name: "acp backend: resume continues the conversation with session/load (after Gemini's minute)",
  async fn() {
    await withGeminiAcp(async (w, fake) => {
      const first = await w.handoff(["run", "-b", "gacp", "FAKE_REPLY: remember the word teal"], {
        timeoutMs: 120_000,
      });
      assert.equal(first.code, 0, first.stderr);
      const runId = runIdOf(first.stdout);
      const before = fake.requests.length;
      const again = await w.handoff(["resume", runId, "-"], {
        stdin: "FAKE_REPLY: still here",
        timeoutMs: 180_000,
      });
      assert.equal(again.code, 0, again.stderr);
      // Only the new turn: Gemini replays the old one after answering session/load.
      const againId = runIdOf(again.stdout);
      assert.equal(again.stdout, `RUN_ID=${againId}\nstill here\n`);
      const tail = await w.handoff(["tail", againId, "--json"]);
      assert.doesNotMatch(tail.stdout, /teal/, "no event of the replayed turn");
      const resumed = fake.requests.slice(before).find((q) => q.prompt?.includes("still here"));
      assert.ok(resumed, "the resume reached the model");
      assert.match(JSON.stringify(resumed.body), /remember the word teal/, "with the first turn");
      const rows = await listRuns(w);
      const child = rows.find((x) => x.parent_run_id === runId);
      const parent = rows.find((x) => x.run_id === runId);
      assert.equal(child?.session_id, parent?.session_id);
    });
  },
});

Deno.test("acp backend with a minimal agent: vendor requests get -32601, mode is set, a refusal is an error, no resume without loadSession", async () => {
  await withWorld(async (w) => {
    const log = join(w.dir, "acp.log");
    const ok = await w.handoff(["run", "-b", "mini", "hello"]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /vendor refused -32601/);
    const sent = Deno.readTextFileSync(log).trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(sent.find((m) => m.method === "session/set_mode")?.params, {
      sessionId: "fake-session-1",
      modeId: "code",
    });
    const init = sent.find((m) => m.method === "initialize");
    assert.equal(init.params.protocolVersion, 1);
    assert.deepEqual(init.params.clientCapabilities, {
      fs: { readTextFile: false, writeTextFile: false },
      terminal: false,
    });
    const refused = await w.handoff(["run", "-b", "mini", "STOP: refusal"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /the agent stopped: refusal/);
    // It said at its start that it cannot resume: refused before anything starts or is recorded.
    const runsBefore = (await listRuns(w)).length;
    const starts = () => Deno.readTextFileSync(log).split('"initialize"').length;
    const startsBefore = starts();
    const again = await w.handoff(["resume", runIdOf(ok.stdout), "more"]);
    assert.equal(again.code, 2, again.stderr);
    assert.match(
      again.stderr,
      /backend "mini": fake_acp_agent\.mjs cannot resume a session \(it offers neither/,
    );
    assert.match(again.stderr, /hint: start a new run instead: handoff run -b mini/);
    assert.equal((await listRuns(w)).length, runsBefore);
    assert.equal(starts(), startsBefore);
    // Not known (its note deleted): the agent's own answer refuses it once started.
    Deno.removeSync(join(w.home, "plugins", ".data", "acp", "resume-support.json"));
    const unknown = await w.handoff(["resume", runIdOf(ok.stdout), "more"]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /fake_acp_agent\.mjs cannot resume a session: it offers neither/);
    // A stop cancels the turn over ACP first.
    const child = w.spawn(["run", "-b", "mini", "HANG please"]);
    const hung = runIdOf(new TextDecoder().decode((await child.stdout.getReader().read()).value));
    await waitFor(() => Deno.readTextFileSync(log).includes("HANG please"));
    assert.equal((await w.handoff(["kill", hung])).code, 0);
    assert.equal((await child.status).code, 130);
    await child.stderr.cancel();
    const cancel = Deno.readTextFileSync(log).trim().split("\n").map((l) => JSON.parse(l))
      .find((m) => m.method === "session/cancel");
    assert.deepEqual(cancel?.params, { sessionId: "fake-session-1" });
    // --timeout stops the turn the same way: cancelled, then exit 124.
    const before = Deno.readTextFileSync(log).split("session/cancel").length;
    const timed = await w.handoff(["run", "-b", "mini", "--timeout", "2s", "HANG on"], {
      timeoutMs: 60_000,
    });
    assert.equal(timed.code, 124, timed.stderr);
    assert.match(timed.stderr, /timed out after 2(\.0)?s: stopping the backend/);
    assert.equal(Deno.readTextFileSync(log).split("session/cancel").length, before + 1);
    // handoff killed outright: the run ends lost, and the agent does not outlive it.
    const agentPath = FAKE_ACP_AGENT;
    const doomed = w.spawn(["run", "-b", "mini", "HANG again"]);
    const lost = runIdOf(new TextDecoder().decode((await doomed.stdout.getReader().read()).value));
    await waitFor(() => Deno.readTextFileSync(log).includes("HANG again"));
    assert.equal(processesWith(agentPath), 1);
    doomed.kill("SIGKILL");
    await doomed.status;
    await doomed.stderr.cancel();
    await waitFor(() => processesWith(agentPath) === 0, 10_000);
    const rows = await listRuns(w);
    assert.equal(rows.find((x) => x.run_id === lost)?.status, "lost");
    // A session/new answer without a session id is an error, not a session "undefined".
    const nosid = await w.handoff(["run", "-b", "nosid", "hello"]);
    assert.equal(nosid.code, 1, nosid.stderr);
    assert.match(nosid.stderr, /answered session\/new without a session id/);
  }, {
    config: (w) =>
      `${defaultConfig(w)}  mini:
    type: acp
    command: ${FAKE_ACP_AGENT}
    model: fake
    mode: code
    env:
      FAKE_ACP_LOG: ${join(w.dir, "acp.log")}
  nosid:
    type: acp
    command: ${FAKE_ACP_AGENT}
    model: fake
    env:
      FAKE_ACP_NO_SESSION_ID: "1"
`,
  });
});

Deno.test("acp failures say why: error.data and the agent's stderr, a command that is no ACP agent", async () => {
  await withWorld(async (w) => {
    const failed = await w.handoff(["run", "-b", "mini", "FAIL now"]);
    assert.equal(failed.code, 1, failed.stderr);
    const runId = runIdOf(failed.stdout);
    const log = join(w.home, "runs", `${runId}.stderr.log`);
    assert.match(failed.stderr, /Internal error: \{"details":"quota \(fake\)"\}/, "error.data");
    assert.ok(
      failed.stderr.includes(
        `its stderr (${log}) ends: fake-agent: starting | fake-agent: the quota is gone`,
      ),
      failed.stderr,
    );
    // `cat` echoes handoff's request back; `echo` prints a line and exits.
    const cat = await w.handoff(["run", "-b", "cat", "hello"]);
    assert.equal(cat.code, 1);
    assert.match(cat.stderr, /cat wrote output that is not ACP JSON-RPC: it echoed/);
    const echo = await w.handoff(["run", "-b", "echo", "hello"]);
    assert.equal(echo.code, 1);
    assert.match(echo.stderr, /echo wrote output that is not ACP JSON-RPC: "hi there"/);
    const silent = await w.handoff(["run", "-b", "true", "hello"]);
    assert.equal(silent.code, 1);
    assert.match(
      silent.stderr,
      /true exited \(code 0\) before answering initialize: is it an ACP agent\? \(gemini/,
    );
  }, {
    config: (w) =>
      `${defaultConfig(w)}  mini:
    type: acp
    command: ${FAKE_ACP_AGENT}
    model: fake
  cat:
    type: acp
    command: cat
    model: fake
  echo:
    type: acp
    command: echo hi there
    model: fake
  "true":
    type: acp
    command: "true"
    model: fake
`,
  });
});

Deno.test("acp config: command is required, args are strings; errors say where, nothing is recorded", async () => {
  await withWorld(async (w) => {
    const cases: [string, RegExp][] = [
      [
        "    model: fake\n",
        /:\d+:3: backend "nocmd" needs a "command": it is required for type acp/,
      ],
      ['    model: fake\n    command: ""\n', /:\d+:3: backend "nocmd" needs a "command"/],
      [
        "    model: fake\n    command: qwen\n    args: [--acp, 3]\n",
        /:\d+:\d+: args must be a list of strings/,
      ],
    ];
    for (const [body, error] of cases) {
      Deno.writeTextFileSync(
        w.configFile,
        `${defaultConfig(w)}  nocmd:\n    type: acp\n${body}`,
      );
      const r = await w.handoff(["run", "-b", "nocmd", "hello"]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, error);
      assert.ok(r.stderr.includes(w.configFile), r.stderr);
      assert.equal(r.stdout, "", "no run started");
    }
    Deno.writeTextFileSync(w.configFile, defaultConfig(w));
    assert.deepEqual(await listRuns(w), []);
  });
});

Deno.test("acp: a good turn is answered while the agent is still shutting down; what it says after its turn is dropped", async () => {
  await withWorld(async (w) => {
    const child = w.spawn(["run", "-b", "slow", "hello"]);
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let stdout = "";
    while (!stdout.includes("vendor refused -32601\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += value;
    }
    // The answer is out; the agent (it takes 5 s to exit, stopped after 1 s) still runs.
    assert.equal(processesWith(FAKE_ACP_AGENT), 1, "the answer came before the agent's exit");
    const stderr = new Response(child.stderr).text();
    // The next turn waits for this one's handoff (and agent) to be gone: here it is refused
    // (the agent cannot resume), but only after that.
    const next = await w.handoff(["resume", runIdOf(stdout), "more"]);
    assert.equal(next.code, 2, next.stderr);
    assert.equal(processesWith(FAKE_ACP_AGENT), 0, "the resume waited for the exit");
    for (let r = await reader.read(); !r.done; r = await reader.read()) stdout += r.value;
    assert.equal((await child.status).code, 0);
    assert.equal(processesWith(FAKE_ACP_AGENT), 0, "handoff returned only once the agent was gone");
    assert.match(stdout, /^RUN_ID=\S+\nvendor refused -32601\n$/);
    const err = await stderr;
    assert.ok(lastLine(err).startsWith("RESULT="), err);
    assert.ok(!err.includes("LATE") && !stdout.includes("LATE"), err);
    const [row] = await listRuns(w);
    assert.equal(row.status, "success");
    assert.equal(row.exit_code, 0);
  }, {
    config: (w) =>
      `${defaultConfig(w)}  slow:
    type: acp
    command: ${FAKE_ACP_AGENT}
    env:
      FAKE_ACP_EXIT_MS: "5000"
`,
  });
});

Deno.test({
  name:
    "acp sign-in and model: real Gemini CLI without a key and real Auggie without a login say what to do; no model: the agent's own",
  async fn() {
    await withWorld(async (w) => {
      for (
        const [backend, said] of [
          ["nokey", /gemini needs a sign-in \(Gemini API key is missing or not configured\.?\)/],
          ["auggie", /auggie needs a sign-in \(Authentication required: Auggie /],
        ] as const
      ) {
        const r = await w.handoff(["run", "-b", backend, "hello"], { timeoutMs: 90_000 });
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, said);
        assert.match(
          r.stderr,
          /: give it its API key in the backend's env \(Gemini CLI: GEMINI_API_KEY\) or run its own login once in a terminal/,
        );
        assert.equal(lastLine(r.stderr).startsWith("RESULT="), true, r.stderr);
      }
      const check = await w.handoff(["backends", "check", "auggie", "--json"], {
        timeoutMs: 90_000,
      });
      assert.equal(check.code, 1, check.stderr);
      const [row] = JSON.parse(check.stdout);
      assert.equal(row.answered, false);
      assert.match(row.version, /^\d+\.\d+\.\d+/);
      assert.match(row.problem, /auggie needs a sign-in/);
      // Without `model:` the agent keeps its own: recorded as "default".
      const own = await w.handoff(["run", "-b", "nomodel", "hello"]);
      assert.equal(own.code, 0, own.stderr);
      assert.match(own.stderr, /\tBACKEND=nomodel\tMODEL=default/);
      assert.equal((await listRuns(w)).find((x) => x.backend === "nomodel")?.model, "default");
    }, {
      config: (w) =>
        `${defaultConfig(w)}  nokey:
    type: acp
    command: gemini --acp --skip-trust
  auggie:
    type: acp
    command: auggie --acp
    env:
      HOME: ${join(w.dir, "auggie-home")}
  nomodel:
    type: acp
    command: ${FAKE_ACP_AGENT}
`,
    });
  },
});

/** Replays a recorded agent's lines through the mapping, as the driver would. */
function replay(file: string) {
  const turn = new Turn();
  const events = [];
  for (
    const line of Deno.readTextFileSync(join(REPO_ROOT, "tests", "fixtures", "acp", file)).trim()
      .split("\n")
  ) {
    const m = JSON.parse(line);
    if (m.method === "session/update") events.push(...turn.update(m.params));
    else if (m.method === "session/request_permission") {
      events.push(...turn.tool(m.params.toolCall, { now: true }));
      events.push(...answerPermission("bypass", m.params).events);
    } else if (m.result?.stopReason) events.push(...turn.end(m.result));
  }
  return events;
}

Deno.test("acp updates on recorded lines: the Claude and Codex adapters, Gemini CLI, Qwen Code, opencode", () => {
  const claude = replay("claude-agent-acp.ndjson");
  const tools = claude.filter((e) => e.kind === "tool");
  assert.equal(tools.length, 1, "one line for the call, not its pending announcement");
  assert.match((tools[0] as { summary: string }).summary, /^write \/.*\/c\.txt$/);
  const usage = claude.find((e) => e.kind === "usage") as {
    usage: { inputTokens: number; costUsd: number };
  };
  assert.equal(usage.usage.inputTokens, 200);
  assert.equal(usage.usage.costUsd, 0.0024000000000000002);
  assert.deepEqual(claude.at(-1), { kind: "result", text: "written", isError: false });

  const gemini = replay("gemini-acp.ndjson");
  assert.deepEqual(gemini.map((e) => e.kind), ["tool", "info", "text", "usage", "result"]);
  assert.match((gemini[0] as { summary: string }).summary, /^write \/.*hello\.txt$/);
  assert.deepEqual(gemini.at(-1), { kind: "result", text: "the file is written", isError: false });

  // Qwen Code reports each model call's tokens on a chunk's _meta; opencode in the response.
  for (
    const [file, answer, input] of [
      ["qwen-acp.ndjson", "written by qwen", 200],
      ["opencode-acp.ndjson", "written by opencode", 100],
    ] as const
  ) {
    const events = replay(file);
    const tools = events.filter((e) => e.kind === "tool") as { summary: string }[];
    assert.equal(tools.length, 1, file);
    assert.match(tools[0].summary, /^write \/.*q\.txt$/, file);
    const usage = events.find((e) => e.kind === "usage") as { usage: { inputTokens: number } };
    assert.equal(usage?.usage.inputTokens, input, file);
    assert.deepEqual(events.at(-1), { kind: "result", text: answer, isError: false }, file);
  }

  // The Codex adapter names the file only in the call's diff content.
  const codex = replay("codex-acp.ndjson");
  const codexTools = codex.filter((e) => e.kind === "tool") as { summary: string }[];
  assert.equal(codexTools.length, 1);
  assert.match(codexTools[0].summary, /^write \/.*\/t2\.txt$/);
  const codexUsage = codex.find((e) => e.kind === "usage") as { usage: { inputTokens: number } };
  assert.ok(codexUsage.usage.inputTokens > 0);
  assert.deepEqual(codex.at(-1), { kind: "result", text: "ok", isError: false });
  // A failed model call reaches the client as a message and end_turn; the thread status
  // (systemError) makes it the error it is.
  const failed = new Turn();
  const meta = (type: string) => ({ codex: { threadStatus: { type } } });
  failed.update({ update: { sessionUpdate: "session_info_update", _meta: meta("active") } });
  failed.update({ update: { sessionUpdate: "session_info_update", _meta: meta("systemError") } });
  failed.update({
    update: { sessionUpdate: "agent_message_chunk", content: { type: "text", text: "quota" } },
  });
  assert.deepEqual(failed.end({ stopReason: "end_turn" }).at(-1), {
    kind: "result",
    text: "the agent failed: quota",
    isError: true,
  });
  const recovered = new Turn();
  recovered.update({
    update: { sessionUpdate: "session_info_update", _meta: meta("systemError") },
  });
  recovered.update({ update: { sessionUpdate: "session_info_update", _meta: meta("active") } });
  assert.equal(
    (recovered.end({ stopReason: "end_turn" }).at(-1) as { isError: boolean }).isError,
    false,
  );
});

const CLAUDE_ACP = join(REPO_ROOT, "node_modules", ".bin", "claude-agent-acp");

function claudeAcpBackend(
  w: World,
  name: string,
  o: { mode?: string; sandbox?: string; permission?: string } = {},
) {
  return `  ${name}:
    type: acp
    command: ${CLAUDE_ACP}
    model: fake-model
${o.mode ? `    mode: ${o.mode}\n` : ""}${
    o.permission ? `    permission_mode: ${o.permission}\n` : ""
  }    env:
      ANTHROPIC_BASE_URL: ${w.anthropic.url}
      ANTHROPIC_AUTH_TOKEN: dummy
      ANTHROPIC_SMALL_FAST_MODEL: fake-model
${o.sandbox === undefined ? "" : `      IS_SANDBOX: "${o.sandbox}"\n`}`;
}

Deno.test({
  name:
    "acp backend with the real Claude ACP adapter: a file written, resume carries the turn, an API error is exit 1, read-only asks and is refused",
  async fn() {
    await withWorld(async (w) => {
      const file = join(w.work, "c.txt");
      const r = await w.handoff(["run", "-b", "cacp", "-"], {
        stdin: `FAKE_WRITE: ${file} :: from the claude adapter\nFAKE_REPLY: written`,
        timeoutMs: 120_000,
      });
      assert.equal(r.code, 0, r.stderr);
      const runId = runIdOf(r.stdout);
      assert.equal(r.stdout, `RUN_ID=${runId}\nwritten\n`);
      assert.equal(Deno.readTextFileSync(file), "from the claude adapter\n");
      assert.match(r.stderr, new RegExp(`write ${file}`));
      assert.doesNotMatch(r.stderr, /Preparing file/);
      const [row] = await listRuns(w);
      assert.ok((row.usage as Record<string, number>).cost_usd > 0, JSON.stringify(row.usage));

      const before = w.anthropic.requests.length;
      const again = await w.handoff(["resume", runId, "FAKE_REPLY: still here"], {
        timeoutMs: 120_000,
      });
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.stdout, `RUN_ID=${runIdOf(again.stdout)}\nstill here\n`);
      const resumed = w.anthropic.requests.slice(before).find((q) =>
        JSON.stringify(q.body).includes("still here")
      );
      assert.ok(resumed, "the resume reached the model");
      assert.match(JSON.stringify(resumed.body), /from the claude adapter/, "with the first turn");

      w.anthropic.setScript({
        default: [{ error: { status: 401, message: "invalid x-api-key (fake)" } }],
      });
      const bad = await w.handoff(["run", "-b", "cacp", "hello"], { timeoutMs: 120_000 });
      assert.equal(bad.code, 1, bad.stderr);
      // The 401 reaches handoff as ACP's "authentication required": said with what to do.
      assert.match(
        bad.stderr,
        /the backend reported an error: claude-agent-acp needs a sign-in \(Authentication required\): give it its API key/,
      );
      // read-only: the adapter (in its own `auto` mode) is put in `default`, so it asks.
      const ro = join(w.work, "ro.txt");
      w.anthropic.setScript({});
      const refused = await w.handoff(["run", "-b", "cro", "-"], {
        stdin: `FAKE_WRITE: ${ro} :: must not exist\nFAKE_REPLY: could not`,
        timeoutMs: 120_000,
      });
      assert.match(refused.stderr, /mode default \(was auto\)/);
      assert.match(refused.stderr, /permission rejected: write /);
      assert.throws(() => Deno.statSync(ro), Deno.errors.NotFound);
    }, {
      config: (w) =>
        defaultConfig(w) + claudeAcpBackend(w, "cacp") +
        claudeAcpBackend(w, "cro", { permission: "read-only" }),
    });
  },
});

Deno.test({
  name:
    "acp backend with the real Claude ACP adapter: a read-only resume sets the asking mode from session/load's answer, so the write is refused",
  async fn() {
    await withWorld(async (w) => {
      // The conversation starts in the adapter's own `auto` mode (bypass), and continues
      // on a read-only backend of the same type.
      const first = await w.handoff(["run", "-b", "cacp", "FAKE_REPLY: ready"], {
        timeoutMs: 120_000,
      });
      assert.equal(first.code, 0, first.stderr);
      const file = join(w.work, "resumed.txt");
      const again = await w.handoff(["resume", runIdOf(first.stdout), "-b", "cro", "-"], {
        stdin: `FAKE_WRITE: ${file} :: must not exist\nFAKE_REPLY: could not`,
        timeoutMs: 120_000,
      });
      assert.match(again.stderr, /mode default \(was auto\)/);
      assert.match(again.stderr, /permission rejected: write /);
      assert.throws(() => Deno.statSync(file), Deno.errors.NotFound);
    }, {
      config: (w) =>
        defaultConfig(w) + claudeAcpBackend(w, "cacp") +
        claudeAcpBackend(w, "cro", { permission: "read-only" }),
    });
  },
});

Deno.test(unless(Deno.uid() !== 0 ? "the check it makes is root's only" : null, {
  name:
    "acp backend, Claude adapter as root: bypassPermissions needs IS_SANDBOX, and the error says so",
  async fn() {
    await withWorld(async (w) => {
      const r = await w.handoff(["run", "-b", "nosandbox", "hello"], { timeoutMs: 120_000 });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /no mode "bypassPermissions".*IS_SANDBOX: "1"/);
      const ok = await w.handoff(["run", "-b", "sandbox", "FAKE_REPLY: bypassing"], {
        timeoutMs: 120_000,
      });
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /bypassing/);
    }, {
      config: (w) =>
        defaultConfig(w) +
        claudeAcpBackend(w, "nosandbox", { mode: "bypassPermissions", sandbox: "" }) +
        claudeAcpBackend(w, "sandbox", { mode: "bypassPermissions", sandbox: "1" }),
    });
  },
}));

Deno.test("acp quirks: the mode that makes an agent ask; opencode's permissions set to ask", () => {
  // Only Gemini CLI replays a loaded conversation after answering (recorded traces).
  assert.equal(replaysAfterLoad("gemini-cli", "/usr/bin/npx"), true);
  assert.equal(replaysAfterLoad("", "/x/node_modules/.bin/gemini"), true);
  assert.equal(replaysAfterLoad("qwen-code", "/x/qwen"), false);
  assert.equal(resumeMethod({ loadSession: true }), "session/load");
  assert.equal(resumeMethod({ sessionCapabilities: { resume: {} } }), "session/resume");
  assert.equal(resumeMethod({ loadSession: false }), null);
  const qwen = ["plan", "default", "auto-edit", "auto", "yolo"];
  assert.equal(modeFor("bypass", qwen, "auto"), null);
  assert.equal(modeFor("read-only", qwen, "auto"), "default");
  assert.equal(modeFor("ask", qwen, "auto"), "default");
  assert.equal(modeFor("plan", qwen, "auto"), "plan");
  assert.equal(modeFor("read-only", ["default", "yolo"], "default"), null, "already asking");
  assert.equal(modeFor("read-only", [], null), null, "no modes offered");
  // The Codex adapter starts in `agent` (it approves by itself); `read-only` asks.
  const codex = ["read-only", "workspace-write", "agent", "agent-full-access"];
  assert.equal(modeFor("read-only", codex, "agent"), "read-only");
  assert.equal(modeFor("ask", codex, "agent"), "read-only");
  assert.equal(modeFor("plan", codex, "agent"), "read-only", "no plan mode: one that asks");
  assert.equal(modeFor("bypass", codex, "agent"), null);
  const user = JSON.stringify({ model: "fake/m", permission: { edit: "allow" } });
  const env = agentEnv("/usr/bin/opencode", "read-only", { OPENCODE_CONFIG_CONTENT: user, A: "1" });
  assert.deepEqual(JSON.parse(env.OPENCODE_CONFIG_CONTENT), {
    model: "fake/m",
    permission: { edit: "ask", bash: "ask", webfetch: "ask" },
  });
  assert.equal(env.A, "1");
  assert.deepEqual(agentEnv("/usr/bin/opencode", "bypass", { A: "1" }), { A: "1" });
  assert.deepEqual(agentEnv("/usr/bin/qwen", "read-only", { A: "1" }), { A: "1" });
});

Deno.test("acp resume notes: one per argv and program build; an upgraded agent is asked again", () => {
  const home = Deno.makeTempDirSync();
  const before = Deno.env.get("HANDOFF_HOME");
  Deno.env.set("HANDOFF_HOME", home);
  try {
    const agent = join(home, "agent");
    Deno.writeTextFileSync(agent, "v1");
    noteResumeMethod([agent, "a.mjs"], null);
    noteResumeMethod([agent, "b.mjs"], "session/load");
    assert.equal(knownResumeMethod([agent, "a.mjs"]), null);
    assert.equal(knownResumeMethod([agent, "b.mjs"]), "session/load");
    assert.equal(knownResumeMethod([agent]), undefined, "other args: another agent");
    Deno.writeTextFileSync(agent, "version 2");
    assert.equal(knownResumeMethod([agent, "a.mjs"]), undefined, "a new build is unknown");
    // A damaged note is no note.
    Deno.writeTextFileSync(join(home, "plugins", ".data", "acp", "resume-support.json"), "[1,");
    assert.equal(knownResumeMethod([agent, "b.mjs"]), undefined);
  } finally {
    if (before === undefined) Deno.env.delete("HANDOFF_HOME");
    else Deno.env.set("HANDOFF_HOME", before);
    Deno.removeSync(home, { recursive: true });
  }
});

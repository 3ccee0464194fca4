// End-to-end: the REAL claude and codex CLIs against the fake model servers.

import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { type Script, startFakeAnthropic } from "./fake_anthropic.ts";
import { startFakeOpenAI } from "./fake_openai.ts";
import type { FakeServer } from "./serve.ts";
import {
  CLAUDE_BIN,
  claudeEnv,
  type CliResult,
  CODEX_BIN,
  codexEnv,
  runCli,
  writeCodexHome,
} from "../helpers/agents.ts";

const CLAUDE_FLAGS = [
  "--output-format",
  "stream-json",
  "--verbose",
  "--dangerously-skip-permissions",
];
const CODEX_FLAGS = [
  "--json",
  "--skip-git-repo-check",
  "--dangerously-bypass-approvals-and-sandbox",
];

interface Rig {
  cwd: string;
  fake: FakeServer;
  run(args: string[], stdin?: string): Promise<CliResult>;
}

/** A temp dir (cwd + home), a fake server and a way to run the CLI in it;
 * all cleaned up afterwards. */
async function withClaude(script: Script, fn: (rig: Rig) => Promise<void>) {
  const tmp = await Deno.makeTempDir({ prefix: "handoff-fakes-" });
  try {
    const fake = await startFakeAnthropic({ script });
    try {
      const cwd = join(tmp, "cwd");
      await Deno.mkdir(cwd);
      const env = claudeEnv({ baseUrl: fake.url, home: join(tmp, "home") });
      await fn({
        cwd,
        fake,
        run: (args, stdin) => runCli(CLAUDE_BIN, args, { cwd, env, stdin }),
      });
    } finally {
      await fake.close();
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

async function withCodex(script: Script, fn: (rig: Rig) => Promise<void>) {
  const tmp = await Deno.makeTempDir({ prefix: "handoff-fakes-" });
  try {
    const fake = await startFakeOpenAI({ script });
    try {
      const cwd = join(tmp, "cwd");
      await Deno.mkdir(cwd);
      const codexHome = join(tmp, "codex");
      await writeCodexHome(codexHome, fake.url);
      const env = codexEnv({ codexHome, home: join(tmp, "home") });
      await fn({
        cwd,
        fake,
        run: (args, stdin) => runCli(CODEX_BIN, args, { cwd, env, stdin }),
      });
    } finally {
      await fake.close();
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

const last = <T>(xs: T[]): T => xs[xs.length - 1];

/** Model calls only (the CLIs also probe with HEAD /). */
const modelCalls = (fake: FakeServer) => fake.requests.filter((r) => r.method === "POST");

const ok = (r: CliResult) => assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}\n${r.stdout}`);

// ---------------------------------------------------------------------------

const toolScript: Script = {
  rules: [
    {
      match: "please make the file",
      steps: [
        {
          text: "Writing.",
          tool: {
            name: "Bash",
            input: { command: "echo hi > x.txt", description: "write x" },
          },
        },
        { text: "All done." },
      ],
    },
    { match: "follow up", steps: [{ text: "Still here." }] },
  ],
};

Deno.test("claude: Bash tool writes a file, resume carries the history", async () => {
  await withClaude(toolScript, async ({ cwd, fake, run }) => {
    const first = await run(["-p", "please make the file", ...CLAUDE_FLAGS]);
    ok(first);
    assert.equal(await Deno.readTextFile(join(cwd, "x.txt")), "hi\n");
    assert.equal(first.events[0].type, "system");
    assert.equal(first.events[0].subtype, "init");
    const result = last(first.events);
    assert.equal(result.type, "result");
    assert.equal(result.subtype, "success");
    assert.equal(result.is_error, false);
    assert.equal(result.result, "All done.");
    assert.equal(result.num_turns, 2);
    assert.deepEqual(modelCalls(fake).map((r) => r.step), [0, 1]);

    const sid = result.session_id as string;
    const resumed = await run([
      "-p",
      "--resume",
      sid,
      "a follow up question",
      ...CLAUDE_FLAGS,
    ]);
    ok(resumed);
    const end = last(resumed.events);
    assert.equal(end.result, "Still here.");
    assert.equal(end.session_id, sid);
    const history = JSON.stringify(last(modelCalls(fake)).body);
    assert.match(history, /please make the file/);
    assert.match(history, /tool_result/);
    assert.match(history, /All done\./);
    assert.equal(last(modelCalls(fake)).prompt, "a follow up question");
  });
});

Deno.test("claude: transcripts live under CLAUDE_CONFIG_DIR/projects/<cwd>", async () => {
  await withClaude({ default: [{ text: "hi" }] }, async ({ cwd, run }) => {
    const r = await run(["-p", "hello", ...CLAUDE_FLAGS]);
    ok(r);
    const sid = last(r.events).session_id as string;
    // Every non-alphanumeric character of the cwd becomes "-".
    const project = cwd.replace(/[^A-Za-z0-9]/g, "-");
    const projects = join(cwd, "..", "home", ".claude", "projects");
    assert.deepEqual(readdirSync(projects), [project]);
    assert.ok(existsSync(join(projects, project, `${sid}.jsonl`)));
  });
});

Deno.test("claude: HTTP 500 gives exit 1 and an is_error result", async () => {
  const script = { default: [{ error: { status: 500, message: "boom" } }] };
  await withClaude(script, async ({ run }) => {
    const r = await run(["-p", "hello", ...CLAUDE_FLAGS]);
    assert.equal(r.code, 1);
    const result = last(r.events);
    assert.equal(result.type, "result");
    assert.equal(result.is_error, true);
    assert.equal(result.api_error_status, 500);
  });
});

Deno.test("claude: prompt on stdin, also for --resume", async () => {
  await withClaude({}, async ({ fake, run }) => {
    const r = await run(
      ["-p", ...CLAUDE_FLAGS],
      "from stdin\nFAKE_REPLY: got it",
    );
    ok(r);
    assert.equal(last(r.events).result, "got it");
    assert.equal(last(fake.requests).prompt, "from stdin\nFAKE_REPLY: got it");

    const sid = last(r.events).session_id as string;
    const again = await run(
      ["-p", "--resume", sid, ...CLAUDE_FLAGS],
      "FAKE_REPLY: again",
    );
    ok(again);
    assert.equal(last(again.events).result, "again");
    assert.match(JSON.stringify(last(fake.requests).body), /from stdin/);
  });
});

Deno.test("claude: FAKE_WRITE directive uses the Write tool", async () => {
  await withClaude({}, async ({ cwd, run }) => {
    const path = join(cwd, "w.txt");
    const r = await run([
      "-p",
      `FAKE_WRITE: ${path} :: written`,
      ...CLAUDE_FLAGS,
    ]);
    ok(r);
    assert.equal(await Deno.readTextFile(path), "written\n");
    assert.equal(last(r.events).result, "done");
  });
});

// ---------------------------------------------------------------------------

const codexScript: Script = {
  rules: [
    {
      match: "please make the file",
      steps: [
        {
          text: "Writing.",
          tool: { name: "exec_command", input: { cmd: "echo hi > x.txt" } },
        },
        { text: "All done." },
      ],
    },
    { match: "follow up", steps: [{ text: "Still here." }] },
  ],
};

Deno.test("codex: exec_command writes a file, resume carries the history", async () => {
  await withCodex(codexScript, async ({ cwd, fake, run }) => {
    const first = await run(["exec", ...CODEX_FLAGS, "please make the file"]);
    ok(first);
    assert.equal(await Deno.readTextFile(join(cwd, "x.txt")), "hi\n");
    assert.deepEqual(first.events.map((e) => e.type), [
      "thread.started",
      "turn.started",
      "item.completed",
      "item.started",
      "item.completed",
      "item.completed",
      "turn.completed",
    ]);
    const command = first.events[4].item as Record<string, unknown>;
    assert.equal(command.type, "command_execution");
    assert.equal(command.exit_code, 0);
    const answer = first.events[5].item as Record<string, unknown>;
    assert.deepEqual([answer.type, answer.text], [
      "agent_message",
      "All done.",
    ]);
    assert.deepEqual(modelCalls(fake).map((r) => r.step), [0, 1]);

    const thread = first.events[0].thread_id as string;
    const resumed = await run([
      "exec",
      "resume",
      thread,
      ...CODEX_FLAGS,
      "a follow up question",
    ]);
    ok(resumed);
    assert.equal(resumed.events[0].thread_id, thread);
    const reply = resumed.events.find((e) => e.type === "item.completed")!;
    assert.equal((reply.item as Record<string, unknown>).text, "Still here.");
    const history = JSON.stringify(last(modelCalls(fake)).body);
    assert.match(history, /please make the file/);
    assert.match(history, /function_call_output/);
    assert.equal(last(modelCalls(fake)).prompt, "a follow up question");
  });
});

Deno.test("codex: HTTP 500 gives turn.failed and exit 1", async () => {
  const script = { default: [{ error: { status: 500, message: "boom" } }] };
  await withCodex(script, async ({ run }) => {
    const r = await run(["exec", ...CODEX_FLAGS, "hello"]);
    assert.equal(r.code, 1);
    assert.equal(last(r.events).type, "turn.failed");
  });
});

Deno.test("codex: prompt on stdin via '-', also for resume", async () => {
  await withCodex({}, async ({ fake, run }) => {
    const r = await run(
      ["exec", ...CODEX_FLAGS, "-"],
      "from stdin\nFAKE_REPLY: got it",
    );
    ok(r);
    const reply = r.events.find((e) => e.type === "item.completed")!;
    assert.equal((reply.item as Record<string, unknown>).text, "got it");
    assert.equal(last(fake.requests).prompt, "from stdin\nFAKE_REPLY: got it");

    const thread = r.events[0].thread_id as string;
    const again = await run(
      ["exec", "resume", thread, ...CODEX_FLAGS, "-"],
      "FAKE_REPLY: again",
    );
    ok(again);
    const reply2 = again.events.find((e) => e.type === "item.completed")!;
    assert.equal((reply2.item as Record<string, unknown>).text, "again");
    assert.match(JSON.stringify(last(fake.requests).body), /from stdin/);
  });
});

Deno.test("codex: FAKE_PATCH_ADD directive uses apply_patch", async () => {
  await withCodex({}, async ({ cwd, run }) => {
    const r = await run([
      "exec",
      ...CODEX_FLAGS,
      "FAKE_PATCH_ADD: y.txt :: patched",
    ]);
    ok(r);
    assert.equal(await Deno.readTextFile(join(cwd, "y.txt")), "patched\n");
    const change = r.events.find((e) =>
      (e.item as Record<string, unknown> | undefined)?.type === "file_change"
    );
    assert.ok(change, r.stdout);
  });
});

/**
 * The example gemini backend (examples/plugins/gemini), an executable plugin installed
 * with `handoff plugin add`, driving the real Gemini CLI (@google/gemini-cli from npm)
 * against tests/fakes/fake_gemini.ts: a run whose tool call writes a file, a resume that
 * carries the conversation, an API error giving exit 1, and the ordinary commands on top.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withGeminiWorld } from "./helpers/gemini.ts";
import type { FakeServer } from "./fakes/serve.ts";
import { lastLine, listRuns, runIdOf, type World } from "./helpers/handoff.ts";
import { REPO_ROOT } from "./helpers/agents.ts";

const PLUGIN = join(REPO_ROOT, "examples", "plugins", "gemini");

function withGemini(fn: (w: World, fake: FakeServer) => Promise<void>) {
  return withGeminiWorld(
    (_w, fake) =>
      `  gem:
    type: gemini
    model: gemini-2.5-flash
    env:
      GEMINI_API_KEY: fake-key
      GOOGLE_GEMINI_BASE_URL: ${fake.url}
`,
    async (w, fake) => {
      const add = await w.handoff(["plugin", "add", PLUGIN, "--yes"]);
      assert.equal(add.code, 0, add.stderr);
      assert.match(add.stderr, /provides: backend gemini/);
      await fn(w, fake);
    },
  );
}

Deno.test({
  name: "gemini plugin backend: run with a tool call that writes a file, resume, tail, list",
  async fn() {
    await withGemini(async (w, fake) => {
      const file = join(w.work, "hello.txt");
      const r = await w.handoff(["run", "-b", "gem", "--slug", "gemini file", "-"], {
        stdin: `FAKE_WRITE: ${file} :: written by gemini\nFAKE_REPLY: the file is written`,
        timeoutMs: 120_000,
      });
      assert.equal(r.code, 0, r.stderr);
      const runId = runIdOf(r.stdout);
      assert.equal(r.stdout, `RUN_ID=${runId}\nthe file is written\n`);
      assert.equal(lastLine(r.stderr), `RESULT=${join(w.home, "tasks", `${runId}.result.md`)}`);
      assert.equal(await Deno.readTextFile(file), "written by gemini\n");
      assert.match(r.stderr, new RegExp(`write ${file}`), "the tool call shows as progress");
      // The prompt reached the model on stdin, with handoff's instruction first.
      const call = fake.requests.find((q) => q.prompt?.includes("FAKE_WRITE"));
      assert.ok(call, "the fake saw the prompt");
      assert.match(call.prompt!, /^You received a complete task from another agent/);

      const [row] = (await listRuns(w)).filter((x) => x.run_id === runId);
      assert.equal(row.backend_type, "gemini");
      assert.equal(row.status, "success");
      assert.equal(row.permission_mode, "yolo");
      assert.match(String(row.session_id), /^[0-9a-f-]{36}$/);
      assert.ok((row.usage as Record<string, number>).input_tokens > 0);

      const tail = await w.handoff(["tail", runId, "--json"]);
      assert.equal(tail.code, 0, tail.stderr);
      const kinds = tail.stdout.trim().split("\n").map((l) => JSON.parse(l).kind);
      assert.deepEqual(kinds.filter((k) => k !== "usage"), [
        "session",
        "tool",
        "text",
        "result",
        "end",
      ]);

      const before = fake.requests.length;
      const again = await w.handoff(["resume", runId, "-"], {
        stdin: "FAKE_REPLY: still here",
        timeoutMs: 120_000,
      });
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /still here/);
      // The resumed request carries the first turn.
      const resumed = fake.requests.slice(before).find((q) => q.prompt?.includes("still here"));
      assert.ok(resumed, "the resume reached the model");
      assert.match(JSON.stringify(resumed.body), /written by gemini/);
      const rows = await listRuns(w);
      const child = rows.find((x) => x.parent_run_id === runId);
      assert.equal(child?.session_id, row.session_id);
    });
  },
});

Deno.test({
  name: "gemini plugin backend: an API error is exit 1 with the error recorded",
  async fn() {
    await withGemini(async (w, fake) => {
      fake.setScript({
        default: [{ error: { status: 400, message: "API key not valid (fake)" } }],
      });
      const r = await w.handoff(["run", "-b", "gem", "please explode"], { timeoutMs: 120_000 });
      assert.equal(r.code, 1, r.stderr);
      const [row] = await listRuns(w);
      assert.equal(row.status, "error");
      assert.match(
        String(row.error),
        /the backend reported an error: .*API key not valid \(fake\)/,
      );
      assert.match(r.stderr, /handoff run: the backend reported an error: .*API key not valid/);
    });
  },
});

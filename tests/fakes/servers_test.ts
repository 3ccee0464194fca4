// The fake servers over plain HTTP, without the CLIs.

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startFakeAnthropic } from "./fake_anthropic.ts";
import { startFakeOpenAI } from "./fake_openai.ts";
import type { Script } from "./script.ts";

const post = (url: string, body: unknown) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

/** The `data:` payloads of an SSE body. */
function sseData(text: string): Record<string, unknown>[] {
  return text.split("\n").filter((l) => l.startsWith("data: "))
    .map((l) => JSON.parse(l.slice(6)));
}

const userMessage = (text: string) => ({
  role: "user",
  content: [{ type: "text", text }],
});

Deno.test("anthropic: stream, JSON fallback, errors, title call, control endpoints", async () => {
  const fake = await startFakeAnthropic({
    script: {
      rules: [{
        match: "tool",
        steps: [{
          text: "t",
          tool: { name: "Bash", input: { command: "ls" } },
        }],
      }],
      default: [{ error: { status: 429, message: "slow down" } }],
    },
  });
  try {
    const head = await fetch(fake.url, { method: "HEAD" });
    assert.equal(head.status, 200);
    await head.body?.cancel();

    const url = `${fake.url}/v1/messages?beta=true`;
    const streamed = await post(url, {
      stream: true,
      messages: [userMessage("use a tool")],
    });
    assert.equal(streamed.headers.get("content-type"), "text/event-stream");
    const events = sseData(await streamed.text());
    assert.deepEqual(events.map((e) => e.type), [
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    assert.deepEqual(events.at(-2)!.delta, {
      stop_reason: "tool_use",
      stop_sequence: null,
    });

    const plain = await (await post(url, { messages: [userMessage("tool")] }))
      .json();
    assert.equal(plain.content[1].type, "tool_use");
    assert.match(plain.content[1].id, /^toolu_fake_s0_/);
    assert.deepEqual(plain.content[1].input, { command: "ls" });

    const failed = await post(url, { messages: [userMessage("other")] });
    assert.equal(failed.status, 429);
    assert.deepEqual(await failed.json(), {
      type: "error",
      error: { type: "rate_limit_error", message: "slow down" },
    });

    // The session-title call is answered from its schema, not the script.
    const title = await post(url, {
      tools: [],
      messages: [userMessage("other")],
      output_config: {
        format: {
          type: "json_schema",
          schema: { type: "object", properties: { title: { type: "string" } } },
        },
      },
    });
    const titleBody = await title.json();
    assert.deepEqual(JSON.parse(titleBody.content[0].text), {
      title: "Fake title",
    });

    const count = await post(`${fake.url}/v1/messages/count_tokens`, {
      messages: [],
    });
    assert.deepEqual(await count.json(), { input_tokens: 100 });

    await (await post(`${fake.url}/_fake/script`, {
      default: [{ text: "new" }],
    })).body
      ?.cancel();
    const after = await (await post(url, { messages: [userMessage("other")] }))
      .json();
    assert.equal(after.content[0].text, "new");

    const recorded = await (await fetch(`${fake.url}/_fake/requests`)).json();
    assert.equal(recorded.length, fake.requests.length);
    assert.deepEqual(recorded.map((r: { method: string }) => r.method), [
      "HEAD",
      "POST",
      "POST",
      "POST",
      "POST",
      "POST",
      "POST",
    ]);
    assert.equal(fake.requests[1].path, "/v1/messages?beta=true");
    assert.equal(fake.requests[1].prompt, "use a tool");
    assert.equal(fake.requests[1].headers["content-type"], "application/json");
  } finally {
    await fake.close();
  }
});

Deno.test("openai: stream, fail, errors, models", async () => {
  const script: Script = {
    rules: [
      {
        match: "tool",
        steps: [{
          reasoning: "thinking",
          text: "t",
          tool: { name: "exec_command", input: { cmd: "ls" } },
          custom: {
            name: "apply_patch",
            input: "*** Begin Patch\n*** End Patch\n",
          },
          usage: { input_tokens: 7, output_tokens: 3 },
        }],
      },
      { match: "fail", steps: [{ fail: "went away" }] },
    ],
    default: [{ error: { status: 500 } }],
  };
  const fake = await startFakeOpenAI({ script });
  try {
    const input = (text: string) => [{
      type: "message",
      role: "user",
      content: [{ type: "input_text", text }],
    }];
    const url = `${fake.url}/v1/responses`;
    const events = sseData(
      await (await post(url, { stream: true, input: input("tool") })).text(),
    );
    const done = events.filter((e) => e.type === "response.output_item.done")
      .map((e) => (e.item as { type: string }).type);
    assert.deepEqual(done, [
      "reasoning",
      "message",
      "function_call",
      "custom_tool_call",
    ]);
    const completed = events.at(-1)!;
    assert.equal(completed.type, "response.completed");
    const response = completed.response as { usage: { total_tokens: number } };
    assert.equal(response.usage.total_tokens, 10);
    assert.deepEqual(
      events.map((e) => e.sequence_number),
      events.map((_, i) => i),
    );

    const failed = sseData(
      await (await post(url, { input: input("fail") })).text(),
    );
    assert.deepEqual(failed.map((e) => e.type), [
      "response.created",
      "response.failed",
    ]);

    const error = await post(url, { input: input("other") });
    assert.equal(error.status, 500);
    assert.equal((await error.json()).error.type, "server_error");

    const models = await (await fetch(`${fake.url}/v1/models`)).json();
    assert.equal(models.data[0].id, "gpt-5.5");
  } finally {
    await fake.close();
  }
});

Deno.test("a hanging step ends when the server closes", async () => {
  const fake = await startFakeOpenAI({ script: { default: [{ hang: true }] } });
  const pending = post(`${fake.url}/v1/responses`, { input: "x" });
  // Wait until the request has arrived, then close under it.
  while (fake.requests.length === 0) {
    await new Promise((r) => setTimeout(r, 10));
  }
  await fake.close();
  const res = await pending;
  assert.equal(res.status, 503);
  await res.body?.cancel();
});

// ---------------------------------------------------------------------------
// Standalone programs

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

/** Starts a fake as a program and reads its first stdout line. */
async function spawnFake(file: string, env: Record<string, string>) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", here(file)],
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  const drain = (async () => {
    while (!(await reader.read()).done) { /* keep the pipe empty */ }
  })();
  return { child, firstLine: out.split("\n")[0], drain };
}

Deno.test("standalone: port line, FAKE_SCRIPT, FAKE_LOG, SIGTERM", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "handoff-fakes-" });
  try {
    const scriptFile = join(tmp, "script.json");
    const logFile = join(tmp, "log.jsonl");
    await Deno.writeTextFile(
      scriptFile,
      JSON.stringify({ default: [{ text: "scripted" }] }),
    );
    const { child, firstLine, drain } = await spawnFake("fake_anthropic.ts", {
      FAKE_SCRIPT: scriptFile,
      FAKE_LOG: logFile,
    });
    const m = /^FAKE_ANTHROPIC_PORT=(\d+)$/.exec(firstLine);
    assert.ok(m, firstLine);
    const res = await post(`http://127.0.0.1:${m[1]}/v1/messages`, {
      messages: [userMessage("hi")],
    });
    assert.equal((await res.json()).content[0].text, "scripted");
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 0);
    await drain;
    const log = (await Deno.readTextFile(logFile)).trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(log.length, 1);
    assert.equal(log[0].prompt, "hi");
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("standalone: exits by itself when idle", async () => {
  const started = Date.now();
  const { child, firstLine, drain } = await spawnFake("fake_openai.ts", {
    FAKE_IDLE_EXIT_MS: "300",
  });
  assert.match(firstLine, /^FAKE_OPENAI_PORT=\d+$/);
  assert.equal((await child.status).code, 0);
  await drain;
  assert.ok(Date.now() - started < 10_000);
});

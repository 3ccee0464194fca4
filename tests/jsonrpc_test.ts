// core/jsonrpc.ts: one peer against a scripted other side, over in-memory streams.
import assert from "node:assert/strict";
import { JsonRpcPeer, type PeerOptions, RpcError } from "../core/jsonrpc.ts";

/** A peer whose other side is this test: `sent()` reads its messages, `say()` answers. */
function connect(o: PeerOptions = {}) {
  const toPeer = new TransformStream<Uint8Array, Uint8Array>();
  const fromPeer = new TransformStream<Uint8Array, Uint8Array>();
  const peer = new JsonRpcPeer(fromPeer.writable.getWriter(), toPeer.readable, o);
  const say = toPeer.writable.getWriter();
  const reader = fromPeer.readable.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  return {
    peer,
    say: (text: string) => say.write(new TextEncoder().encode(text + "\n")),
    end: () => say.close(),
    async sent(): Promise<Record<string, unknown>> {
      while (!buf.includes("\n")) buf += (await reader.read()).value ?? "";
      const i = buf.indexOf("\n");
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      return JSON.parse(line);
    },
  };
}

Deno.test("jsonrpc: requests get their answers, by id, in any order", async () => {
  const c = connect();
  const a = c.peer.request("a", { x: 1 });
  const b = c.peer.request("b", null);
  const [ma, mb] = [await c.sent(), await c.sent()];
  assert.deepEqual(ma, { jsonrpc: "2.0", id: 1, method: "a", params: { x: 1 } });
  await c.say(JSON.stringify({ jsonrpc: "2.0", id: mb.id, result: "B" }));
  await c.say(
    JSON.stringify({ jsonrpc: "2.0", id: ma.id, error: { code: -32000, message: "no" } }),
  );
  assert.equal(await b, "B");
  await assert.rejects(a, (e) => e instanceof RpcError && e.code === -32000 && e.message === "no");
});

Deno.test("jsonrpc: the other side's requests are answered, -32601 by default", async () => {
  const plain = connect();
  await plain.say(JSON.stringify({ jsonrpc: "2.0", id: 7, method: "fs/read", params: {} }));
  assert.deepEqual(await plain.sent(), {
    jsonrpc: "2.0",
    id: 7,
    error: { code: -32601, message: "method not found" },
  });
  const notes: unknown[] = [];
  const served = connect({
    onRequest: (method) =>
      method === "ok" ? Promise.resolve({ fine: true }) : Promise.reject(new Error("broken")),
    onNotification: (method, params) => notes.push([method, params]),
  });
  await served.say(JSON.stringify({ jsonrpc: "2.0", id: "s1", method: "ok" }));
  assert.deepEqual(await served.sent(), { jsonrpc: "2.0", id: "s1", result: { fine: true } });
  await served.say(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "bad" }));
  assert.deepEqual(await served.sent(), {
    jsonrpc: "2.0",
    id: 2,
    error: { code: -32603, message: "broken" },
  });
  await served.say(JSON.stringify({ jsonrpc: "2.0", method: "session/update", params: [1] }));
  await served.end();
  await served.peer.closed;
  assert.deepEqual(notes, [["session/update", [1]]]);
});

Deno.test("jsonrpc: garbage and stray answers are reported; fail ends every request", async () => {
  const problems: string[] = [];
  const c = connect({ onProtocolError: (w) => problems.push(w) });
  const waiting = c.peer.request("slow", {});
  await c.sent();
  await c.say("Welcome to the agent!");
  await c.say(JSON.stringify({ jsonrpc: "2.0", id: 99, result: 1 }));
  await c.say("[1,2]");
  while (problems.length < 3) await new Promise((r) => setTimeout(r, 5));
  assert.match(problems[0], /not JSON-RPC: "Welcome to the agent!"/);
  assert.match(problems[1], /never sent \(id 99\)/);
  c.peer.fail(new Error("gone"));
  await assert.rejects(waiting, /gone/);
  await assert.rejects(c.peer.request("later", {}), /gone/);
  assert.equal(c.peer.failed?.message, "gone");
});

Deno.test("jsonrpc: a request without an answer times out with the owner's error", async () => {
  const c = connect({ onTimeout: (m, ms) => new Error(`${m} silent for ${ms}`) });
  await assert.rejects(c.peer.request("initialize", {}, 30), /initialize silent for 30/);
  // The connection itself goes on.
  const next = c.peer.request("again", {});
  await c.sent();
  const m = await c.sent();
  await c.say(JSON.stringify({ jsonrpc: "2.0", id: m.id, result: 2 }));
  assert.equal(await next, 2);
});

Deno.test("jsonrpc: a line over the limit is reported and ends the reading", async () => {
  const problems: string[] = [];
  const flood = ReadableStream.from([new TextEncoder().encode("x".repeat((1 << 20) + 10))]);
  const sink = new WritableStream<Uint8Array>().getWriter();
  const peer = new JsonRpcPeer(sink, flood, {
    maxLineChars: 1 << 20,
    onProtocolError: (w) => problems.push(w),
  });
  await peer.closed;
  assert.deepEqual(problems, ["sent a message over 1 MiB"]);
});

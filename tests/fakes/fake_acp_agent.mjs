#!/usr/bin/env node
// A minimal ACP agent for the cases real agents do not show on demand: no loadSession
// capability, a vendor request the client must refuse with -32601, offered modes, a
// stop reason taken from the prompt (`STOP: refusal`), an error whose reason is in its
// `data` (`FAIL`), and a slow exit (`FAKE_ACP_EXIT_MS`). It records what the client sent
// in $FAKE_ACP_LOG (one JSON line each).
import { appendFileSync } from "node:fs";
import { createInterface } from "node:readline";

const log = (m) =>
  process.env.FAKE_ACP_LOG && appendFileSync(process.env.FAKE_ACP_LOG, JSON.stringify(m) + "\n");
const send = (m) => process.stdout.write(JSON.stringify({ jsonrpc: "2.0", ...m }) + "\n");
let nextId = 100;
let hanging = null;
const waiting = new Map();
const ask = (method, params) =>
  new Promise((resolve) => {
    const id = nextId++;
    waiting.set(id, resolve);
    send({ id, method, params });
  });

// `FAKE_ACP_EXIT_MS`: once its input closes, one more message chunk, then this long until
// it exits (an agent slow to shut down, still talking after its turn).
let lastSession = null;
process.stdin.on("end", () => {
  const ms = Number(process.env.FAKE_ACP_EXIT_MS);
  if (!ms) return;
  send({
    method: "session/update",
    params: {
      sessionId: lastSession,
      update: { sessionUpdate: "agent_message_chunk", content: { type: "text", text: "LATE" } },
    },
  });
  setTimeout(() => process.exit(0), ms);
});

createInterface({ input: process.stdin }).on("line", async (line) => {
  const m = JSON.parse(line);
  log(m);
  if (m.method === undefined) return waiting.get(m.id)?.(m);
  const { id, method, params } = m;
  if (method === "initialize") {
    return send({
      id,
      result: { protocolVersion: 1, agentCapabilities: { loadSession: false }, authMethods: [] },
    });
  }
  if (method === "session/new") {
    if (process.env.FAKE_ACP_NO_SESSION_ID) return send({ id, result: {} });
    return send({
      id,
      result: {
        sessionId: "fake-session-1",
        modes: {
          currentModeId: "ask",
          availableModes: [{ id: "ask", name: "Ask" }, { id: "code", name: "Code" }],
        },
      },
    });
  }
  if (method === "session/set_mode") return send({ id, result: {} });
  if (method === "session/prompt") {
    lastSession = params.sessionId;
    const text = params.prompt.map((b) => b.text ?? "").join("");
    // `FAIL`: an error answer whose reason is only in `data`, after some stderr.
    if (text.includes("FAIL")) {
      process.stderr.write("fake-agent: starting\nfake-agent: the quota is gone\n");
      return send({
        id,
        error: { code: -32603, message: "Internal error", data: { details: "quota (fake)" } },
      });
    }
    const vendor = await ask("fake/vendor_thing", { x: 1 });
    const reply = vendor.error ? `vendor refused ${vendor.error.code}` : "vendor answered";
    send({
      method: "session/update",
      params: {
        sessionId: params.sessionId,
        update: { sessionUpdate: "agent_message_chunk", content: { type: "text", text: reply } },
      },
    });
    // `HANG`: the turn goes on until the client cancels it.
    if (text.includes("HANG")) return void (hanging = id);
    const stop = /STOP: (\w+)/.exec(text)?.[1] ?? "end_turn";
    return send({ id, result: { stopReason: stop } });
  }
  if (method === "session/cancel") {
    if (hanging !== null) send({ id: hanging, result: { stopReason: "cancelled" } });
    return;
  }
  send({ id, error: { code: -32601, message: `no ${method}` } });
});

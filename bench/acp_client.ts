/**
 * A bare ACP client, the baseline of bench/acp_overhead.ts: starts the agent given as
 * arguments, `initialize`, `session/new`, one `session/prompt` with stdin's text, prints
 * the agent's message text, closes the agent's stdin and waits for it to exit. Permission
 * requests get the first allow option; other requests -32601.
 *
 *   deno run -A bench/acp_client.ts <agent> [args…] < prompt
 */
const prompt = await new Response(Deno.stdin.readable).text();
const agent = new Deno.Command(Deno.args[0], {
  args: Deno.args.slice(1),
  stdin: "piped",
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const writer = agent.stdin.getWriter();
const send = (m: object) =>
  writer.write(new TextEncoder().encode(JSON.stringify({ jsonrpc: "2.0", ...m }) + "\n"));
const waiting = new Map<number, (r: Record<string, unknown>) => void>();
let nextId = 1;
const ask = (method: string, params: unknown) =>
  new Promise<Record<string, unknown>>((resolve) => {
    const id = nextId++;
    waiting.set(id, resolve);
    send({ id, method, params });
  });
let text = "";
(async () => {
  let buf = "";
  for await (const chunk of agent.stdout.pipeThrough(new TextDecoderStream())) {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let m;
      try {
        m = JSON.parse(line);
      } catch {
        continue;
      }
      if (
        m.method === "session/update" && m.params.update.sessionUpdate === "agent_message_chunk"
      ) {
        text += m.params.update.content?.text ?? "";
      } else if (m.method && m.id !== undefined) {
        if (m.method === "session/request_permission") {
          const o = m.params.options.find((x: { kind: string }) => x.kind.startsWith("allow"));
          send({ id: m.id, result: { outcome: { outcome: "selected", optionId: o.optionId } } });
        } else send({ id: m.id, error: { code: -32601, message: "no" } });
      } else if (m.id !== undefined) waiting.get(m.id)?.(m);
    }
  }
})();
await ask("initialize", {
  protocolVersion: 1,
  clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false },
});
const session = await ask("session/new", { cwd: Deno.cwd(), mcpServers: [] });
const sessionId = (session.result as { sessionId: string }).sessionId;
await ask("session/prompt", { sessionId, prompt: [{ type: "text", text: prompt }] });
console.log(text.trim());
await writer.close();
await agent.status;

/**
 * `handoff run --detach` (and `resume --detach`): the same command started again in a
 * session of its own, so no terminal, shell or agent session that goes away can take it
 * down; this process prints its RUN_ID= line and returns. The prompt, when it comes from
 * stdin, is read here and handed over.
 */
import { err, errLine, out } from "../../core/output.ts";
import { selfArgv } from "../../core/self.ts";
import { readStdin } from "./prompt_input.ts";

/**
 * `args`: this handoff's argv (global options included) without `--detach` and `--json`
 * (the child speaks the line protocol to us; `json` is for what we print).
 */
export async function detach(
  args: string[],
  promptFromStdin: boolean,
  json = false,
): Promise<number> {
  const prompt = promptFromStdin ? readStdin() : null;
  const self = selfArgv();
  const child = new Deno.Command(self[0], {
    args: [...self.slice(1), ...args],
    stdin: prompt === null ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    detached: true,
  }).spawn();
  if (prompt !== null) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(prompt)).catch(() => {});
    await w.close().catch(() => {});
  }
  // Until the run has its id, the child's talk is ours to pass on (a usage error, say).
  let stderr = "";
  const errReader = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) stderr += chunk;
  })().catch(() => {});
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  while (!buf.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
  }
  const first = buf.split("\n")[0];
  if (!first.startsWith("RUN_ID=")) {
    const status = await child.status;
    await errReader;
    err(stderr);
    return status.code;
  }
  const runId = first.slice("RUN_ID=".length);
  out(json ? `${JSON.stringify({ run_id: runId, detached: true })}\n` : `${first}\n`);
  errLine(
    `detached: ${runId} runs on its own. Follow it: handoff tail ${runId} · wait for it: ` +
      `handoff wait ${runId} · stop it: handoff kill ${runId}`,
  );
  // Let go: the run's later output goes to its files; its writes here fail quietly.
  child.unref();
  await reader.cancel().catch(() => {});
  await child.stderr.cancel().catch(() => {});
  return 0;
}

/**
 * `handoff acp-bridge` (internal): the ACP client behind every `type: acp` backend. The
 * engine starts it as the backend CLI; it reads the task as one JSON document on stdin,
 * starts the agent in a process group of its own, speaks ACP (newline-delimited JSON-RPC
 * 2.0) to it, and prints handoff's normalized run events as JSON lines on stdout, which
 * the acp launcher's parser passes through. On SIGTERM or SIGINT it sends `session/cancel`,
 * gives the turn a moment to end, then stops the agent's group.
 */
import { basename, dirname, join } from "../../core/path.ts";
import type { RunEvent } from "../../core/events.ts";
import { JsonRpcPeer, METHOD_NOT_FOUND, RpcError } from "../../core/jsonrpc.ts";
import { handoffHome } from "../../core/paths.ts";
import { answerPermission, permissionSubject, Turn } from "./updates.ts";
import { modeFor } from "./quirks.ts";

/** What the acp launcher hands the bridge on stdin. */
export interface BridgeTask {
  argv: string[];
  cwd: string;
  prompt: string;
  model: string;
  mode: string | null;
  permissionMode: string;
  resumeSession: string | null;
}

const PROTOCOL_VERSION = 1;
const CANCEL_WAIT_MS = 2_000;
/** A file to append every line the agent sends to (for recording an agent's dialect). */
const TRACE = Deno.env.get("HANDOFF_ACP_TRACE");
const INIT_TIMEOUT_MS = Number(Deno.env.get("HANDOFF_ACP_INIT_TIMEOUT_MS") ?? 60_000);

type Json = Record<string, unknown>;
const isMap = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function emit(ev: RunEvent): void {
  try {
    Deno.stdout.writeSync(new TextEncoder().encode(JSON.stringify(ev) + "\n"));
  } catch { /* handoff is gone (killed): the orphan watch stops the agent */ }
}

/** The agent process and the JSON-RPC connection over its stdio. */
class Agent {
  private child: Deno.ChildProcess;
  private writer: WritableStreamDefaultWriter<Uint8Array>;
  private peer: JsonRpcPeer;
  onUpdate: (params: unknown) => void = () => {};
  onRequest: (method: string, params: unknown) => Promise<unknown> = () =>
    Promise.reject(new RpcError(METHOD_NOT_FOUND, "method not found"));
  readonly exited: Promise<Deno.CommandStatus>;

  constructor(argv: string[], cwd: string) {
    this.child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      cwd,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
      // Its own group: a stop reaches the bridge first, which cancels the turn itself.
      detached: true,
    }).spawn();
    this.writer = this.child.stdin.getWriter();
    this.peer = new JsonRpcPeer(this.writer, this.child.stdout, {
      // Agents print banners on stdout now and then: not ours to answer, not fatal.
      onProtocolError: () => {},
      onRequest: (method, params) => this.onRequest(method, params),
      onNotification: (method, params) => {
        if (method === "session/update") this.onUpdate(params);
      },
      timeoutError: (method, ms) =>
        new Error(`the agent did not answer ${method} within ${ms / 1000} s`),
      onLine: TRACE
        ? (line) => Deno.writeTextFileSync(TRACE, line + "\n", { append: true })
        : undefined,
    });
    this.exited = this.child.status;
    this.exited.then((s) =>
      this.peer.fail(
        new Error(`the agent exited (${s.signal ?? `code ${s.code}`}) before answering`),
      )
    );
  }

  get pid(): number {
    return this.child.pid;
  }

  request(method: string, params: unknown, timeoutMs?: number): Promise<unknown> {
    return this.peer.request(method, params, timeoutMs);
  }

  notify(method: string, params: unknown): void {
    this.peer.notify(method, params);
  }

  /** Closes stdin (most agents exit on it), then stops the group. */
  async stop(): Promise<void> {
    await this.writer.close().catch(() => {});
    const gone = await Promise.race([this.exited.then(() => true), sleep(1_000).then(() => false)]);
    if (gone) return;
    try {
      Deno.kill(-this.child.pid, "SIGTERM");
    } catch { /* already gone */ }
    const dead = await Promise.race([this.exited.then(() => true), sleep(2_000).then(() => false)]);
    if (!dead) {
      try {
        Deno.kill(-this.child.pid, "SIGKILL");
      } catch { /* already gone */ }
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function readTask(): Promise<BridgeTask> {
  const text = await new Response(Deno.stdin.readable).text();
  const t = JSON.parse(text);
  if (!isMap(t) || !Array.isArray(t.argv) || typeof t.prompt !== "string") {
    throw new Error("acp-bridge: stdin must be the task JSON (it is started by handoff run)");
  }
  return t as unknown as BridgeTask;
}

/** Loads (or resumes) the session with the method the agent advertises. */
async function continueSession(agent: Agent, caps: Json, task: BridgeTask): Promise<void> {
  const sessionCaps = isMap(caps.sessionCapabilities) ? caps.sessionCapabilities : {};
  const method = caps.loadSession === true
    ? "session/load"
    : isMap(sessionCaps.resume) || sessionCaps.resume === true
    ? "session/resume"
    : null;
  if (!method) {
    throw new Error(
      "this agent can neither load nor resume a session (no loadSession or resume in its " +
        "capabilities): start a new run instead",
    );
  }
  await agent.request(method, { sessionId: task.resumeSession, cwd: task.cwd, mcpServers: [] });
}

/** Where the bridge notes when each session was last written (`<session id>` → ISO time). */
function lastUsedFile(sessionId: string): string | null {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(sessionId)) return null;
  return join(handoffHome(), "plugins", ".data", "acp", "last-used", sessionId);
}

function noteUsed(sessionId: string): void {
  const file = lastUsedFile(sessionId);
  if (!file) return;
  try {
    Deno.mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    Deno.writeTextFileSync(file, new Date().toISOString(), { mode: 0o600 });
  } catch { /* only a hint for the next resume */ }
}

/**
 * Gemini CLI names a session's file after the clock minute: loading a session in the
 * minute it was last written makes it write over that file and lose the conversation.
 * So a resume of Gemini waits for the minute to turn (with a progress line).
 */
async function waitForGeminiMinute(task: BridgeTask): Promise<void> {
  if (!task.resumeSession || !/gemini/i.test(basename(task.argv[0]))) return;
  const file = lastUsedFile(task.resumeSession);
  let last: number;
  try {
    last = Date.parse(Deno.readTextFileSync(file!));
  } catch {
    return;
  }
  const minute = (ms: number) => Math.floor(ms / 60_000);
  if (minute(last) !== minute(Date.now())) return;
  const wait = 60_000 - (Date.now() % 60_000) + 500;
  emit({
    kind: "info",
    text: `waiting ${Math.ceil(wait / 1000)} s for the clock minute to turn: Gemini CLI ` +
      "cannot load a session in the minute it was last written",
  });
  await sleep(wait);
}

export async function acpBridgeMain(_args: string[]): Promise<number> {
  let task: BridgeTask;
  try {
    task = await readTask();
  } catch (e) {
    console.error(`handoff acp-bridge: ${(e as Error).message}`);
    return 2;
  }
  await waitForGeminiMinute(task);
  const agent = new Agent(task.argv, task.cwd);
  const turn = new Turn();
  let loading = false;
  let sessionId: string | null = null;
  let cancelled = false;
  agent.onUpdate = (params) => {
    if (loading) return; // session/load replays the old conversation: not this run's events
    for (const ev of turn.update(params)) emit(ev);
  };
  agent.onRequest = (method, params) => {
    if (method !== "session/request_permission") {
      return Promise.reject(new RpcError(METHOD_NOT_FOUND, `${method} is not offered by handoff`));
    }
    const call = (params as { toolCall?: unknown } | null)?.toolCall;
    for (const ev of turn.tool(call, { now: true })) emit(ev);
    if (task.permissionMode === "ask" && !cancelled) return askThePhones(params);
    const a = answerPermission(cancelled ? "read-only" : task.permissionMode, params);
    for (const ev of a.events) emit(ev);
    return Promise.resolve(a.result);
  };
  const asking = new AbortController();
  // `ask`: the paired phones answer; without an answer the request is refused.
  const askThePhones = async (params: unknown) => {
    const { askPhones } = await import("../approvals/ask.ts");
    const subject = permissionSubject(params);
    const p = isMap(params) ? params : {};
    const answer = await askPhones({
      agent: `acp:${basename(task.argv[0] ?? "agent")}`,
      tool: subject.name,
      summary: subject.summary,
      options: Array.isArray(p.options) ? p.options : [],
      runId: Deno.env.get("HANDOFF_RUN_ID") || null,
      cwd: task.cwd,
      signal: asking.signal,
    }).catch((e) => ({ optionId: null, why: `phones not asked: ${(e as Error).message}` }));
    if (answer.optionId !== null && "by" in answer) {
      const who = answer.by.replace(/^phone:/, "");
      emit({
        kind: "info",
        text: `permission ${answer.allowed ? "allowed" : "rejected"} by ${who}: ${subject.summary}`,
      });
      if (!answer.allowed) {
        emit({ kind: "permission_denied", tool: subject.name, detail: subject.summary });
      }
      return { outcome: { outcome: "selected", optionId: answer.optionId } };
    }
    const why = answer.why === "nobody"
      ? "no paired phone may answer"
      : answer.why === "timeout"
      ? "no phone answered in time"
      : answer.why === "cancelled"
      ? "the run was stopped"
      : answer.why === "disabled"
      ? "the approvals plugin is disabled"
      : answer.why;
    const a = answerPermission(cancelled ? "read-only" : "ask", params, why);
    for (const ev of a.events) emit(ev);
    return a.result;
  };
  const onStop = () => {
    if (cancelled) return;
    cancelled = true;
    asking.abort();
    if (sessionId) agent.notify("session/cancel", { sessionId });
    setTimeout(() => agent.stop(), CANCEL_WAIT_MS);
  };
  for (const s of ["SIGTERM", "SIGINT"] as const) Deno.addSignalListener(s, onStop);
  // A handoff killed outright (SIGKILL) cannot stop us: its going makes us an orphan.
  const parent = Deno.ppid;
  const orphanWatch = setInterval(() => Deno.ppid !== parent && onStop(), 500);

  try {
    const init = await agent.request("initialize", {
      protocolVersion: PROTOCOL_VERSION,
      // No fs or terminal methods: the agent uses its own tools in the run's folder.
      clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false },
      clientInfo: { name: "handoff", version: "1" },
    }, INIT_TIMEOUT_MS) as Json;
    const caps = isMap(init?.agentCapabilities) ? init.agentCapabilities : {};
    let session: Json;
    if (task.resumeSession) {
      loading = true;
      await continueSession(agent, caps, task);
      loading = false;
      sessionId = task.resumeSession;
      session = {};
    } else {
      session = await agent.request("session/new", { cwd: task.cwd, mcpServers: [] }) as Json;
      sessionId = String(session.sessionId);
    }
    emit({ kind: "session", id: sessionId });
    await chooseModeAndModel(agent, sessionId, session, task);
    const response = await agent.request("session/prompt", {
      sessionId,
      prompt: [{ type: "text", text: task.prompt }],
    }) as Json;
    noteUsed(sessionId);
    for (const ev of turn.end(response)) emit(ev);
    return response?.stopReason === "end_turn" ? 0 : 1;
  } catch (e) {
    for (const ev of turn.end(null, (e as Error).message)) emit(ev);
    return 1;
  } finally {
    for (const s of ["SIGTERM", "SIGINT"] as const) Deno.removeSignalListener(s, onStop);
    clearInterval(orphanWatch);
    await agent.stop();
  }
}

/** `mode:` through session/set_mode, and the model through session/set_model, when offered. */
async function chooseModeAndModel(
  agent: Agent,
  sessionId: string,
  session: Json,
  task: BridgeTask,
): Promise<void> {
  const modes = isMap(session.modes) && Array.isArray(session.modes.availableModes)
    ? session.modes.availableModes.filter(isMap).map((m) => String(m.id))
    : [];
  const current = isMap(session.modes) && typeof session.modes.currentModeId === "string"
    ? session.modes.currentModeId
    : null;
  const chosen = task.mode ? null : modeFor(task.permissionMode, modes, current);
  if (chosen) {
    emit({
      kind: "info",
      text: `mode ${chosen} (was ${current ?? "unset"}): permission_mode ` +
        `${task.permissionMode} needs an agent that asks`,
    });
    await agent.request("session/set_mode", { sessionId, modeId: chosen });
  }
  if (task.mode) {
    if (modes.length && !modes.includes(task.mode)) {
      // The Claude adapter hides bypassPermissions from root unless IS_SANDBOX=1.
      const why =
        task.mode === "bypassPermissions" && Deno.uid() === 0 && !Deno.env.get("IS_SANDBOX")
          ? `; as root the Claude ACP adapter offers it only with IS_SANDBOX: "1" in the backend's env`
          : "";
      throw new Error(
        `the agent has no mode "${task.mode}" (it offers: ${modes.join(", ")})${why}`,
      );
    }
    await agent.request("session/set_mode", { sessionId, modeId: task.mode });
  }
  const models = isMap(session.models) && Array.isArray(session.models.availableModels)
    ? session.models.availableModels.filter(isMap).map((m) => String(m.modelId))
    : [];
  if (task.model && models.includes(task.model)) {
    await agent.request("session/set_model", { sessionId, modelId: task.model }).catch(() => {});
  }
}

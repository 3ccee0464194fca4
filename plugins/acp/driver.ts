/**
 * handoff's ACP client, behind every `type: acp` backend: the engine starts the agent (in a
 * process group of its own, as every backend) and hands its stdio here. This speaks ACP
 * (newline-delimited JSON-RPC 2.0) to it and reports handoff's normalized run events.
 * When the run is stopped it sends `session/cancel`, gives the turn a moment to end, then
 * closes the agent's input and stops its group. Every agent tried exits when its input
 * closes, which is also what happens when handoff itself is killed outright.
 */
import { basename, dirname, join } from "../../core/path.ts";
import type { RunEvent } from "../../core/events.ts";
import { JsonRpcPeer, METHOD_NOT_FOUND, RpcError } from "../../core/jsonrpc.ts";
import type { DrivenCli, LaunchTask } from "../../core/registry.ts";
import { handoffHome, runFiles } from "../../core/paths.ts";
import { oneLine } from "../../core/events.ts";
import { answerPermission, permissionSubject, Turn } from "./updates.ts";
import { modeFor, replaysAfterLoad } from "./quirks.ts";
import { noteResumeMethod, resumeMethod } from "./resumable.ts";

/** A run as the driver sees it. */
interface AcpTask {
  argv: string[];
  cwd: string;
  prompt: string;
  model: string;
  mode: string | null;
  permissionMode: string;
  resumeSession: string | null;
  /** The agent's environment. */
  env: Record<string, string>;
}

const PROTOCOL_VERSION = 1;
/** ACP's error code for "authentication required". */
const AUTH_REQUIRED = -32000;
const CANCEL_WAIT_MS = 2_000;
/** A file to append every line the agent sends to (for recording an agent's dialect). */
const TRACE = Deno.env.get("HANDOFF_ACP_TRACE");
const INIT_TIMEOUT_MS = Number(Deno.env.get("HANDOFF_ACP_INIT_TIMEOUT_MS")) || 60_000;
/** How long a resumed agent must be quiet before its replay of the old turns counts as over. */
const REPLAY_QUIET_MS = 500;
const REPLAY_MAX_MS = 10_000;

type Json = Record<string, unknown>;
const isMap = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** The JSON-RPC connection over the agent's stdio, and how to stop the agent. */
class Agent {
  private writer: WritableStreamDefaultWriter<Uint8Array>;
  private peer: JsonRpcPeer;
  /** Set once initialize is answered: before that, odd output means it is no ACP agent. */
  initialized = false;
  /** The first line that was not JSON-RPC, when the agent wrote one before initialize. */
  private noise: string | null = null;
  onUpdate: (params: unknown) => void = () => {};
  onRequest: (method: string, params: unknown) => Promise<unknown> = () =>
    Promise.reject(new RpcError(METHOD_NOT_FOUND, "method not found"));

  constructor(private readonly cli: DrivenCli, private readonly name: string) {
    this.writer = cli.stdin.getWriter();
    this.peer = new JsonRpcPeer(this.writer, cli.stdout, {
      // Agents print banners on stdout now and then: not ours to answer, not fatal. Kept
      // (until initialize) to tell why a command that is no ACP agent failed.
      onProtocolError: (_what, excerpt) => {
        if (excerpt && !this.initialized) this.noise ??= excerpt;
      },
      onRequest: (method, params) => {
        // `cat` and the like echo handoff's own request back.
        if (!this.initialized && method === "initialize") {
          this.peer.fail(this.notAcp("it echoed handoff's initialize back"));
        }
        return this.onRequest(method, params);
      },
      onNotification: (method, params) => {
        if (method === "session/update") this.onUpdate(params);
      },
      onTimeout: (method, ms) =>
        this.noise && !this.initialized
          ? this.notAcp(this.noise)
          : new Error(`the agent did not answer ${method} within ${ms / 1000} s`),
      // The error's `data` often holds the reason (the message alone may be "Internal error").
      answerError: (error) => {
        const e = isMap(error) ? error : {};
        const data = e.data === undefined || e.data === null
          ? ""
          : oneLine(typeof e.data === "string" ? e.data : JSON.stringify(e.data), 300);
        const message = typeof e.message === "string" ? e.message : JSON.stringify(error);
        return new RpcError(Number(e.code ?? -32603), data ? `${message}: ${data}` : message);
      },
      onLine: TRACE
        ? (line) => Deno.writeTextFileSync(TRACE, line + "\n", { append: true, mode: 0o600 })
        : undefined,
    });
    cli.exited.then(async (s) => {
      // Its last output first (what it printed says best what it is).
      await Promise.race([this.peer.closed.catch(() => {}), sleep(500)]);
      const how = s.signal ?? `code ${s.code}`;
      this.peer.fail(
        this.initialized
          ? new Error(`the agent exited (${how}) before answering`)
          : this.noise
          ? this.notAcp(this.noise)
          : new Error(
            `${this.name} exited (${how}) before answering initialize: is it an ACP agent? ` +
              "(gemini and qwen need --acp, opencode needs acp)",
          ),
      );
    });
  }

  private notAcp(what: string): Error {
    return new Error(`${this.name} wrote output that is not ACP JSON-RPC: ${what}`);
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
    const exited = this.cli.exited.then(() => true);
    if (await Promise.race([exited, sleep(1_000).then(() => false)])) return;
    try {
      Deno.kill(-this.cli.pid, "SIGTERM");
    } catch { /* already gone */ }
    if (await Promise.race([exited, sleep(2_000).then(() => false)])) return;
    try {
      Deno.kill(-this.cli.pid, "SIGKILL");
    } catch { /* already gone */ }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Loads (or resumes) the session with the method the agent advertises; its answer states
 * the session's modes, as session/new's does.
 */
async function continueSession(
  agent: Agent,
  caps: Json,
  task: AcpTask,
  name: string,
): Promise<Json> {
  const method = resumeMethod(caps);
  if (!method) {
    throw new Error(
      `${name} cannot resume a session: it offers neither session/load nor session/resume ` +
        "(agentCapabilities.loadSession, sessionCapabilities.resume); start a new run instead",
    );
  }
  return await agent.request(method, {
    sessionId: task.resumeSession,
    cwd: task.cwd,
    mcpServers: [],
  }) as Json;
}

/** Where the driver notes when a Gemini session was last written (`<id>` → ISO time). */
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

const isGemini = (task: AcpTask) => /gemini/i.test(basename(task.argv[0]));

/**
 * Gemini CLI names a session's file after the clock minute: loading a session in the
 * minute it was last written makes it write over that file and lose the conversation.
 * So a resume of Gemini waits for the minute to turn (with a progress line).
 */
async function waitForGeminiMinute(
  task: AcpTask,
  emit: (ev: RunEvent) => void,
  stop: AbortSignal,
): Promise<void> {
  if (!task.resumeSession || !isGemini(task)) return;
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
  await Promise.race([sleep(wait), new Promise((r) => stop.addEventListener("abort", r))]);
}

/** The run's task as the driver needs it (the system prompt goes before the prompt). */
function acpTask(task: LaunchTask, prompt: string): AcpTask {
  return {
    argv: [task.command, ...task.args],
    cwd: task.cwd,
    prompt: task.systemPrompt ? `${task.systemPrompt}\n\n${prompt}` : prompt,
    model: task.model,
    mode: task.mode,
    permissionMode: task.permissionMode,
    resumeSession: task.resumeSession ?? null,
    env: { ...task.inheritedEnv, ...task.env },
  };
}

/** One turn with the agent the engine started: resolves with the run's exit status. */
export async function driveAcp(
  cli: DrivenCli,
  launch: LaunchTask,
  prompt: string,
): Promise<number> {
  const task = acpTask(launch, prompt);
  // The raw log keeps handoff's events (the launcher's parser reads them back), not the
  // agent's JSON-RPC: HANDOFF_ACP_TRACE records that.
  const emit = (ev: RunEvent) => {
    cli.raw(JSON.stringify(ev));
    cli.emit(ev);
  };
  const name = basename(task.argv[0] ?? "agent");
  const agent = new Agent(cli, name);
  const turn = new Turn();
  let loading = false;
  let lastReplayAt = 0;
  let sessionId: string | null = null;
  let cancelled = false;
  agent.onUpdate = (params) => {
    // session/load replays the old conversation: not this run's events.
    if (loading) lastReplayAt = Date.now();
    else for (const ev of turn.update(params)) emit(ev);
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
      runId: cli.runId,
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
  if (cli.stop.aborted) onStop();
  else cli.stop.addEventListener("abort", onStop, { once: true });
  await waitForGeminiMinute(task, emit, cli.stop);

  try {
    const init = await agent.request("initialize", {
      protocolVersion: PROTOCOL_VERSION,
      // No fs or terminal methods: the agent uses its own tools in the run's folder.
      clientCapabilities: { fs: { readTextFile: false, writeTextFile: false }, terminal: false },
      clientInfo: { name: "handoff", version: "1" },
    }, INIT_TIMEOUT_MS) as Json;
    agent.initialized = true;
    const caps = isMap(init?.agentCapabilities) ? init.agentCapabilities : {};
    // So that the next resume of an agent that cannot resume is refused before it starts.
    noteResumeMethod(task.argv, resumeMethod(caps));
    let session: Json;
    if (task.resumeSession) {
      loading = true;
      const loaded = await continueSession(agent, caps, task, name);
      // Gemini CLI answers session/load first and replays the conversation after: the
      // replay is over once the agent has been quiet a moment.
      const agentName = isMap(init?.agentInfo) ? String(init.agentInfo.name ?? "") : "";
      if (replaysAfterLoad(agentName, task.argv[0])) {
        const start = Date.now();
        lastReplayAt = start;
        while (
          !cancelled && Date.now() - lastReplayAt < REPLAY_QUIET_MS &&
          Date.now() - start < REPLAY_MAX_MS
        ) {
          await sleep(REPLAY_QUIET_MS - (Date.now() - lastReplayAt));
        }
      }
      loading = false;
      sessionId = task.resumeSession;
      // Its modes too: a resume must set the mode its permission_mode needs, as a new run does.
      session = isMap(loaded) ? loaded : {};
    } else {
      session = await agent.request(
        "session/new",
        { cwd: task.cwd, mcpServers: [] },
        INIT_TIMEOUT_MS,
      ) as Json;
      if (typeof session?.sessionId !== "string" || !session.sessionId) {
        throw new Error("the agent answered session/new without a session id");
      }
      sessionId = session.sessionId;
    }
    emit({ kind: "session", id: sessionId });
    await chooseModeAndModel(agent, sessionId, session, task, emit);
    const response = await agent.request("session/prompt", {
      sessionId,
      prompt: [{ type: "text", text: task.prompt }],
    }) as Json;
    if (isGemini(task)) noteUsed(sessionId);
    const ended = turn.end(response);
    for (const ev of ended) emit(ev);
    return ended.some((ev) => ev.kind === "result" && ev.isError) ? 1 : 0;
  } catch (e) {
    const why = e instanceof RpcError && e.code === AUTH_REQUIRED
      ? `${name} needs a sign-in (${e.message}): give it its API key in the backend's env ` +
        "(Gemini CLI: GEMINI_API_KEY) or run its own login once in a terminal"
      : (e as Error).message;
    for (const ev of turn.end(null, why + await stderrTail(cli))) emit(ev);
    return 1;
  } finally {
    cli.stop.removeEventListener("abort", onStop);
    // What it says after the turn is not this run's. Not awaited: the engine records the
    // run while the agent exits, and waits for the exit itself.
    agent.onUpdate = () => {};
    agent.stop();
  }
}

/** `mode:` through session/set_mode, and the model through session/set_model, when offered. */
async function chooseModeAndModel(
  agent: Agent,
  sessionId: string,
  session: Json,
  task: AcpTask,
  emit: (ev: RunEvent) => void,
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
      const why = task.mode === "bypassPermissions" && Deno.uid() === 0 && !task.env.IS_SANDBOX
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
  // `default` (a backend without `model:`) leaves the agent's own choice alone.
  if (task.model && task.model !== "default" && models.includes(task.model)) {
    await agent.request("session/set_model", { sessionId, modelId: task.model }).catch(() => {});
  }
}

/**
 * The end of the agent's stderr log, for an error message: the engine keeps stderr to
 * itself and writes it to the run's log, so it is read back from there.
 */
async function stderrTail(cli: DrivenCli): Promise<string> {
  const file = runFiles(cli.runId).stderr;
  // An agent that just exited: give the engine a moment to write its last lines.
  await Promise.race([cli.exited, sleep(200)]);
  await sleep(100);
  let text = "";
  try {
    text = (await Deno.readTextFile(file)).trim();
  } catch { /* no log */ }
  if (!text) return "";
  const last = text.split("\n").slice(-3).map((l) => l.trim()).filter((l) => l);
  return `; its stderr (${file}) ends: ${oneLine(last.join(" | "), 200)}`;
}

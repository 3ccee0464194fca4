/**
 * An executable plugin: a program of its own (any language) that speaks newline-delimited
 * JSON-RPC 2.0 on stdio, the shape ACP and MCP use. handoff starts it when one of its
 * hooks is first needed, says `initialize` (its version and the API versions it speaks),
 * and checks the answer (name, apiVersion) before any other request.
 *
 * Whatever the plugin does wrong (fails to start, crashes, hangs, answers garbage, names
 * another API version) becomes a PluginError naming the plugin: the caller's command
 * fails with it, and nothing else is touched.
 */
import { HandoffError } from "../errors.ts";
import { err, errLine, escapeControls } from "../output.ts";
import { PLUGIN_API_VERSIONS } from "../registry.ts";
import { lines, LineTooLong } from "../lines.ts";

/** How long a plugin may take to start and answer `initialize`. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
/** How long any other request may take (a sink's delivery, a backend's launch …). */
export const REQUEST_TIMEOUT_MS = 30_000;
/** One message may not exceed this: a plugin that floods stdout is cut off. */
const MAX_LINE_BYTES = 16 << 20;
const STDERR_TAIL = 2000;

/** A plugin failed: the message names it; the hint says how to look at it or turn it off. */
export class PluginError extends HandoffError {
  constructor(readonly plugin: string, what: string) {
    super(
      `plugin ${plugin}: ${what}`,
      1,
      `handoff plugin info ${plugin} shows what it is; handoff plugin disable ${plugin} turns it off`,
    );
    this.name = "PluginError";
  }
}

/** What the plugin says about itself in answer to `initialize`. */
export interface Handshake {
  name: string;
  version: string;
  apiVersion: number;
}

type Pending = {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
};

/** Timeouts from the environment, so a test can make a hang quick to see (milliseconds). */
function envTimeout(name: string, fallback: number): number {
  const n = Number(Deno.env.get(name));
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

export class PluginProcess {
  private child: Deno.ChildProcess;
  private writer: WritableStreamDefaultWriter<Uint8Array>;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private failure: PluginError | null = null;
  private stderrTail = "";
  private exited: Promise<void>;
  /** Notifications other than `log` (a command's `output`, say). */
  onNotification: (method: string, params: Record<string, unknown>) => void = () => {};

  private constructor(
    readonly name: string,
    program: string,
    cwd: string,
    env: Record<string, string>,
  ) {
    try {
      this.child = new Deno.Command(program, {
        cwd,
        env,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (e) {
      throw new PluginError(name, `cannot start ${program}: ${(e as Error).message}`);
    }
    this.writer = this.child.stdin.getWriter();
    this.readStdout().catch((e) => this.fail(`reading its output failed: ${(e as Error).message}`));
    this.readStderr().catch(() => {});
    this.exited = this.child.status.then((s) => {
      const how = s.signal ? `was killed by ${s.signal}` : `exited with status ${s.code}`;
      this.fail(`${how}${this.stderrTail ? `: ${this.lastStderr()}` : ""}`);
    });
  }

  /** Starts the plugin and completes the handshake. */
  static async start(opts: {
    name: string;
    program: string;
    cwd: string;
    handoffVersion: string;
    /** More `initialize` parameters (the plugin's settings, its data folder). */
    initialize?: Record<string, unknown>;
    env?: Record<string, string>;
  }): Promise<PluginProcess> {
    const env = { ...(opts.env ?? Deno.env.toObject()), HANDOFF_PLUGIN: opts.name };
    const proc = new PluginProcess(opts.name, opts.program, opts.cwd, env);
    let hello: unknown;
    try {
      hello = await proc.request(
        "initialize",
        {
          ...opts.initialize,
          handoffVersion: opts.handoffVersion,
          apiVersions: PLUGIN_API_VERSIONS,
          plugin: opts.name,
        },
        envTimeout("HANDOFF_PLUGIN_HANDSHAKE_MS", HANDSHAKE_TIMEOUT_MS),
      );
    } catch (e) {
      await proc.close();
      if (e instanceof PluginError) {
        throw new PluginError(
          opts.name,
          `handshake failed: ${e.message.replace(/^plugin \S+: /, "")}`,
        );
      }
      throw e;
    }
    const h = hello as Partial<Handshake> | null;
    const problem = !h || typeof h !== "object"
      ? "its initialize answer is not an object"
      : h.name !== opts.name
      ? `it says its name is ${JSON.stringify(h.name)}, not "${opts.name}"`
      : typeof h.apiVersion !== "number" || !PLUGIN_API_VERSIONS.includes(h.apiVersion)
      ? `it speaks plugin API ${JSON.stringify(h.apiVersion)}; this handoff speaks ${
        PLUGIN_API_VERSIONS.join(", ")
      }`
      : null;
    if (problem) {
      await proc.close();
      throw new PluginError(opts.name, `handshake failed: ${problem}`);
    }
    return proc;
  }

  /** True once the plugin crashed, hung or broke the protocol: start a new one. */
  get failed(): boolean {
    return this.failure !== null;
  }

  /** One request; rejects with a PluginError on an error answer, a timeout or a crash. */
  request(
    method: string,
    params: unknown,
    timeoutMs = envTimeout("HANDOFF_PLUGIN_TIMEOUT_MS", REQUEST_TIMEOUT_MS),
  ): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new PluginError(this.name, `${method} got no answer within ${timeoutMs} ms`));
        // A plugin that hangs once cannot be trusted with the next request.
        this.fail(`stopped after it did not answer ${method}`);
        this.kill();
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      const line = JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n";
      this.writer.write(new TextEncoder().encode(line)).catch(() => {
        this.fail("its input closed");
      });
    });
  }

  /** Ends the plugin: stdin closes (it should exit), and after a grace period it is killed. */
  async close(graceMs = 1000): Promise<void> {
    await this.writer.close().catch(() => {});
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private kill(): void {
    try {
      this.child.kill("SIGKILL");
    } catch { /* already gone */ }
  }

  private lastStderr(): string {
    const lines = this.stderrTail.trim().split("\n");
    return escapeControls(lines.slice(-3).join(" | ")).slice(0, 300);
  }

  private fail(what: string): void {
    if (this.failure) return;
    this.failure = new PluginError(this.name, what);
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(this.failure);
      this.pending.delete(id);
    }
  }

  private async readStderr(): Promise<void> {
    for await (const chunk of this.child.stderr.pipeThrough(new TextDecoderStream())) {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL);
      if (Deno.env.get("HANDOFF_PLUGIN_DEBUG")) {
        err(`[${this.name}] ${chunk}`);
      }
    }
  }

  private async readStdout(): Promise<void> {
    try {
      for await (const raw of lines(this.child.stdout, { maxChars: MAX_LINE_BYTES })) {
        const line = raw.trim();
        if (line !== "") this.handle(line);
        if (this.failure) return;
      }
    } catch (e) {
      if (!(e instanceof LineTooLong)) throw e;
      this.fail(`sent a message over ${MAX_LINE_BYTES >> 20} MiB`);
      this.kill();
    }
  }

  private handle(line: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line);
      if (!msg || typeof msg !== "object" || Array.isArray(msg)) throw new Error();
    } catch {
      this.fail(`sent something that is not JSON-RPC: ${JSON.stringify(line.slice(0, 80))}`);
      this.kill();
      return;
    }
    if (typeof msg.method === "string") {
      if (msg.id !== undefined) {
        // handoff serves no requests (yet): say so, as JSON-RPC asks.
        const reply = {
          jsonrpc: "2.0",
          id: msg.id,
          error: { code: -32601, message: "method not found" },
        };
        this.writer.write(new TextEncoder().encode(JSON.stringify(reply) + "\n")).catch(() => {});
        return;
      }
      const params = (msg.params && typeof msg.params === "object" ? msg.params : {}) as Record<
        string,
        unknown
      >;
      if (msg.method === "log") {
        const text = typeof params.message === "string" ? params.message : JSON.stringify(params);
        errLine(`plugin ${this.name}: ${escapeControls(text).slice(0, 2000)}`);
      } else this.onNotification(msg.method, params);
      return;
    }
    const id = msg.id;
    const p = typeof id === "number" ? this.pending.get(id) : undefined;
    if (!p) {
      this.fail(`answered a request it was never sent (id ${JSON.stringify(id)})`);
      this.kill();
      return;
    }
    this.pending.delete(id as number);
    clearTimeout(p.timer);
    if (msg.error !== undefined) {
      const e = msg.error as { message?: unknown } | null;
      const text = typeof e?.message === "string" ? e.message : JSON.stringify(msg.error);
      p.reject(new PluginError(this.name, escapeControls(text).slice(0, 500)));
    } else p.resolve(msg.result);
  }
}

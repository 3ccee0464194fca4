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
import { JsonRpcPeer } from "../jsonrpc.ts";
import { envMs } from "../duration.ts";

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
      // What a plugin says reaches the terminal: its control characters are shown escaped.
      `plugin ${plugin}: ${escapeControls(what)}`,
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

/**
 * Plugins still running when handoff exits: each gets SIGTERM, so one that ignores its
 * closed stdin (busy in a command, hung) does not outlive the handoff that started it.
 */
const live = new Set<PluginProcess>();
let stopOnExit = false;

export class PluginProcess {
  private child: Deno.ChildProcess;
  private writer: WritableStreamDefaultWriter<Uint8Array>;
  private peer: JsonRpcPeer;
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
    live.add(this);
    if (!stopOnExit) {
      stopOnExit = true;
      globalThis.addEventListener("unload", () => live.forEach((p) => p.signal("SIGTERM")));
    }
    this.writer = this.child.stdin.getWriter();
    this.peer = new JsonRpcPeer(this.writer, this.child.stdout, {
      maxLineChars: MAX_LINE_BYTES,
      // A plugin that breaks the protocol once cannot be trusted with the next request.
      onProtocolError: (what) => {
        this.fail(what);
        this.kill();
      },
      onNotification: (method, raw) => {
        const params = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
        if (method === "log") {
          const text = typeof params.message === "string" ? params.message : JSON.stringify(params);
          errLine(`plugin ${this.name}: ${escapeControls(text).slice(0, 2000)}`);
        } else this.onNotification(method, params);
      },
      onTimeout: (method, ms) => {
        // A plugin that hangs once cannot be trusted with the next request either.
        this.fail(`stopped after it did not answer ${method}`);
        this.kill();
        return new PluginError(this.name, `${method} got no answer within ${ms} ms`);
      },
      answerError: (error) => {
        const e = error as { message?: unknown } | null;
        const text = typeof e?.message === "string" ? e.message : JSON.stringify(error);
        return new PluginError(this.name, escapeControls(text).slice(0, 500));
      },
    });
    this.peer.closed.catch((e) => this.fail(`reading its output failed: ${(e as Error).message}`));
    this.readStderr().catch(() => {});
    this.exited = this.child.status.then((s) => {
      live.delete(this);
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
        envMs("HANDOFF_PLUGIN_HANDSHAKE_MS", HANDSHAKE_TIMEOUT_MS),
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
    return this.peer.failed !== null;
  }

  /** One request; rejects with a PluginError on an error answer, a timeout or a crash. */
  request(
    method: string,
    params: unknown,
    timeoutMs = envMs("HANDOFF_PLUGIN_TIMEOUT_MS", REQUEST_TIMEOUT_MS),
  ): Promise<unknown> {
    return this.peer.request(method, params, timeoutMs);
  }

  /** Ends the plugin: stdin closes (it should exit), and after a grace period it is killed. */
  async close(graceMs = 1000): Promise<void> {
    await this.writer.close().catch(() => {});
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGTERM, then SIGKILL if it is still there after `graceMs` (Ctrl-C during a command). */
  async terminate(graceMs = 2000): Promise<void> {
    this.signal("SIGTERM");
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Sends the plugin a signal (handoff exiting). */
  signal(sig: Deno.Signal): void {
    try {
      this.child.kill(sig);
    } catch { /* already gone */ }
  }

  private kill(): void {
    this.signal("SIGKILL");
  }

  private lastStderr(): string {
    const lines = this.stderrTail.trim().split("\n");
    return escapeControls(lines.slice(-3).join(" | ")).slice(0, 300);
  }

  private fail(what: string): void {
    this.peer.fail(new PluginError(this.name, what));
  }

  private async readStderr(): Promise<void> {
    for await (const chunk of this.child.stderr.pipeThrough(new TextDecoderStream())) {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL);
      if (Deno.env.get("HANDOFF_PLUGIN_DEBUG")) {
        err(`[${this.name}] ${chunk}`);
      }
    }
  }
}

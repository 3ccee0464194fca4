/**
 * One JSON-RPC 2.0 connection over newline-delimited JSON, the shape executable plugins
 * (core/plugin/rpc.ts) and ACP agents (plugins/acp) speak on stdio. It numbers requests,
 * matches answers, times out, answers the other side's requests, and passes notifications
 * on. What counts as a broken peer (a line that is not JSON, an answer to nothing) is the
 * owner's call: it is reported through `onProtocolError`, and the owner decides whether
 * to end the connection (`fail`).
 */
import { lines, LineTooLong } from "./lines.ts";

type Json = Record<string, unknown>;

/** An error answer the peer sent, or one to send back (`code` as JSON-RPC defines it). */
export class RpcError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
    this.name = "RpcError";
  }
}

/** JSON-RPC's "method not found". */
export const METHOD_NOT_FOUND = -32601;

export interface PeerOptions {
  /**
   * Called once per message that is not JSON-RPC or answers no request; `excerpt` is the
   * offending line's start (quoted) when it was not JSON-RPC at all.
   */
  onProtocolError?: (what: string, excerpt?: string) => void;
  /** A request from the other side; the default answers -32601. */
  onRequest?: (method: string, params: unknown) => Promise<unknown>;
  onNotification?: (method: string, params: unknown) => void;
  /**
   * A request got no answer in time: returns the error it is rejected with (the owner may
   * also end the connection here).
   */
  onTimeout?: (method: string, ms: number) => Error;
  /** The error a request gets when the peer answered with an error object. */
  answerError?: (error: unknown) => Error;
  /** Every line read, before it is handled (a trace of the peer's dialect). */
  onLine?: (line: string) => void;
  /** Lines longer than this end the connection (a peer that floods is cut off). */
  maxLineChars?: number;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer?: ReturnType<typeof setTimeout>;
}

const isMap = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

export class JsonRpcPeer {
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private failure: Error | null = null;
  private readonly encoder = new TextEncoder();
  /** Resolves when the peer's output ends (or the line limit was passed). */
  readonly closed: Promise<void>;

  constructor(
    private readonly writer: WritableStreamDefaultWriter<Uint8Array>,
    input: ReadableStream<Uint8Array>,
    private readonly o: PeerOptions = {},
  ) {
    this.closed = this.read(input);
  }

  /** The error that ended the connection, if any. */
  get failed(): Error | null {
    return this.failure;
  }

  /** Ends the connection: every waiting request, and every later one, gets `error`. */
  fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(error);
    }
    this.pending.clear();
  }

  request(method: string, params: unknown, timeoutMs?: number): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const p: Pending = { resolve, reject };
      if (timeoutMs !== undefined) {
        p.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(
            this.o.onTimeout?.(method, timeoutMs) ??
              new Error(`no answer to ${method} within ${timeoutMs} ms`),
          );
        }, timeoutMs);
      }
      this.pending.set(id, p);
      this.send({ id, method, params });
    });
  }

  notify(method: string, params: unknown): void {
    this.send({ method, params });
  }

  /** Writes one message; a closed input is a protocol error (the peer is gone). */
  private send(msg: Json): void {
    const line = JSON.stringify({ jsonrpc: "2.0", ...msg }) + "\n";
    this.writer.write(this.encoder.encode(line)).catch(() => {
      if (this.o.onProtocolError) this.o.onProtocolError("its input closed");
      else this.fail(new Error("its input closed"));
    });
  }

  private async read(input: ReadableStream<Uint8Array>): Promise<void> {
    try {
      for await (const raw of lines(input, { maxChars: this.o.maxLineChars })) {
        const line = raw.trim();
        if (line === "") continue;
        this.o.onLine?.(line);
        this.handle(line);
        if (this.failure) return;
      }
    } catch (e) {
      if (!(e instanceof LineTooLong)) throw e;
      const mib = (this.o.maxLineChars ?? 0) / (1 << 20);
      this.o.onProtocolError?.(`sent a message over ${mib} MiB`);
    }
  }

  private handle(line: string): void {
    let msg: Json;
    try {
      const parsed = JSON.parse(line);
      if (!isMap(parsed)) throw new Error();
      msg = parsed;
    } catch {
      const excerpt = JSON.stringify(line.slice(0, 80));
      this.o.onProtocolError?.(`sent something that is not JSON-RPC: ${excerpt}`, excerpt);
      return;
    }
    if (typeof msg.method === "string") {
      if (msg.id === undefined) {
        this.o.onNotification?.(msg.method, msg.params);
        return;
      }
      // A request: answered by the owner, or -32601; never left hanging.
      const answer = this.o.onRequest?.(msg.method, msg.params) ??
        Promise.reject(new RpcError(METHOD_NOT_FOUND, "method not found"));
      answer.then(
        (result) => this.send({ id: msg.id, result: result ?? null }),
        (e) =>
          this.send({
            id: msg.id,
            error: {
              code: e instanceof RpcError ? e.code : -32603,
              message: String((e as Error)?.message ?? e),
            },
          }),
      );
      return;
    }
    const p = typeof msg.id === "number" ? this.pending.get(msg.id) : undefined;
    if (!p) {
      this.o.onProtocolError?.(
        `answered a request it was never sent (id ${JSON.stringify(msg.id)})`,
      );
      return;
    }
    this.pending.delete(msg.id as number);
    clearTimeout(p.timer);
    if (msg.error !== undefined) {
      p.reject(this.o.answerError?.(msg.error) ?? defaultAnswerError(msg.error));
    } else p.resolve(msg.result);
  }
}

function defaultAnswerError(error: unknown): RpcError {
  const e = isMap(error) ? error : {};
  return new RpcError(
    Number(e.code ?? -32603),
    typeof e.message === "string" ? e.message : JSON.stringify(error),
  );
}

// The HTTP shell shared by both fake model servers: binding, recording,
// control endpoints, and the standalone-program mode.

import type { Script, Turn } from "./script.ts";

export interface RecordedRequest {
  time: string;
  method: string;
  /** Path and query, e.g. "/v1/messages?beta=true". */
  path: string;
  headers: Record<string, string>;
  /** Parsed JSON body, the raw text if it is not JSON, null if empty. */
  body: unknown;
  /** For model calls: the prompt found and the step served. */
  prompt?: string;
  step?: number;
}

export interface FakeServer {
  port: number;
  url: string;
  requests: RecordedRequest[];
  setScript(script: Script): void;
  close(): Promise<void>;
}

export interface FakeOptions {
  script?: Script;
  /** Port to bind (default 0: any free port). */
  port?: number;
  /** Called with each request as it arrives (the standalone log). */
  onRequest?: (rec: RecordedRequest) => void;
}

/** What a flavour supplies: the turn of a model call (for the record) and the
 * answer. `closing` aborts when the server closes, to end hanging answers. */
export interface Flavour {
  turnOf(path: string, body: unknown): Turn | undefined;
  answer(req: Request, ctx: AnswerContext): Promise<Response>;
}

export interface AnswerContext {
  path: string;
  body: unknown;
  turn: Turn | undefined;
  script: Script | undefined;
  closing: AbortSignal;
}

// Transport noise left out of the record.
const SKIP_HEADERS = /^(x-stainless-|connection$|host$|content-length$|accept-encoding$)/;

export function startFake(
  flavour: Flavour,
  opts: FakeOptions = {},
): Promise<FakeServer> {
  let script = opts.script;
  const requests: RecordedRequest[] = [];
  const closing = new AbortController();

  const handler = async (req: Request): Promise<Response> => {
    const url = new URL(req.url);
    const text = await req.text();
    const body = parseBody(text);
    if (url.pathname === "/_fake/requests" && req.method === "GET") {
      return Response.json(requests);
    }
    if (url.pathname === "/_fake/script" && req.method === "POST") {
      if (!body || typeof body !== "object") {
        return Response.json({ error: "script must be JSON" }, { status: 400 });
      }
      script = body as Script;
      return Response.json({ ok: true });
    }
    const path = url.pathname + url.search;
    const turn = flavour.turnOf(url.pathname, body);
    const rec: RecordedRequest = {
      time: new Date().toISOString(),
      method: req.method,
      path,
      headers: Object.fromEntries(
        [...req.headers].filter(([k]) => !SKIP_HEADERS.test(k)),
      ),
      body,
      ...turn,
    };
    requests.push(rec);
    opts.onRequest?.(rec);
    return await flavour.answer(req, {
      path: url.pathname,
      body,
      turn,
      script,
      closing: closing.signal,
    });
  };

  const server = Deno.serve(
    { hostname: "127.0.0.1", port: opts.port ?? 0, onListen() {} },
    handler,
  );
  const bound = server.addr.port;
  return Promise.resolve({
    port: bound,
    url: `http://127.0.0.1:${bound}`,
    requests,
    setScript(s) {
      script = s;
    },
    async close() {
      closing.abort();
      await server.shutdown();
    },
  });
}

function parseBody(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Waits `ms`, or less if the server closes. (Not request.signal: in Deno it
 * also aborts after every normal response, and warns about listeners.) */
export function sleep(ms: number, closing: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (closing.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      closing.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    closing.addEventListener("abort", done);
  });
}

/** Never answers until the server closes; a client that gives up (or is
 * killed) meanwhile just leaves the promise pending until then. */
export function hang(closing: AbortSignal): Promise<void> {
  return sleep(2 ** 31 - 1, closing);
}

/** One Server-Sent Event. */
export function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function sseResponse(text: string, headers: HeadersInit = {}): Response {
  return new Response(text, {
    headers: {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      ...headers,
    },
  });
}

/** A short random id suffix. */
export function rid(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 12);
}

/** Standalone program: bind FAKE_PORT (default any), print
 * `FAKE_<NAME>_PORT=<port>` first, read the script from FAKE_SCRIPT, append requests to FAKE_LOG as JSON lines, stop on
 * SIGTERM/SIGINT or after FAKE_IDLE_EXIT_MS (default 10 min) without requests. */
export async function runStandalone(
  name: string,
  start: (opts: FakeOptions) => Promise<FakeServer>,
): Promise<void> {
  const scriptFile = Deno.env.get("FAKE_SCRIPT");
  const logFile = Deno.env.get("FAKE_LOG");
  const idleMs = Number(Deno.env.get("FAKE_IDLE_EXIT_MS") ?? 600_000);
  const script = scriptFile ? JSON.parse(await Deno.readTextFile(scriptFile)) as Script : undefined;

  let idle: ReturnType<typeof setTimeout> | undefined;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    clearTimeout(idle);
    Deno.removeSignalListener("SIGTERM", stop);
    Deno.removeSignalListener("SIGINT", stop);
    await fake.close();
    Deno.exit(0);
  };
  const fake = await start({
    script,
    port: Number(Deno.env.get("FAKE_PORT") ?? 0),
    onRequest(rec) {
      clearTimeout(idle);
      if (!stopping) idle = setTimeout(stop, idleMs);
      if (logFile) {
        Deno.writeTextFileSync(logFile, JSON.stringify(rec) + "\n", {
          append: true,
        });
      }
    },
  });
  idle = setTimeout(stop, idleMs);
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  console.log(`FAKE_${name}_PORT=${fake.port}`);
}

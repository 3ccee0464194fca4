// Fake Anthropic Messages API for driving the real `claude` CLI offline.
// As a module: startFakeAnthropic(). As a program: see runStandalone().

import {
  anthropicTurn,
  DEFAULT_USAGE,
  exampleFor,
  pickStep,
  type Step,
  stepTools,
  type Turn,
} from "./script.ts";
import {
  type AnswerContext,
  type FakeOptions,
  type FakeServer,
  hang,
  rid,
  runStandalone,
  sleep,
  sse,
  sseResponse,
  startFake,
} from "./serve.ts";

export type { FakeServer, RecordedRequest } from "./serve.ts";
export type { Script, Step } from "./script.ts";

const MODEL = "fake-model";

interface MessagesBody {
  model?: string;
  stream?: boolean;
  tools?: unknown[];
  messages?: Parameters<typeof anthropicTurn>[0];
  output_config?: { format?: { type?: string; schema?: unknown } };
}

export function startFakeAnthropic(
  opts: FakeOptions = {},
): Promise<FakeServer> {
  return startFake({ turnOf, answer }, opts);
}

function turnOf(path: string, body: unknown): Turn | undefined {
  if (path !== "/v1/messages") return undefined;
  return anthropicTurn((body as MessagesBody | null)?.messages);
}

async function answer(req: Request, ctx: AnswerContext): Promise<Response> {
  if (req.method === "HEAD" || (req.method === "GET" && ctx.path === "/")) {
    return new Response(null, { status: 200 });
  }
  if (ctx.path === "/v1/messages/count_tokens") {
    return Response.json({ input_tokens: DEFAULT_USAGE.input_tokens });
  }
  if (ctx.path !== "/v1/messages" || req.method !== "POST") {
    return errorResponse(404, `no route ${req.method} ${ctx.path}`);
  }
  const body = (ctx.body ?? {}) as MessagesBody;
  // Claude's side call for a session title: answer it from its schema without
  // touching the script.
  const format = body.output_config?.format;
  if (!body.tools?.length && format?.type === "json_schema") {
    const step = { text: JSON.stringify(exampleFor(format.schema)) };
    return reply(step, 0, body.stream === true);
  }
  const turn = ctx.turn!;
  const step = pickStep(ctx.script, turn.prompt, turn.step, "anthropic");
  if (step.delay_ms) await sleep(step.delay_ms, ctx.closing);
  if (step.hang) {
    await hang(ctx.closing);
    return errorResponse(503, "fake server closed");
  }
  if (step.error) {
    return errorResponse(step.error.status, step.error.message);
  }
  return reply(step, turn.step, body.stream === true);
}

function reply(step: Step, index: number, stream: boolean): Response {
  const message = buildMessage(step, index);
  const headers = { "request-id": "req_fake" };
  return stream
    ? sseResponse(messageEvents(message, step.fail), headers)
    : Response.json(message, { headers });
}

interface Block {
  type: "text" | "tool_use";
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
}

interface Message {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: Block[];
  stop_reason: string;
  stop_sequence: null;
  usage: Record<string, number>;
}

/** The complete assistant message for a step (the non-streaming answer). */
export function buildMessage(step: Step, index: number): Message {
  const tools = stepTools(step);
  const content: Block[] = [];
  if (step.text !== undefined || tools.length === 0) {
    content.push({ type: "text", text: step.text ?? "" });
  }
  for (const t of tools) {
    content.push({
      type: "tool_use",
      id: `toolu_fake_s${index}_${rid()}`,
      name: t.name,
      input: t.input ?? JSON.parse(t.arguments ?? "{}"),
    });
  }
  const usage = step.usage ?? DEFAULT_USAGE;
  return {
    id: `msg_fake_${rid()}`,
    type: "message",
    role: "assistant",
    model: MODEL,
    content,
    stop_reason: tools.length ? "tool_use" : "end_turn",
    stop_sequence: null,
    usage: {
      input_tokens: usage.input_tokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      output_tokens: usage.output_tokens,
    },
  };
}

/** The SSE stream for a message. With `fail`, the stream breaks off with an
 * Anthropic `error` event after message_start. */
export function messageEvents(message: Message, fail?: string): string {
  const start = {
    ...message,
    content: [],
    stop_reason: null,
    usage: { ...message.usage, output_tokens: 1 },
  };
  let out = sse("message_start", { type: "message_start", message: start });
  if (fail !== undefined) {
    return out + sse("error", {
      type: "error",
      error: { type: "overloaded_error", message: fail },
    });
  }
  message.content.forEach((block, index) => {
    const empty = block.type === "text"
      ? { type: "text", text: "" }
      : { type: "tool_use", id: block.id, name: block.name, input: {} };
    const delta = block.type === "text"
      ? { type: "text_delta", text: block.text }
      : { type: "input_json_delta", partial_json: JSON.stringify(block.input) };
    out += sse("content_block_start", {
      type: "content_block_start",
      index,
      content_block: empty,
    });
    out += sse("content_block_delta", {
      type: "content_block_delta",
      index,
      delta,
    });
    out += sse("content_block_stop", { type: "content_block_stop", index });
  });
  out += sse("message_delta", {
    type: "message_delta",
    delta: { stop_reason: message.stop_reason, stop_sequence: null },
    usage: { output_tokens: message.usage.output_tokens },
  });
  return out + sse("message_stop", { type: "message_stop" });
}

const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  529: "overloaded_error",
};

export function errorResponse(status: number, message?: string): Response {
  const type = ERROR_TYPES[status] ?? "api_error";
  return Response.json(
    { type: "error", error: { type, message: message ?? type } },
    { status, headers: { "request-id": "req_fake" } },
  );
}

if (import.meta.main) {
  await runStandalone("ANTHROPIC", startFakeAnthropic);
}

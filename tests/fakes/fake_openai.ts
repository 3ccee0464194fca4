// Fake OpenAI Responses API for driving the real `codex` CLI offline.
// As a module: startFakeOpenAI(). As a program: see runStandalone().

import {
  callId,
  DEFAULT_USAGE,
  openaiTurn,
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

interface ResponsesBody {
  model?: string;
  stream?: boolean;
  input?: Parameters<typeof openaiTurn>[0];
}

// Codex talks to `<base_url>/responses`; accept it with or without /v1.
const isResponses = (path: string) => /^(\/v1)?\/responses$/.test(path);

export function startFakeOpenAI(opts: FakeOptions = {}): Promise<FakeServer> {
  return startFake({ turnOf, answer }, opts);
}

function turnOf(path: string, body: unknown): Turn | undefined {
  if (!isResponses(path)) return undefined;
  return openaiTurn((body as ResponsesBody | null)?.input);
}

async function answer(req: Request, ctx: AnswerContext): Promise<Response> {
  if (req.method === "HEAD" || (req.method === "GET" && ctx.path === "/")) {
    return new Response(null, { status: 200 });
  }
  if (req.method === "GET" && /^(\/v1)?\/models$/.test(ctx.path)) {
    const model = {
      id: "gpt-5.5",
      object: "model",
      created: 0,
      owned_by: "fake",
    };
    return Response.json({ object: "list", data: [model], models: [] });
  }
  if (!isResponses(ctx.path) || req.method !== "POST") {
    return errorResponse(404, `no route ${req.method} ${ctx.path}`);
  }
  const body = (ctx.body ?? {}) as ResponsesBody;
  const turn = ctx.turn!;
  const step = pickStep(ctx.script, turn.prompt, turn.step, "openai");
  if (step.delay_ms) await sleep(step.delay_ms, ctx.closing);
  if (step.hang) {
    await hang(ctx.closing);
    return errorResponse(503, "fake server closed");
  }
  if (step.error) {
    return errorResponse(step.error.status, step.error.message);
  }
  const response = buildResponse(step, turn.step, body.model ?? "gpt-5.5");
  return body.stream === false
    ? Response.json(response)
    : sseResponse(responseEvents(response, step.fail));
}

type Item = Record<string, unknown> & { type: string };

interface ResponseObject {
  id: string;
  object: "response";
  created_at: number;
  status: string;
  model: string;
  output: Item[];
  usage: Record<string, unknown>;
}

/** The completed response for a step: reasoning, message, then tool calls. */
export function buildResponse(
  step: Step,
  index: number,
  model: string,
): ResponseObject {
  const output: Item[] = [];
  if (step.reasoning !== undefined) {
    output.push({
      type: "reasoning",
      id: `rs_fake_${rid()}`,
      summary: [{ type: "summary_text", text: step.reasoning }],
    });
  }
  const tools = stepTools(step);
  if (step.text !== undefined || (tools.length === 0 && !step.custom)) {
    output.push({
      type: "message",
      id: `msg_fake_${rid()}`,
      status: "completed",
      role: "assistant",
      content: [{
        type: "output_text",
        text: step.text ?? "",
        annotations: [],
      }],
    });
  }
  for (const t of tools) {
    output.push({
      type: "function_call",
      id: `fc_fake_${rid()}`,
      status: "completed",
      call_id: callId(index, rid()),
      name: t.name,
      arguments: t.arguments ?? JSON.stringify(t.input ?? {}),
    });
  }
  if (step.custom) {
    output.push({
      type: "custom_tool_call",
      id: `ctc_fake_${rid()}`,
      status: "completed",
      call_id: callId(index, rid()),
      name: step.custom.name,
      input: step.custom.input,
    });
  }
  const usage = step.usage ?? DEFAULT_USAGE;
  return {
    id: `resp_fake_${rid()}`,
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    status: "completed",
    model,
    output,
    usage: {
      input_tokens: usage.input_tokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: usage.output_tokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: usage.input_tokens + usage.output_tokens,
    },
  };
}

/** The SSE stream for a response. With `fail`, response.failed follows
 * response.created. */
export function responseEvents(
  response: ResponseObject,
  fail?: string,
): string {
  let seq = 0;
  let out = "";
  const emit = (type: string, fields: Record<string, unknown>) => {
    out += sse(type, { type, sequence_number: seq++, ...fields });
  };
  const pending = {
    ...response,
    status: "in_progress",
    output: [],
    usage: null,
  };
  emit("response.created", { response: pending });
  if (fail !== undefined) {
    const error = { code: "server_error", message: fail };
    emit("response.failed", {
      response: { ...pending, status: "failed", error },
    });
    return out;
  }
  emit("response.in_progress", { response: pending });
  response.output.forEach((item, output_index) => {
    const id = item.id as string;
    emit("response.output_item.added", {
      output_index,
      item: { ...item, ...inProgress(item) },
    });
    if (item.type === "message") {
      const part = (item.content as { text: string }[])[0];
      const at = { item_id: id, output_index, content_index: 0 };
      const empty = { type: "output_text", text: "", annotations: [] };
      emit("response.content_part.added", { ...at, part: empty });
      emit("response.output_text.delta", { ...at, delta: part.text });
      emit("response.output_text.done", { ...at, text: part.text });
      emit("response.content_part.done", { ...at, part });
    } else if (item.type === "function_call") {
      const at = { item_id: id, output_index };
      emit("response.function_call_arguments.delta", {
        ...at,
        delta: item.arguments,
      });
      emit("response.function_call_arguments.done", {
        ...at,
        arguments: item.arguments,
      });
    }
    emit("response.output_item.done", { output_index, item });
  });
  emit("response.completed", { response });
  return out;
}

// How an item looks in output_item.added, before its content streams in.
function inProgress(item: Item): Record<string, unknown> {
  switch (item.type) {
    case "message":
      return { status: "in_progress", content: [] };
    case "function_call":
      return { status: "in_progress", arguments: "" };
    case "custom_tool_call":
      return { status: "in_progress", input: "" };
    default:
      return {};
  }
}

export function errorResponse(status: number, message?: string): Response {
  const type = status >= 500 ? "server_error" : "invalid_request_error";
  return Response.json(
    { error: { message: message ?? type, type, param: null, code: null } },
    { status },
  );
}

if (import.meta.main) {
  await runStandalone("OPENAI", startFakeOpenAI);
}

// Fake OpenAI chat-completions API (`POST /v1/chat/completions`) for driving agents that
// speak it offline: Qwen Code (OPENAI_BASE_URL) and opencode (an openai-compatible
// provider). Model calls follow the shared script and the FAKE_* directives; a tool is
// named as the request offers it (Qwen's write_file / run_shell_command, opencode's
// write / bash). Requests that ask for JSON (response_format) get an example of the schema.
// As a module: startFakeChat(). As a program: `deno run -A tests/fakes/fake_chat.ts`.

import {
  DEFAULT_USAGE,
  exampleFor,
  pickStep,
  realText,
  type Step,
  stepTools,
  type ToolCall,
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
  sseResponse,
  startFake,
} from "./serve.ts";

export type { FakeServer } from "./serve.ts";

interface ChatMessage {
  role: string;
  content?: string | { type: string; text?: string }[] | null;
  tool_calls?: unknown[];
}

interface ChatBody {
  model?: string;
  stream?: boolean;
  messages?: ChatMessage[];
  tools?: { type: string; function?: { name?: string } }[];
  response_format?: { type?: string; json_schema?: { schema?: unknown } };
}

const isChat = (path: string) => /^(\/v1)?\/chat\/completions$/.test(path);

function text(content: ChatMessage["content"]): string {
  if (typeof content === "string") return realText(content);
  return (content ?? []).filter((p) => typeof p.text === "string")
    .map((p) => realText(p.text!)).filter(Boolean).join("\n");
}

/** The newest user message with real text is the prompt; the step counts the replies since. */
export function chatTurn(messages: ChatMessage[] = []): Turn {
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].role !== "user") continue;
    const prompt = text(messages[i].content);
    if (!prompt) continue;
    return { prompt, step: messages.slice(i + 1).filter((m) => m.role === "assistant").length };
  }
  return { prompt: "", step: 0 };
}

/** The script's tool (named as Qwen and Gemini name it) as the request's agent names it. */
export function adaptTool(t: ToolCall, offered: string[]): ToolCall {
  if (offered.length === 0 || offered.includes(t.name)) return t;
  const input = (t.input ?? {}) as Record<string, unknown>;
  if (t.name === "write_file" && offered.includes("write")) {
    return { name: "write", input: { filePath: input.file_path, content: input.content } };
  }
  if (t.name === "run_shell_command" && offered.includes("bash")) {
    return { name: "bash", input: { command: input.command, description: "fake step" } };
  }
  return t;
}

function turnOf(path: string, body: unknown): Turn | undefined {
  if (!isChat(path)) return undefined;
  const b = (body ?? {}) as ChatBody;
  // A request for JSON is a side call (titles, next-speaker checks): not a script step.
  if (b.response_format?.type === "json_schema" || b.response_format?.type === "json_object") {
    return undefined;
  }
  return chatTurn(b.messages);
}

async function answer(req: Request, ctx: AnswerContext): Promise<Response> {
  if (req.method === "GET" && /^(\/v1)?\/models$/.test(ctx.path)) {
    return Response.json({ object: "list", data: [{ id: "fake-model", object: "model" }] });
  }
  if (!isChat(ctx.path) || req.method !== "POST") {
    return Response.json({ error: { message: `no route ${req.method} ${ctx.path}` } }, {
      status: 404,
    });
  }
  const body = (ctx.body ?? {}) as ChatBody;
  const model = body.model ?? "fake-model";
  if (!ctx.turn) {
    const schema = body.response_format?.json_schema?.schema;
    const json = JSON.stringify(schema ? exampleFor(schema) : {});
    return reply(body, model, { text: json }, []);
  }
  const step = pickStep(ctx.script, ctx.turn.prompt, ctx.turn.step, "gemini");
  if (step.delay_ms) await sleep(step.delay_ms, ctx.closing);
  if (step.hang) {
    await hang(ctx.closing);
    return Response.json({ error: { message: "fake server closed" } }, { status: 503 });
  }
  if (step.error) {
    return Response.json(
      { error: { message: step.error.message ?? "fake error", type: "invalid_request_error" } },
      { status: step.error.status },
    );
  }
  const offered = (body.tools ?? []).map((t) => t.function?.name ?? "").filter(Boolean);
  return reply(body, model, step, stepTools(step).map((t) => adaptTool(t, offered)));
}

function reply(body: ChatBody, model: string, step: Step, tools: ToolCall[]): Response {
  const id = `chatcmpl-fake-${rid()}`;
  const created = Math.floor(Date.now() / 1000);
  const calls = tools.map((t, index) => ({
    index,
    id: `call_fake_${rid()}`,
    type: "function",
    function: { name: t.name, arguments: t.arguments ?? JSON.stringify(t.input ?? {}) },
  }));
  const usage = step.usage ?? DEFAULT_USAGE;
  const usageOut = {
    prompt_tokens: usage.input_tokens,
    completion_tokens: usage.output_tokens,
    total_tokens: usage.input_tokens + usage.output_tokens,
  };
  const finish = calls.length ? "tool_calls" : "stop";
  const content = calls.length && step.text === undefined ? null : step.text ?? "";
  if (body.stream === false || body.stream === undefined) {
    return Response.json({
      id,
      object: "chat.completion",
      created,
      model,
      choices: [{
        index: 0,
        message: { role: "assistant", content, ...(calls.length ? { tool_calls: calls } : {}) },
        finish_reason: finish,
      }],
      usage: usageOut,
    });
  }
  const chunk = (delta: unknown, finish_reason: string | null, extra = {}) =>
    `data: ${
      JSON.stringify({
        id,
        object: "chat.completion.chunk",
        created,
        model,
        choices: [{ index: 0, delta, finish_reason }],
        ...extra,
      })
    }\n\n`;
  let out = chunk({ role: "assistant", content: "" }, null);
  if (content) out += chunk({ content }, null);
  if (calls.length) out += chunk({ tool_calls: calls }, null);
  out += chunk({}, finish, { usage: usageOut });
  out += "data: [DONE]\n\n";
  return sseResponse(out);
}

export function startFakeChat(opts: FakeOptions = {}): Promise<FakeServer> {
  return startFake({ turnOf, answer }, opts);
}

if (import.meta.main) await runStandalone("fake_chat", startFakeChat);

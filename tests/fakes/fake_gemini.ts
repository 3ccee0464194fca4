// Fake Gemini API (generativelanguage v1beta) for driving the real `gemini` CLI offline:
// GOOGLE_GEMINI_BASE_URL points it here. Model calls follow the shared script (and the
// FAKE_* prompt directives); the CLI's side calls that ask for JSON (next-speaker checks,
// routing) are answered from their schema without touching the script.
// As a module: startFakeGemini(). As a program: `deno run -A tests/fakes/fake_gemini.ts`.

import {
  DEFAULT_USAGE,
  exampleFor,
  pickStep,
  realText,
  type Step,
  stepTools,
  type Turn,
} from "./script.ts";
import {
  type AnswerContext,
  type FakeOptions,
  type FakeServer,
  hang,
  runStandalone,
  sleep,
  sseResponse,
  startFake,
} from "./serve.ts";

export type { FakeServer } from "./serve.ts";

interface Part {
  text?: string;
  thought?: boolean;
  functionCall?: unknown;
  functionResponse?: unknown;
}

interface Content {
  role?: string;
  parts?: Part[];
}

interface GenerateBody {
  contents?: Content[];
  tools?: unknown[];
  generationConfig?: {
    responseMimeType?: string;
    responseSchema?: unknown;
    responseJsonSchema?: unknown;
  };
}

const MODEL_CALL =
  /^\/v1(?:beta)?\/models\/([^/:]+):(streamGenerateContent|generateContent|countTokens)$/;

/** The newest user content with real text is the prompt; the step is the model turns since. */
export function geminiTurn(contents: Content[] = []): Turn {
  for (let i = contents.length - 1; i >= 0; i--) {
    const c = contents[i];
    if (c.role !== "user") continue;
    const text = (c.parts ?? []).filter((p) => typeof p.text === "string" && !p.thought)
      .map((p) => realText(p.text!)).filter(Boolean).join("\n");
    if (!text) continue;
    const step = contents.slice(i + 1).filter((m) => m.role === "model").length;
    return { prompt: text, step };
  }
  return { prompt: "", step: 0 };
}

export function startFakeGemini(opts: FakeOptions = {}): Promise<FakeServer> {
  return startFake({ turnOf, answer }, opts);
}

function turnOf(path: string, body: unknown): Turn | undefined {
  const m = MODEL_CALL.exec(path);
  if (!m || m[2] === "countTokens") return undefined;
  return geminiTurn((body as GenerateBody | null)?.contents);
}

function errorResponse(status: number, message = "fake error"): Response {
  const code = status === 429
    ? "RESOURCE_EXHAUSTED"
    : status >= 500
    ? "INTERNAL"
    : "INVALID_ARGUMENT";
  return Response.json({ error: { code: status, message, status: code } }, { status });
}

function candidate(step: Step, index: number) {
  const parts: Record<string, unknown>[] = [];
  const tools = stepTools(step);
  if (step.text !== undefined || tools.length === 0) parts.push({ text: step.text ?? "" });
  tools.forEach((t, i) =>
    parts.push({
      functionCall: {
        id: `call_fake_s${index}_${i}`,
        name: t.name,
        args: t.input ?? JSON.parse(t.arguments ?? "{}"),
      },
    })
  );
  const usage = step.usage ?? DEFAULT_USAGE;
  return {
    candidates: [{ content: { role: "model", parts }, finishReason: "STOP", index: 0 }],
    usageMetadata: {
      promptTokenCount: usage.input_tokens,
      candidatesTokenCount: usage.output_tokens,
      totalTokenCount: usage.input_tokens + usage.output_tokens,
    },
    modelVersion: "fake-gemini",
  };
}

async function answer(req: Request, ctx: AnswerContext): Promise<Response> {
  const m = MODEL_CALL.exec(ctx.path.split("?")[0]);
  if (!m || req.method !== "POST") return errorResponse(404, `no route ${req.method} ${ctx.path}`);
  if (m[2] === "countTokens") return Response.json({ totalTokens: DEFAULT_USAGE.input_tokens });
  const body = (ctx.body ?? {}) as GenerateBody;
  const stream = m[2] === "streamGenerateContent";
  const schema = body.generationConfig?.responseJsonSchema ?? body.generationConfig?.responseSchema;
  const reply = (step: Step, index: number) => {
    const data = candidate(step, index);
    return stream ? sseResponse(`data: ${JSON.stringify(data)}\r\n\r\n`) : Response.json(data);
  };
  // A side call that wants JSON (is the model or the user next? which model?): answer
  // with an example of its schema, or an empty object.
  if (body.generationConfig?.responseMimeType === "application/json" && !body.tools?.length) {
    return reply({ text: JSON.stringify(schema ? exampleFor(schema) : {}) }, 0);
  }
  const turn = ctx.turn!;
  const step = pickStep(ctx.script, turn.prompt, turn.step, "gemini");
  if (step.delay_ms) await sleep(step.delay_ms, ctx.closing);
  if (step.hang) {
    await hang(ctx.closing);
    return errorResponse(503, "fake server closed");
  }
  if (step.error) return errorResponse(step.error.status, step.error.message);
  return reply(step, turn.step);
}

if (import.meta.main) await runStandalone("fake_gemini", startFakeGemini);

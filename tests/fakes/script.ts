// Pure logic shared by the fake model servers: the script format, finding the
// prompt and the step in a request, and the FAKE_* prompt directives.
// No I/O here, so everything is unit-testable.

export type Flavor = "anthropic" | "openai" | "gemini";

/** A tool call. `input` is the tool's JSON input; for OpenAI function calls
 * `arguments` (a JSON string) may be given instead. */
export interface ToolCall {
  name: string;
  input?: unknown;
  arguments?: string;
}

export interface Usage {
  input_tokens: number;
  output_tokens: number;
}

/** One model reply. */
export interface Step {
  text?: string;
  tool?: ToolCall;
  tools?: ToolCall[];
  /** OpenAI custom (freeform) tool call, e.g. apply_patch. */
  custom?: { name: string; input: string };
  /** OpenAI reasoning summary. */
  reasoning?: string;
  usage?: Usage;
  delay_ms?: number;
  /** Answer with this HTTP status and a provider-shaped error body. */
  error?: { status: number; message?: string };
  /** Fail mid-stream. OpenAI: response.failed (codex: turn.failed, exit 1).
   * Anthropic: an SSE `error` event; claude retries the stream, then falls
   * back to a non-streaming call, which gets this step's normal answer. */
  fail?: string;
  /** Never answer (until the client goes away or the server closes). */
  hang?: boolean;
}

export interface Rule {
  match: string;
  steps: Step[];
}

export interface Script {
  rules?: Rule[];
  default?: Step[];
}

export const DEFAULT_USAGE: Usage = { input_tokens: 100, output_tokens: 20 };

/** The tool calls a step makes, in order. */
export function stepTools(step: Step): ToolCall[] {
  return [...(step.tool ? [step.tool] : []), ...(step.tools ?? [])];
}

/** The steps for a prompt: the first rule whose `match` occurs in the prompt,
 * else the script's default, else the prompt's FAKE_* directives. */
export function stepsFor(
  script: Script | undefined,
  prompt: string,
  flavor: Flavor,
): Step[] {
  const rule = script?.rules?.find((r) => prompt.includes(r.match));
  if (rule) return rule.steps;
  if (script?.default) return script.default;
  return directiveSteps(prompt, flavor);
}

/** Step `index` for a prompt. Past the end the turn ends with a plain text, so
 * a short script can never make the agent loop forever. */
export function pickStep(
  script: Script | undefined,
  prompt: string,
  index: number,
  flavor: Flavor,
): Step {
  return stepsFor(script, prompt, flavor)[index] ??
    { text: `(fake: no step ${index} for this prompt)` };
}

const DIRECTIVE = /FAKE_(BASH|WRITE|PATCH_ADD|REPLY):[ \t]*(.*)/g;

/** Steps from directives in the prompt, one per line:
 *   FAKE_BASH: <cmd>                  a shell command (Bash / exec_command)
 *   FAKE_WRITE: <abs path> :: <text>  write a file (Anthropic Write tool)
 *   FAKE_PATCH_ADD: <path> :: <text>  add a file (OpenAI apply_patch)
 *   FAKE_REPLY: <text>                the final answer
 * Each tool directive is one step, in order, then the final text (default
 * "done"). Both file directives work for both flavours, each mapped to that
 * flavour's file tool, so one prompt can drive either agent. Without any
 * directive the answer is "ok: <first 40 chars of the prompt>". */
export function directiveSteps(prompt: string, flavor: Flavor): Step[] {
  const steps: Step[] = [];
  let reply: string | undefined;
  for (const [, kind, rest] of prompt.matchAll(DIRECTIVE)) {
    const arg = rest.trim();
    if (kind === "REPLY") reply = arg;
    else if (kind === "BASH") steps.push(bashStep(arg, flavor));
    else steps.push(writeStep(arg, flavor));
  }
  if (steps.length === 0 && reply === undefined) {
    return [{ text: `ok: ${prompt.slice(0, 40)}` }];
  }
  return [...steps, { text: reply ?? "done" }];
}

function bashStep(cmd: string, flavor: Flavor): Step {
  if (flavor === "gemini") {
    return {
      tool: { name: "run_shell_command", input: { command: cmd, description: "fake step" } },
    };
  }
  return flavor === "anthropic"
    ? {
      tool: { name: "Bash", input: { command: cmd, description: "fake step" } },
    }
    : { tool: { name: "exec_command", input: { cmd } } };
}

function writeStep(arg: string, flavor: Flavor): Step {
  const sep = arg.indexOf(" :: ");
  const path = sep < 0 ? arg : arg.slice(0, sep).trim();
  const text = sep < 0 ? "" : arg.slice(sep + 4);
  if (flavor === "gemini") {
    return { tool: { name: "write_file", input: { file_path: path, content: text + "\n" } } };
  }
  return flavor === "anthropic"
    ? {
      tool: { name: "Write", input: { file_path: path, content: text + "\n" } },
    }
    : { custom: { name: "apply_patch", input: addFilePatch(path, text) } };
}

/** An apply_patch body that creates `path` holding `text` (plus a newline). */
export function addFilePatch(path: string, text: string): string {
  const lines = text.split("\n").map((l) => `+${l}\n`).join("");
  return `*** Begin Patch\n*** Add File: ${path}\n${lines}*** End Patch\n`;
}

// ---------------------------------------------------------------------------
// Finding the prompt

// Context the CLIs inject as user text. <system-reminder> may sit anywhere in a
// block; the others fill a whole text part on their own.
const REMINDER = /<system-reminder>[\s\S]*?<\/system-reminder>/g;
const INJECTED_TAGS = [
  "environment_context",
  "user_instructions",
  "permissions instructions",
  "skills_instructions",
  "user_shell_command",
  "turn_aborted",
  "INSTRUCTIONS",
  "local-command-stdout",
  "command-name",
  "session_context",
];
const INTERRUPTED = /^\[Request interrupted by user[^\]]*\]$/;

/** The real user text in a text part: "" if it is only injected context. */
export function realText(text: string): string {
  const t = text.replace(REMINDER, "").trim();
  if (t.startsWith("# AGENTS.md instructions for") || INTERRUPTED.test(t)) {
    return "";
  }
  const whole = /^<([A-Za-z_][\w -]*)>[\s\S]*<\/([\w -]+)>$/.exec(t);
  if (whole && whole[1] === whole[2] && INJECTED_TAGS.includes(whole[1])) {
    return "";
  }
  return t;
}

/** Where a request stands: the newest real prompt and which step answers it. */
export interface Turn {
  prompt: string;
  step: number;
}

interface AnthropicMessage {
  role: string;
  content: string | { type: string; text?: string }[];
}

/** Anthropic: the newest user message with real text is the prompt; the step
 * is the number of assistant messages after it (one per model call). Tool
 * results carry no real text, so they never count as a prompt. */
export function anthropicTurn(messages: AnthropicMessage[] = []): Turn {
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i].role !== "user") continue;
    const prompt = anthropicText(messages[i].content);
    if (!prompt) continue;
    const step = messages.slice(i + 1).filter((m) => m.role === "assistant")
      .length;
    return { prompt, step };
  }
  return { prompt: "", step: 0 };
}

function anthropicText(content: AnthropicMessage["content"]): string {
  if (typeof content === "string") return realText(content);
  return content.filter((b) => b.type === "text")
    .map((b) => realText(b.text ?? "")).filter(Boolean).join("\n");
}

interface OpenAIItem {
  type?: string;
  role?: string;
  content?: string | { type: string; text?: string }[];
  call_id?: string;
}

const STEP_MARK = /^call_fake_s(\d+)_/;

/** The call_id for a tool call made by step `step`. The marker lets a later
 * request tell how many tool-calling responses came before it, because one
 * response can hold several output items. */
export function callId(step: number, suffix: string): string {
  return `call_fake_s${step}_${suffix}`;
}

/** OpenAI Responses: the newest user message with real text is the prompt; the
 * step is one past the highest step marker in later tool calls. */
export function openaiTurn(input: string | OpenAIItem[] = []): Turn {
  if (typeof input === "string") return { prompt: realText(input), step: 0 };
  for (let i = input.length - 1; i >= 0; i--) {
    const item = input[i];
    if (item.role !== "user" || (item.type && item.type !== "message")) {
      continue;
    }
    const prompt = openaiText(item.content);
    if (!prompt) continue;
    let step = 0;
    for (const later of input.slice(i + 1)) {
      const mark = STEP_MARK.exec(later.call_id ?? "");
      if (mark && later.type !== "function_call_output") {
        step = Math.max(step, Number(mark[1]) + 1);
      }
    }
    return { prompt, step };
  }
  return { prompt: "", step: 0 };
}

function openaiText(content: OpenAIItem["content"]): string {
  if (typeof content === "string") return realText(content);
  return (content ?? []).filter((p) => typeof p.text === "string")
    .map((p) => realText(p.text!)).filter(Boolean).join("\n");
}

// ---------------------------------------------------------------------------

/** A value that fits a JSON schema (enough for Claude's session-title call). */
export function exampleFor(schema: unknown): unknown {
  const s = (schema ?? {}) as Record<string, unknown>;
  if (Array.isArray(s.enum)) return s.enum[0];
  if ("const" in s) return s.const;
  const type = String(Array.isArray(s.type) ? s.type[0] : s.type).toLowerCase();
  switch (type) {
    case "object": {
      const props = (s.properties ?? {}) as Record<string, unknown>;
      return Object.fromEntries(
        Object.entries(props).map(([k, v]) => [k, exampleFor(v)]),
      );
    }
    case "array":
      return [];
    case "number":
    case "integer":
      return 0;
    case "boolean":
      return false;
    case "null":
      return null;
    default:
      return "Fake title";
  }
}

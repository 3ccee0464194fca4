#!/usr/bin/env node
// The gemini backend for handoff: an executable plugin speaking newline-delimited
// JSON-RPC 2.0 on stdio. handoff asks it how to start the Gemini CLI for a run
// (backend/launch), then hands it the CLI's stdout line by line (backend/parse) and
// gets handoff's normalized events back. No dependencies: node's own modules only.
import { createInterface } from "node:readline";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const API_VERSION = 1;
const send = (msg) => process.stdout.write(JSON.stringify({ jsonrpc: "2.0", ...msg }) + "\n");

/** Variables of a calling agent's session that would change what the child does. */
const NOISE = /^(GEMINI_CLI|GEMINI_CLI_IDE_|CLAUDECODE$|CLAUDE_CODE_)/;

/** The plugin's own folder (from initialize), for the defaults file below. */
let dataDir = null;

function childEnv(task) {
  const env = {};
  for (const [k, v] of Object.entries(task.inheritedEnv)) if (!NOISE.test(k)) env[k] = v;
  Object.assign(env, task.env);
  // An API key in the backend's env means: sign in with it. Headless, the CLI takes that
  // only from a settings file, so it gets one as system defaults (the user's own
  // ~/.gemini/settings.json still wins).
  if (env.GEMINI_API_KEY && !env.GEMINI_CLI_SYSTEM_DEFAULTS_PATH && dataDir) {
    const file = join(dataDir, "system-defaults.json");
    writeFileSync(
      file,
      JSON.stringify({ security: { auth: { selectedType: "gemini-api-key" } } }) + "\n",
      { mode: 0o600 },
    );
    env.GEMINI_CLI_SYSTEM_DEFAULTS_PATH = file;
  }
  return env;
}

function launch(task, prompt) {
  const argv = [
    task.command,
    ...(task.args ?? []),
    "--output-format",
    "stream-json",
    "--model",
    task.model,
    "--approval-mode",
    task.permissionMode,
    // The user dispatched this run into this folder: that is the trust a headless run needs.
    "--skip-trust",
  ];
  if (task.resumeSession) argv.push("--resume", task.resumeSession);
  else if (task.newSession) argv.push("--session-id", task.newSession);
  // The prompt goes to stdin (never argv): the CLI reads it there when stdin is not a terminal.
  const text = task.systemPrompt ? `${task.systemPrompt}\n\n${prompt}` : prompt;
  return { argv, env: childEnv(task), cwd: task.cwd, stdin: text };
}

function interactive(task) {
  const argv = [
    task.command,
    ...(task.args ?? []),
    "--model",
    task.model,
    "--approval-mode",
    task.permissionMode,
  ];
  if (task.resumeSession) argv.push("--resume", task.resumeSession);
  return { argv, env: childEnv(task), cwd: task.cwd, stdin: null };
}

/** One short line for a tool call: `$ cmd`, `write path`, `read path`, else its name. */
function toolSummary(name, p = {}) {
  if (name === "run_shell_command" && p.command) return `$ ${p.command}`;
  if ((name === "write_file" || name === "replace") && p.file_path) return `write ${p.file_path}`;
  if (name === "read_file" && (p.file_path || p.absolute_path)) {
    return `read ${p.file_path ?? p.absolute_path}`;
  }
  const first = Object.values(p).find((v) => typeof v === "string");
  return first ? `${name} ${String(first).slice(0, 120)}` : name;
}

/** Per run: assistant text arrives in deltas; it becomes one event at the next boundary. */
function createParser() {
  let text = "";
  let answer = "";
  const flush = () => {
    if (!text) return [];
    const ev = { kind: "text", text };
    answer = text;
    text = "";
    return [ev];
  };
  return (line) => {
    let ev;
    try {
      ev = JSON.parse(line);
    } catch {
      return []; // the CLI's own noise
    }
    switch (ev?.type) {
      case "init":
        return typeof ev.session_id === "string" ? [{ kind: "session", id: ev.session_id }] : [];
      case "message":
        if (ev.role === "assistant" && typeof ev.content === "string") text += ev.content;
        return [];
      case "tool_use":
        answer = "";
        return [...flush(), {
          kind: "tool",
          name: ev.tool_name ?? "tool",
          summary: toolSummary(ev.tool_name, ev.parameters),
        }];
      case "tool_result":
        return ev.status === "error"
          ? [...flush(), { kind: "info", text: `tool failed: ${ev.error?.message ?? "error"}` }]
          : [];
      case "error":
        return [...flush(), { kind: "error", message: String(ev.message ?? "error") }];
      case "result": {
        const out = flush();
        const s = ev.stats ?? {};
        out.push({
          kind: "usage",
          cumulative: true,
          usage: {
            inputTokens: s.input_tokens ?? 0,
            outputTokens: s.output_tokens ?? 0,
            cacheReadTokens: s.cached ?? 0,
            cacheWriteTokens: 0,
            reasoningTokens: 0,
            turns: 1,
            costUsd: null,
          },
        });
        const ok = ev.status === "success";
        out.push({
          kind: "result",
          text: ok ? answer : (ev.error?.message ?? "the Gemini CLI reported an error"),
          isError: !ok,
        });
        return out;
      }
      default:
        return [];
    }
  };
}

function diagnose(stderrTail) {
  if (/Invalid auth method|GEMINI_API_KEY/.test(stderrTail)) {
    return "set GEMINI_API_KEY in the backend's env, or choose a sign-in method in ~/.gemini/settings.json (security.auth.selectedType)";
  }
  if (/not trusted/.test(stderrTail)) {
    return "the folder is not trusted: run `gemini` there once and trust it";
  }
  return null;
}

const parsers = new Map();
const methods = {
  initialize({ apiVersions, dataDir: dir }) {
    if (!apiVersions?.includes(API_VERSION)) throw new Error(`needs plugin API ${API_VERSION}`);
    if (typeof dir === "string") dataDir = dir;
    return { name: "gemini", version: "0.1.0", apiVersion: API_VERSION };
  },
  "backend/launch": ({ task, prompt }) => launch(task, prompt),
  "backend/interactive": ({ task }) => interactive(task),
  "backend/parse": ({ parser, line }) => {
    if (!parsers.has(parser)) parsers.set(parser, createParser());
    return { events: parsers.get(parser)(line) };
  },
  "backend/diagnose": ({ stderrTail }) => ({ hint: diagnose(stderrTail) }),
};

createInterface({ input: process.stdin }).on("line", (line) => {
  if (!line.trim()) return;
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    return;
  }
  const { id, method, params } = msg;
  if (id === undefined) return; // a notification: none are expected
  const fn = methods[method];
  if (!fn) return send({ id, error: { code: -32601, message: `unknown method ${method}` } });
  try {
    send({ id, result: fn(params ?? {}) });
  } catch (e) {
    send({ id, error: { code: -32000, message: String(e?.message ?? e) } });
  }
});

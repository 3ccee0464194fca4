/** The claude backend type: Claude Code in print mode, against any Anthropic-compatible endpoint. */
import type { BackendLauncher, LaunchTask, Plugin } from "../core/registry.ts";
import { lazyParser } from "./lazy_parser.ts";
import { withoutPrefixes } from "./hermetic.ts";

/** Variables of a calling Claude Code session that would change what the child does. */
const INHERITED_NOISE = [
  "CLAUDECODE",
  "CLAUDE_CODE_ENTRYPOINT",
  "CLAUDE_CODE_SSE_PORT",
  "CLAUDE_CODE_SUBAGENT_MODEL",
];

function childEnv(task: LaunchTask): Record<string, string> {
  return {
    ...withoutPrefixes(task.inheritedEnv, ["ANTHROPIC_"], INHERITED_NOISE),
    ...task.env,
  };
}

export const claudeLauncher: BackendLauncher = {
  type: "claude",
  defaultCommand: "claude",
  installHint: "npm install -g @anthropic-ai/claude-code",
  permissionModes: [
    "bypassPermissions",
    "acceptEdits",
    "auto",
    "default",
    "dontAsk",
    "plan",
  ],
  // A hand-off runs unattended: nobody is there to answer a permission prompt.
  defaultPermissionMode: "bypassPermissions",
  choosesSessionId: true,
  resumeNeedsCwd: true,

  launch(task, prompt) {
    const argv = [
      task.command,
      ...task.args,
      "-p",
      "--output-format",
      "stream-json",
      "--verbose",
      "--model",
      task.model,
      "--permission-mode",
      task.permissionMode,
    ];
    if (task.systemPrompt) {
      argv.push("--append-system-prompt", task.systemPrompt);
    }
    if (task.resumeSession) argv.push("--resume", task.resumeSession);
    else if (task.newSession) argv.push("--session-id", task.newSession);
    // No prompt argument: `claude -p` reads it from stdin, so its length, leading dashes
    // or a leading `~` cannot change how the command line is parsed.
    return { argv, env: childEnv(task), cwd: task.cwd, stdin: prompt };
  },

  interactive(task) {
    const argv = [
      task.command,
      ...task.args,
      "--model",
      task.model,
      "--permission-mode",
      task.permissionMode,
    ];
    if (task.resumeSession) argv.push("--resume", task.resumeSession);
    return { argv, env: childEnv(task), cwd: task.cwd, stdin: null };
  },

  createParser: lazyParser(async () => (await import("./claude_stream.ts")).createClaudeParser),

  // Claude Code prices every model at Anthropic's rates: for another endpoint (DeepSeek,
  // a proxy) its total_cost_usd is only an estimate.
  costIsEstimate(task) {
    const url = task.env.ANTHROPIC_BASE_URL;
    if (!url) return false;
    try {
      return !/(^|\.)anthropic\.com$/.test(new URL(url).hostname);
    } catch {
      return true;
    }
  },

  diagnose(stderrTail, task) {
    if (/cannot be used with root\/sudo/.test(stderrTail)) {
      return `permission_mode ${task.permissionMode} is refused for root: set IS_SANDBOX: "1" in the backend's env (inside a sandbox), or use permission_mode: acceptEdits`;
    }
    if (/No conversation found with session ID/.test(stderrTail)) {
      return "claude keeps conversations per directory: resume from the run's original cwd (drop --cwd)";
    }
    return undefined;
  },
};

export const claudePlugin: Plugin = {
  name: "claude",
  backends: [claudeLauncher],
};

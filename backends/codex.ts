/** The codex backend type: `codex exec --json`, resumed with `codex exec resume`. */
import type { BackendLauncher, LaunchTask, Plugin } from "../core/registry.ts";
import { lazyParser } from "./lazy_parser.ts";

/** `bypass` skips codex's sandbox and approvals; the others are codex sandbox modes. */
const SANDBOXES = [
  "workspace-write",
  "read-only",
  "danger-full-access",
  "bypass",
] as const;

function policyArgs(mode: string): string[] {
  return mode === "bypass"
    ? ["--dangerously-bypass-approvals-and-sandbox"]
    : ["-c", `sandbox_mode="${mode}"`];
}

function childEnv(task: LaunchTask): Record<string, string> {
  return { ...task.inheritedEnv, ...task.env };
}

export const codexLauncher: BackendLauncher = {
  type: "codex",
  defaultCommand: "codex",
  installHint: "npm install -g @openai/codex",
  permissionModes: SANDBOXES,
  defaultPermissionMode: "workspace-write",
  choosesSessionId: false,
  resumeNeedsCwd: false,
  usageIsThreadTotal: true,

  launch(task, prompt) {
    const common = [
      "--json",
      "--skip-git-repo-check",
      "-m",
      task.model,
      ...policyArgs(task.permissionMode),
    ];
    // `-` reads the prompt from stdin: it never travels in argv.
    const argv = task.resumeSession
      ? [task.command, ...task.args, "exec", "resume", ...common, task.resumeSession, "-"]
      : [task.command, ...task.args, "exec", ...common, "-C", task.cwd, "-"];
    return { argv, env: childEnv(task), cwd: task.cwd, stdin: prompt };
  },

  interactive(task) {
    const argv = [
      task.command,
      ...task.args,
      "resume",
      "-m",
      task.model,
      ...policyArgs(task.permissionMode),
    ];
    if (task.resumeSession) argv.push(task.resumeSession);
    return { argv, env: childEnv(task), cwd: task.cwd, stdin: null };
  },

  createParser: lazyParser(async () => (await import("./codex_stream.ts")).createCodexParser),

  diagnose(stderrTail) {
    if (/no rollout found for thread id/.test(stderrTail)) {
      return "codex does not know this thread any more (was CODEX_HOME changed or cleaned?)";
    }
    return undefined;
  },
};

export const codexPlugin: Plugin = { name: "codex", backends: [codexLauncher] };

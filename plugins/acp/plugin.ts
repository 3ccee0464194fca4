/**
 * The acp plugin: one backend type, `acp`, for every agent that speaks the Agent Client
 * Protocol (`gemini --acp`, `qwen --acp`, `opencode acp`, `claude-agent-acp`,
 * `codex-acp`, `goose acp`, …). The engine starts the agent; handoff's own ACP client
 * (driver.ts) speaks to it over its stdio and reports normalized events.
 */
import { checkRunEvents } from "../../core/events.ts";
import { HandoffError } from "../../core/errors.ts";
import { basename } from "../../core/path.ts";
import type { BackendLauncher, Plugin } from "../../core/registry.ts";

/** How `permission_mode` answers `session/request_permission` (updates.ts answerPermission). */
const PERMISSION_MODES = ["bypass", "read-only", "plan", "ask"] as const;

/**
 * The `acp` backend type. Its `command` is required (config.ts `commandRequired`): no one
 * agent is the default, and a bare `gemini` without `--acp` would not speak ACP at all.
 * Its `model` is not: `default` leaves the choice to the agent.
 */
export const acpLauncher: BackendLauncher & { commandRequired: boolean; defaultModel: string } = {
  type: "acp",
  defaultCommand: "gemini",
  commandRequired: true,
  // Without `model:` the agent keeps the model it would choose itself (none is set).
  defaultModel: "default",
  installHint: "the agent's own package, e.g. npm install -g @google/gemini-cli",
  permissionModes: PERMISSION_MODES,
  // A hand-off runs unattended: nobody is there to answer a permission request.
  defaultPermissionMode: "bypass",
  choosesSessionId: false,
  resumeNeedsCwd: true,

  // Every start-up registers this plugin: its other modules load only for an acp run.
  async launch(task) {
    const { agentEnv } = await import("./quirks.ts");
    return {
      argv: [task.command, ...task.args],
      env: agentEnv(task.command, task.permissionMode, { ...task.inheritedEnv, ...task.env }),
      cwd: task.cwd,
      // The prompt goes in session/prompt (driver.ts): never in argv or the environment.
      stdin: null,
    };
  },

  // What the agent said at its last start: one that cannot resume is refused up front.
  async checkResume({ command, args, backend }) {
    const { knownResumeMethod } = await import("./resumable.ts");
    if (knownResumeMethod([command, ...args]) !== null) return;
    throw new HandoffError(
      `backend "${backend}": ${
        basename(command)
      } cannot resume a session (it offers neither session/load nor session/resume)`,
      2,
      `start a new run instead: handoff run -b ${backend} …`,
    );
  },

  async drive(cli, task, prompt) {
    const { driveAcp } = await import("./driver.ts");
    return await driveAcp(cli, task, prompt);
  },

  interactive() {
    throw new HandoffError(
      "an ACP agent has no interactive view handoff can open",
      2,
      "continue the conversation with a prompt: handoff resume <run> - <<'EOF' …",
    );
  },

  // The run's raw log holds the driver's events, one JSON object per line (`tail --json`).
  createParser: () => ({
    push(line: string) {
      if (!line.startsWith("{")) return [];
      try {
        return checkRunEvents([JSON.parse(line)]).events;
      } catch {
        return [];
      }
    },
  }),

  diagnose(stderrTail) {
    if (/root|sudo/i.test(stderrTail) && /bypass|dangerously|permission/i.test(stderrTail)) {
      return "as root the Claude ACP adapter bypasses permissions only with IS_SANDBOX=1 in the backend's env";
    }
    if (/Node\.?js (v?\d+ )?(is )?(not supported|required)|requires Node/i.test(stderrTail)) {
      return "this agent needs a newer Node.js (Qwen Code needs 22 or later)";
    }
    return undefined;
  },
};

/** The acp plugin: the `acp` backend type. */
export const acpPlugin: Plugin = { name: "acp", backends: [acpLauncher] };

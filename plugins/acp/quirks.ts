// What particular ACP agents need beyond the protocol, each found by running them:
// which session mode makes an agent ask before acting, and opencode's own permission
// setting. Pure functions; the driver and the launcher apply them.

import { basename } from "../../core/path.ts";

/**
 * The session mode to set when the backend names none, so that `permission_mode` decides:
 * `plan` takes the agent's plan mode; `read-only` and `ask` need an agent that asks, so an
 * agent that starts in a mode approving by itself (Qwen Code's `auto`, the Claude
 * adapter's `auto`, the Codex adapter's `agent`) is put in its asking mode: `default`, or
 * the Codex adapter's `read-only`. Null: leave the agent's mode.
 */
export function modeFor(
  permissionMode: string,
  modes: readonly string[],
  current: string | null,
): string | null {
  if (permissionMode === "bypass") return null;
  if (permissionMode === "plan" && modes.includes("plan")) {
    return current === "plan" ? null : "plan";
  }
  const asking = ASKING_MODES.find((m) => modes.includes(m));
  return asking && current !== asking ? asking : null;
}

/**
 * True for an agent that answers `session/load` before it has replayed the conversation
 * (Gemini CLI streams it afterwards): the driver then waits for the replay to go quiet
 * before the new turn, so none of the old turn passes for the new one. Others replay
 * first and cost no wait.
 */
export function replaysAfterLoad(agentName: string, command: string): boolean {
  return agentName === "gemini-cli" || /gemini/i.test(basename(command));
}

/** Modes in which an agent asks before it edits or runs anything, in order of preference. */
const ASKING_MODES = ["default", "read-only"];

/**
 * opencode allows edits and commands unless its config says to ask: for any policy but
 * bypass, its permissions are set to `ask` (merged into the user's OPENCODE_CONFIG_CONTENT),
 * so every edit and command becomes a request handoff answers.
 */
export function agentEnv(
  command: string,
  permissionMode: string,
  env: Record<string, string>,
): Record<string, string> {
  if (basename(command) !== "opencode" || permissionMode === "bypass") return env;
  let config: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(env.OPENCODE_CONFIG_CONTENT ?? "{}");
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) config = parsed;
  } catch { /* not JSON: opencode would refuse it too; ours replaces it */ }
  const ask = { edit: "ask", bash: "ask", webfetch: "ask" };
  return { ...env, OPENCODE_CONFIG_CONTENT: JSON.stringify({ ...config, permission: ask }) };
}

/**
 * `handoff init --hooks` / `--remove-hooks`: the file side of hook_config.ts. Files are
 * replaced atomically with their mode kept; a file handoff cannot parse is never written.
 */
import { selfArgv } from "../../core/self.ts";
import { readTextOrNull, writeFileAtomic } from "../../core/files.ts";
import { join } from "../../core/path.ts";
import { commandVersion, which } from "../../core/proc.ts";
import { tildePath } from "../../core/paths.ts";
import {
  addClaudeHooks,
  approvalHook,
  CLAUDE_HOOK_EVENTS,
  claudeHookCommand,
  ConfigError,
  hasPermissionRequest,
  removeClaudeHooks,
  removeCodexNotify,
  setCodexNotify,
} from "./hook_config.ts";

export interface Reporter {
  ok(s: string): void;
  skip(s: string): void;
  warn(s: string): void;
}

/**
 * How the agents should start handoff: $HANDOFF_BIN, else this binary (`deno compile`),
 * else `deno run -A --quiet <main.ts>`. A home chosen with --home/$HANDOFF_HOME is kept.
 */
export function handoffArgv(): string[] {
  const bin = Deno.env.get("HANDOFF_BIN");
  const argv = bin ? [bin] : selfArgv();
  const home = Deno.env.get("HANDOFF_HOME");
  return home ? [...argv, "--home", home] : argv;
}

async function claudeVersion(): Promise<string | null> {
  const claude = which("claude");
  return claude ? await commandVersion(claude) : null;
}

/** Returns the number of problems (a file left alone). */
/**
 * `approvals`: the PermissionRequest hook waits this many seconds for a phone's answer
 * (null: it only records the request, as the other hooks do).
 */
export async function installHooks(
  dirs: { claude: string; codex: string },
  force: boolean,
  say: Reporter,
  approvals: { waitS: number } | null = null,
): Promise<number> {
  let problems = 0;
  const argv = handoffArgv();
  const settings = join(dirs.claude, "settings.json");
  try {
    const asks = hasPermissionRequest(await claudeVersion());
    const events = asks
      ? CLAUDE_HOOK_EVENTS
      : CLAUDE_HOOK_EVENTS.filter((e) => e !== "PermissionRequest");
    if (approvals && !asks) {
      say.warn("phone approvals need Claude Code 2.0.45 or later (PermissionRequest hooks)");
      problems++;
    }
    const special: Record<string, { command: string; timeout: number }> = approvals && asks
      ? { PermissionRequest: approvalHook(argv, approvals.waitS) }
      : {};
    const before = readTextOrNull(settings);
    const edit = addClaudeHooks(
      before,
      tildePath(settings),
      claudeHookCommand(argv),
      events,
      special,
    );
    if (edit.changed.length) {
      writeFileAtomic(settings, edit.text);
      say.ok(`Claude Code hooks (${edit.changed.join(", ")}): ${tildePath(settings)}`);
    } else say.skip(`Claude Code hooks: ${tildePath(settings)} is up to date`);
    if (approvals && asks) {
      say.ok(
        `phone approvals: a permission prompt waits up to ${approvals.waitS} s for a paired ` +
          "phone (or `handoff approve`), then asks at the desk",
      );
    }
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    say.warn(e.message);
    problems++;
  }

  const toml = join(dirs.codex, "config.toml");
  const codexArgv = [...argv, "notify", "--source", "codex"];
  const r = setCodexNotify(readTextOrNull(toml), codexArgv, force);
  if (r.action === "unchanged") say.skip(`Codex notify: ${tildePath(toml)} is up to date`);
  else if (r.action === "conflict") {
    say.warn(
      `Codex notify: ${tildePath(toml)} already runs another program (${r.existing}); kept ` +
        `(handoff init --hooks --force replaces it)`,
    );
    problems++;
  } else {
    writeFileAtomic(toml, r.text);
    say.ok(`Codex notify: ${r.action === "create" ? "set in" : "updated in"} ${tildePath(toml)}`);
  }
  if (approvals) problems += installCodexApprovals(dirs.codex, argv, approvals.waitS, say);
  return problems;
}

/**
 * Codex reads its hooks from `$CODEX_HOME/hooks.json`, in Claude Code's format: the
 * PermissionRequest hook goes there. Codex runs a new hook only once it was reviewed in
 * its own interface, and waits for the hook before it shows its own prompt.
 */
function installCodexApprovals(dir: string, argv: string[], waitS: number, say: Reporter): number {
  const file = join(dir, "hooks.json");
  try {
    const hook = approvalHook(argv, waitS, "codex");
    const edit = addClaudeHooks(readTextOrNull(file), tildePath(file), hook.command, [
      "PermissionRequest",
    ], { PermissionRequest: hook });
    if (edit.changed.length) {
      Deno.mkdirSync(dir, { recursive: true });
      writeFileAtomic(file, edit.text);
      say.ok(
        `Codex PermissionRequest hook: ${tildePath(file)} (Codex asks you to review it once ` +
          "before it runs it; its own prompt shows after the hook's wait)",
      );
    } else say.skip(`Codex PermissionRequest hook: ${tildePath(file)} is up to date`);
    return 0;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    say.warn(e.message);
    return 1;
  }
}

export function removeHooks(dirs: { claude: string; codex: string }, say: Reporter): number {
  let problems = 0;
  const settings = join(dirs.claude, "settings.json");
  try {
    const edit = removeClaudeHooks(readTextOrNull(settings), tildePath(settings));
    if (edit.changed.length) {
      writeFileAtomic(settings, edit.text);
      say.ok(`Claude Code hooks removed (${edit.changed.join(", ")}): ${tildePath(settings)}`);
    } else say.skip(`Claude Code hooks: none of handoff's in ${tildePath(settings)}`);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    say.warn(e.message);
    problems++;
  }
  const hooks = join(dirs.codex, "hooks.json");
  try {
    const edit = removeClaudeHooks(readTextOrNull(hooks), tildePath(hooks));
    if (edit.changed.length) {
      writeFileAtomic(hooks, edit.text);
      say.ok(`Codex hooks removed (${edit.changed.join(", ")}): ${tildePath(hooks)}`);
    }
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    say.warn(e.message);
    problems++;
  }
  const toml = join(dirs.codex, "config.toml");
  const r = removeCodexNotify(readTextOrNull(toml));
  if (r.removed) {
    writeFileAtomic(toml, r.text);
    say.ok(`Codex notify removed: ${tildePath(toml)}`);
  } else say.skip(`Codex notify: not handoff's (or not set) in ${tildePath(toml)}`);
  return problems;
}

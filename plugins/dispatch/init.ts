/**
 * `handoff init`: write a commented config template and install the agent skills.
 * Idempotent. A file the user changed since handoff installed it is never overwritten
 * without asking (or --force).
 */
import { dirname, join } from "../../core/path.ts";
import type { CommandContext, CommandSpec } from "../../core/registry.ts";
import { setExitCode } from "../../core/cli.ts";
import { errColors, errLine } from "../../core/output.ts";
import { ensurePrivateDir, expandHome, tildePath, userHome } from "../../core/paths.ts";
import { confirm } from "../../core/ask.ts";
import { readTextOrNull, writeFileAtomic } from "../../core/files.ts";
import { which } from "../../core/proc.ts";
import { usageError } from "../../core/errors.ts";
import { DEFAULT_APPROVAL_WAIT_S } from "../notify/hook_config.ts";
import { type SkillBackend, skillFiles } from "./skills.ts";

export type InstallAction = "create" | "unchanged" | "update" | "conflict";

/**
 * What to do with one target file. `recorded` is the hash of what handoff last wrote
 * there: a file still matching it is ours to update; anything else is the user's.
 */
export function installAction(
  existing: string | null,
  ours: string,
  recorded: string | undefined,
  hashOf: Hash,
): InstallAction {
  if (existing === null) return "create";
  if (existing === ours) return "unchanged";
  if (recorded !== undefined && hashOf(existing) === recorded) return "update";
  return "conflict";
}

export type Hash = (text: string) => string;

/** SHA-256 in hex. node:crypto costs ~14 ms to load, so only `init` itself loads it. */
export async function sha256(): Promise<Hash> {
  const { createHash } = await import("node:crypto");
  return (text) => createHash("sha256").update(text).digest("hex");
}

export interface InstallTarget {
  label: string;
  text: string;
  target: string;
}

export function claudeConfigDir(): string {
  const v = Deno.env.get("CLAUDE_CONFIG_DIR");
  return v ? expandHome(v) : join(userHome(), ".claude");
}

export function codexHome(): string {
  const v = Deno.env.get("CODEX_HOME");
  return v ? expandHome(v) : join(userHome(), ".codex");
}

/** The skill and agent files for the configured backends, with where each goes. */
export async function skillTargets(backends: readonly SkillBackend[]): Promise<InstallTarget[]> {
  const read = (path: string) => Deno.readTextFile(new URL(path, import.meta.url));
  const templates = {
    skill: await read("../../skills/skill.template.md"),
    codexAgent: await read("../../skills/codex/agent.template.toml"),
  };
  const dirs = { claude: claudeConfigDir(), codex: codexHome() };
  return skillFiles(backends, templates).map((f) => ({
    label: f.label,
    text: f.text,
    target: join(dirs[f.agent], f.relative),
  }));
}

/** A file handoff installed earlier as a skill or agent (for removing stale ones). */
function isOurSkillPath(path: string): boolean {
  const skills = join(claudeConfigDir(), "skills") + "/";
  const agents = join(codexHome(), "agents") + "/";
  return (path.startsWith(skills) && /\/handoff-[^/]+\/SKILL\.md$/.test(path)) ||
    (path.startsWith(agents) && /\/handoff-[^/]+\.toml$/.test(path));
}

export async function init(
  ctx: CommandContext,
  f: {
    force?: boolean;
    skills?: boolean;
    hooks?: boolean;
    removeHooks?: boolean;
    approvals?: boolean;
    approvalWait?: string;
    completions?: boolean;
  },
) {
  const c = errColors();
  const p = ctx.paths();
  const ok = (s: string) => errLine(`${c.green("✓")} ${s}`);
  const skip = (s: string) => errLine(`${c.dim("·")} ${s}`);
  const warn = (s: string) => errLine(`${c.yellow("!")} ${s}`);
  const agentDirs = { claude: claudeConfigDir(), codex: codexHome() };
  if (f.approvals && !f.hooks) throw usageError("--approvals goes with --hooks");
  const waitS = f.approvalWait === undefined ? DEFAULT_APPROVAL_WAIT_S : Number(f.approvalWait);
  if (!Number.isInteger(waitS) || waitS < 5 || waitS > 3600) {
    throw usageError("--approval-wait: whole seconds from 5 to 3600");
  }
  if (f.removeHooks) {
    const { removeHooks } = await import("../notify/install.ts");
    return removeHooks(agentDirs, { ok, skip, warn }) ? 1 : 0;
  }
  ensurePrivateDir(p.home);

  const template = await Deno.readTextFile(
    new URL("../../skills/config.template.yaml", import.meta.url),
  );
  if (readTextOrNull(p.config) === null) {
    writeFileAtomic(p.config, template);
    Deno.chmodSync(p.config, 0o600);
    ok(`wrote ${tildePath(p.config)}`);
  } else skip(`${tildePath(p.config)} exists (kept)`);

  let conflicts = 0;
  if (f.skills !== false) {
    let backends: SkillBackend[];
    try {
      backends = (await ctx.config()).backends;
    } catch (e) {
      warn(`${(e as Error).message}`);
      warn("the skills are made from the configured backends: fix the config, then run init again");
      return 2;
    }
    const { getSetting, setSetting } = await import("../../core/store.ts");
    const db = await ctx.openStore();
    const hash = await sha256();
    try {
      const targets = await skillTargets(backends);
      const wanted = new Set(targets.map((t) => t.target));
      // Skills of backends no longer configured go, unless you changed them.
      const installed = db.prepare("SELECT key, value FROM settings WHERE key LIKE 'installed:%'")
        .all() as { key: string; value: string }[];
      for (const { key, value } of installed) {
        const path = key.slice("installed:".length);
        if (wanted.has(path) || !isOurSkillPath(path)) continue;
        const text = readTextOrNull(path);
        if (text !== null && hash(text) !== value) {
          warn(`${tildePath(path)}: its backend is gone, kept because you changed it`);
          continue;
        }
        if (text !== null) {
          Deno.removeSync(path);
          if (path.endsWith("/SKILL.md")) {
            try {
              Deno.removeSync(dirname(path)); // only if empty
            } catch { /* other files there: keep the directory */ }
          }
          ok(`removed ${tildePath(path)} (no such backend any more)`);
        }
        db.prepare("DELETE FROM settings WHERE key = ?").run(key);
      }
      for (const t of targets) {
        const ours = t.text;
        const key = `installed:${t.target}`;
        const action = installAction(
          readTextOrNull(t.target),
          ours,
          getSetting(db, key),
          hash,
        );
        const where = tildePath(t.target);
        if (action === "unchanged") {
          skip(`${t.label}: ${where} is up to date`);
          setSetting(db, key, hash(ours));
          continue;
        }
        if (
          action === "conflict" && !f.force &&
          !(await confirm(
            `${where} differs from handoff's ${t.label}. Replace it?`,
          ))
        ) {
          warn(
            `${t.label}: kept your changed ${where} (handoff init --force replaces it)`,
          );
          conflicts++;
          continue;
        }
        writeFileAtomic(t.target, ours);
        setSetting(db, key, hash(ours));
        ok(
          `${t.label}: ${action === "create" ? "installed" : "updated"} ${where}`,
        );
      }
    } finally {
      db.close();
    }
  }
  if (f.hooks) {
    const { installHooks } = await import("../notify/install.ts");
    conflicts += await installHooks(
      agentDirs,
      !!f.force,
      { ok, skip, warn },
      f.approvals ? { waitS } : null,
    );
  }
  if (f.completions) {
    const { installCompletion, userShell } = await import("../completion/install.ts");
    const shell = userShell();
    if (!shell) {
      warn(
        `completion: $SHELL (${Deno.env.get("SHELL") ?? "unset"}) is not bash, zsh or fish; ` +
          "print a script with `handoff completion bash|zsh|fish`",
      );
    } else {
      const done = installCompletion(shell);
      if (done.length) done.forEach(ok);
      else skip(`${shell} completion is up to date`);
    }
  }
  if (!which("handoff")) {
    warn(
      "`handoff` is not on PATH, so the skills and hooks cannot start it: from this checkout " +
        "run `npm link` (or put the release binary in a PATH directory, e.g. ~/.local/bin)",
    );
  }
  errLine("");
  errLine(
    `Next: edit ${tildePath(p.config)} (set DEEPSEEK_API_KEY or change the backends; ` +
      "run init again after changing them, to update the skills),",
  );
  errLine(
    "then check it with `handoff env` and try `handoff run --text say hello`.",
  );
  if (conflicts) errLine(`${conflicts} changed file(s) kept.`);
  return 0;
}

export const initCommand: CommandSpec = {
  name: "init",
  summary: "write a config template and install the agent skills",
  register(program, ctx) {
    program.command("init")
      .summary("write a config template and install the agent skills")
      .description(
        "Write a commented config template (if there is none) and, for every backend it " +
          "configures, install a Claude Code skill `handoff-<backend>` into " +
          "${CLAUDE_CONFIG_DIR:-~/.claude}/skills and a Codex agent of the same name into " +
          "${CODEX_HOME:-~/.codex}/agents (`handoff-ds` for deepseek). Safe to run again: files " +
          "handoff installed are updated (or removed when their backend is gone), files you " +
          "changed are kept unless you confirm (or pass --force).",
      )
      .option("--force", "replace installed files even where you changed them")
      .option("--no-skills", "only write the config template")
      .option(
        "--hooks",
        "also make Claude Code (settings.json hooks) and Codex (config.toml notify) call " +
          "`handoff notify`, keeping your own hooks",
      )
      .option(
        "--approvals",
        "with --hooks: Claude Code's permission prompts also go to paired phones, which may " +
          "answer them (handoff approvals)",
      )
      .option(
        "--approval-wait <seconds>",
        `how long a prompt waits for a phone before asking at the desk (default ${DEFAULT_APPROVAL_WAIT_S})`,
      )
      .option("--remove-hooks", "take handoff's hooks out of those files again (nothing else)")
      .option("--completions", "install shell completion for your shell ($SHELL: bash, zsh, fish)")
      .action(async (f) => setExitCode(await init(ctx, f)));
  },
};

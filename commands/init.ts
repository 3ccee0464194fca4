/**
 * `handoff init`: write a commented config template and install the agent skills.
 * Idempotent. A file the user changed since handoff installed it is never overwritten
 * without asking (or --force).
 */
import { join } from "node:path";
import type { CommandContext, CommandSpec } from "../core/registry.ts";
import { setExitCode } from "../core/cli.ts";
import { errColors, errLine } from "../core/output.ts";
import { ensurePrivateDir, expandHome, paths, tildePath, userHome } from "../core/paths.ts";
import { confirm } from "../core/ask.ts";
import { readTextOrNull, writeFileAtomic } from "../core/files.ts";

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
  source: URL;
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

export function skillTargets(): InstallTarget[] {
  const skills = ["handoff-ds", "handoff-codex", "handoff-opus"].map((
    name,
  ) => ({
    label: `Claude Code skill ${name}`,
    source: new URL(`../skills/${name}/SKILL.md`, import.meta.url),
    target: join(claudeConfigDir(), "skills", name, "SKILL.md"),
  }));
  return [
    ...skills,
    {
      label: "Codex agent handoff-ds",
      source: new URL("../skills/codex/handoff-ds.toml", import.meta.url),
      target: join(codexHome(), "agents", "handoff-ds.toml"),
    },
  ];
}

export async function init(
  _ctx: CommandContext,
  f: { force?: boolean; skills?: boolean; hooks?: boolean; removeHooks?: boolean },
) {
  const c = errColors();
  const p = paths();
  const ok = (s: string) => errLine(`${c.green("✓")} ${s}`);
  const skip = (s: string) => errLine(`${c.dim("·")} ${s}`);
  const warn = (s: string) => errLine(`${c.yellow("!")} ${s}`);
  const agentDirs = { claude: claudeConfigDir(), codex: codexHome() };
  if (f.removeHooks) {
    const { removeHooks } = await import("../plugins/notify/install.ts");
    return removeHooks(agentDirs, { ok, skip, warn }) ? 1 : 0;
  }
  ensurePrivateDir(p.home);

  const template = await Deno.readTextFile(
    new URL("../skills/config.template.yaml", import.meta.url),
  );
  if (readTextOrNull(p.config) === null) {
    writeFileAtomic(p.config, template);
    Deno.chmodSync(p.config, 0o600);
    ok(`wrote ${tildePath(p.config)}`);
  } else skip(`${tildePath(p.config)} exists (kept)`);

  let conflicts = 0;
  if (f.skills !== false) {
    const { openDb, getSetting, setSetting } = await import("../core/store.ts");
    const db = openDb(p.db);
    const hash = await sha256();
    try {
      for (const t of skillTargets()) {
        const ours = await Deno.readTextFile(t.source);
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
    const { installHooks } = await import("../plugins/notify/install.ts");
    conflicts += await installHooks(agentDirs, !!f.force, { ok, skip, warn });
  }
  errLine("");
  errLine(
    `Next: edit ${tildePath(p.config)} (set DEEPSEEK_API_KEY or change the backends),`,
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
        "Write a commented config template (if there is none) and install the Claude Code " +
          "skills into ${CLAUDE_CONFIG_DIR:-~/.claude}/skills and the Codex agent into " +
          "${CODEX_HOME:-~/.codex}/agents. Safe to run again: files handoff installed are " +
          "updated, files you changed are kept unless you confirm (or pass --force).",
      )
      .option("--force", "replace installed files even where you changed them")
      .option("--no-skills", "only write the config template")
      .option(
        "--hooks",
        "also make Claude Code (settings.json hooks) and Codex (config.toml notify) call " +
          "`handoff notify`, keeping your own hooks",
      )
      .option("--remove-hooks", "take handoff's hooks out of those files again (nothing else)")
      .action(async (f) => setExitCode(await init(ctx, f)));
  },
};

/**
 * `handoff env`: where things are, what is configured (backends and plugins' settings),
 * which versions run. Secrets redacted.
 */
import type { CommandContext, CommandSpec } from "../../core/registry.ts";
import { setExitCode } from "../../core/cli.ts";
import { errLine, escapeControls, outLine } from "../../core/output.ts";
import { loadPluginSettings } from "../../core/config.ts";
import { type Manifest, manifestOf } from "../../core/plugin/manifest.ts";
import { commandVersion, which } from "../../core/proc.ts";
import { VERSION } from "../../core/version.ts";
import { referencedVars } from "../../core/template.ts";
import { HandoffError } from "../../core/errors.ts";

const SECRET_NAME = /TOKEN|KEY|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH/i;

/** Shows a config value without leaking a secret: references stay visible, literals do not. */
export function redact(name: string, template: string): string {
  const refs = referencedVars(template);
  if (refs.length && template.replace(/\$\{[^}]*\}/g, "") === "") {
    return template;
  }
  if (SECRET_NAME.test(name)) return template ? "<redacted>" : "";
  return template;
}

export async function env(
  ctx: CommandContext,
  f: { json?: boolean },
): Promise<number> {
  const p = ctx.paths();
  const info: Record<string, unknown> = {
    version: VERSION,
    deno: Deno.version.deno,
    home: p.home,
    config: p.config,
    db: p.db,
    tasks: p.tasks,
    runs: p.runs,
    backend_types: ctx.registry.backendTypes(),
  };
  try {
    const config = await ctx.config();
    info.default_backend = config.backends[0].name;
    info.warnings = config.warnings;
    info.backends = await Promise.all(config.backends.map(async (b) => {
      const launcher = ctx.registry.backend(b.type)!;
      const command = which(b.command ?? launcher.defaultCommand);
      return {
        name: b.name,
        type: b.type,
        model: b.model,
        pro_model: b.proModel,
        permission_mode: b.permissionMode,
        command: command ??
          `${b.command ?? launcher.defaultCommand} (not found)`,
        command_version: command ? await commandVersion(command) : null,
        env: Object.fromEntries(
          Object.entries(b.env).map(([k, v]) => [k, redact(k, v)]),
        ),
        missing_vars: Object.values(b.env).flatMap(referencedVars).filter((v) =>
          Deno.env.get(v) === undefined
        ),
      };
    }));
  } catch (e) {
    if (!(e instanceof HandoffError)) throw e;
    info.config_error = e.message;
    // First contact: say the one thing to do (on stderr: stdout stays key=value data).
    if (/^no config at /.test(e.message)) {
      errLine("handoff: no config yet: run `handoff init` (a commented template, and the skills)");
    } else if (e.hint) errLine(`hint: ${e.hint}`);
  }
  info.plugins = await pluginsInfo(ctx);
  if (f.json) {
    outLine(JSON.stringify(info, null, 2));
    return 0;
  }
  for (const [k, v] of Object.entries(info)) {
    if (k === "backends" || k === "plugins") continue;
    if (Array.isArray(v)) {
      if (k === "warnings") v.forEach((w) => outLine(`warning=${w}`));
      else outLine(`${k}=${v.join(",")}`);
    } else outLine(`${k}=${v}`);
  }
  for (const b of (info.backends ?? []) as Record<string, unknown>[]) {
    const base = `backend.${b.name}`;
    for (
      const key of [
        "type",
        "model",
        "pro_model",
        "permission_mode",
        "command",
        "command_version",
      ]
    ) {
      if (b[key] !== null && b[key] !== undefined) {
        outLine(`${base}.${key}=${b[key]}`);
      }
    }
    for (const [k, v] of Object.entries(b.env as Record<string, string>)) {
      outLine(`${base}.env.${k}=${v}`);
    }
    const missing = b.missing_vars as string[];
    if (missing.length) outLine(`${base}.missing_vars=${missing.join(",")}`);
  }
  const plugins = info.plugins as PluginInfo[];
  outLine(`plugins=${plugins.filter((p) => p.enabled).map((p) => p.name).join(",")}`);
  const disabled = plugins.filter((p) => !p.enabled).map((p) => p.name);
  if (disabled.length) outLine(`plugins_disabled=${disabled.join(",")}`);
  for (const p of plugins) {
    const base = `plugin.${p.name}`;
    if (p.problem) outLine(`${base}.problem=${escapeControls(p.problem)}`);
    for (const [k, v] of Object.entries(p.settings)) {
      outLine(`${base}.${k}=${escapeControls(String(v))}`);
    }
    if (p.config_error) outLine(`${base}.config_error=${escapeControls(p.config_error)}`);
  }
  return 0;
}

/** One plugin as `handoff env` shows it: enabled or not, why it was skipped, its settings. */
interface PluginInfo {
  name: string;
  origin: "builtin" | "installed";
  enabled: boolean;
  problem: string | null;
  /** As written in config.yaml (`${VAR}` unresolved), secrets redacted. */
  settings: Record<string, unknown>;
  config_error: string | null;
}

async function pluginsInfo(ctx: CommandContext): Promise<PluginInfo[]> {
  const out: PluginInfo[] = [];
  for (const k of ctx.registry.known()) {
    const row: PluginInfo = {
      name: k.name,
      origin: k.origin,
      enabled: k.enabled,
      problem: k.problem ?? null,
      settings: {},
      config_error: null,
    };
    out.push(row);
    let m: Manifest | null;
    try {
      m = await manifestOf(k);
    } catch (e) {
      row.problem ??= `its manifest: ${(e as Error).message}`;
      continue;
    }
    if (!m || Object.keys(m.config).length === 0) continue;
    try {
      const file = ctx.paths().config;
      // Rendered once for what the plugin would be told (an unset variable), shown as written.
      await loadPluginSettings(m.name, m.config, file);
      const settings = await loadPluginSettings(m.name, m.config, file, { render: false });
      row.settings = Object.fromEntries(
        Object.entries(settings).map((
          [key, v],
        ) => [key, typeof v === "string" ? redact(key, v) : v]),
      );
    } catch (e) {
      if (!(e instanceof HandoffError)) throw e;
      row.config_error = e.message;
    }
  }
  return out;
}

export const envCommand: CommandSpec = {
  name: "env",
  summary: "show paths, config, backends, plugins and versions",
  register(program, ctx) {
    program.command("env")
      .summary("show paths, config, backends, plugins and versions")
      .description(
        "Show paths, the configured backends, the plugins with their settings and problems (secrets redacted) and versions. Works with a broken config.",
      )
      .option("--json", "print JSON")
      .action(async (f) => setExitCode(await env(ctx, f)));
  },
};

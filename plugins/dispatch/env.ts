/** `handoff env`: where things are, what is configured, which versions run. Secrets redacted. */
import type { CommandContext, CommandSpec } from "../../core/registry.ts";
import { setExitCode } from "../../core/cli.ts";
import { errLine, outLine } from "../../core/output.ts";
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
  if (f.json) {
    outLine(JSON.stringify(info, null, 2));
    return 0;
  }
  for (const [k, v] of Object.entries(info)) {
    if (k === "backends") continue;
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
  return 0;
}

export const envCommand: CommandSpec = {
  name: "env",
  summary: "show paths, config, backends and versions",
  register(program, ctx) {
    program.command("env")
      .summary("show paths, config, backends and versions")
      .description(
        "Show paths, the configured backends (secrets redacted) and versions. Works with a broken config.",
      )
      .option("--json", "print JSON")
      .action(async (f) => setExitCode(await env(ctx, f)));
  },
};

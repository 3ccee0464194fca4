/**
 * `handoff backends` lists the configured backends. `handoff backends check [NAME]`: for
 * each configured backend (or one), a real one-line run and a resume of it, through
 * handoff itself, so what is checked is what a dispatch does. Reports the CLI's version, whether it answered, whether resume works, the time
 * taken, and for a failure handoff's own message and fix. The check runs are removed
 * afterwards (`--keep` leaves them in the ledger).
 */
import type { CommandContext, CommandSpec } from "../../core/registry.ts";
import { setExitCode } from "../../core/cli.ts";
import { usageError } from "../../core/errors.ts";
import {
  errColors,
  errLine,
  escapeControls,
  outColors,
  outLine,
  table,
} from "../../core/output.ts";
import { paths } from "../../core/paths.ts";
import { commandVersion, which } from "../../core/proc.ts";
import { selfArgv } from "../../core/self.ts";
import { durationFlag } from "../../core/duration.ts";
import { resolveBackendEnv } from "../../core/config.ts";

const PROMPT = "This is a connection check from `handoff backends check`. Reply with the word: ok";

/** What one backend's check found. */
export interface BackendCheck {
  name: string;
  type: string;
  command: string | null;
  version: string | null;
  answered: boolean;
  resume: "ok" | "failed" | "skipped";
  seconds: number;
  /** handoff's message for the failure, and its hint (the fix). */
  problem: string | null;
  fix: string | null;
}

/** handoff's own `handoff …: message` and `hint: …` lines from a failed command's stderr. */
export function problemOf(stderr: string): { problem: string | null; fix: string | null } {
  const lines = stderr.split("\n").map((l) => l.trim());
  const said = lines.filter((l) =>
    /^handoff( run)?: /.test(l) && !/^handoff run: last stderr/.test(l)
  )
    .map((l) => l.replace(/^handoff( run)?: (hint: )?/, ""));
  const hint =
    lines.find((l) => /^(handoff run: )?hint: /.test(l))?.replace(/^(handoff run: )?hint: /, "") ??
      null;
  const problem = said.find((l) => !l.startsWith("hint")) ?? null;
  return { problem, fix: hint };
}

/** The endpoints a backend's own env points its CLI at: every `…_BASE_URL` that is a URL. */
export function endpointsOf(env: Record<string, string>): { key: string; url: string }[] {
  return Object.entries(env)
    .filter(([k, v]) => k.endsWith("_BASE_URL") && URL.canParse(v))
    .map(([key, url]) => ({ key, url }));
}

/**
 * Why nothing accepts a connection at `url`'s host and port, or null when something does.
 * Agent CLIs retry a dead endpoint for minutes before they fail, so the check asks first.
 * Behind a proxy the CLI does not connect directly, so then nothing is asked.
 */
export async function unreachable(
  url: string,
  env: Record<string, string>,
  timeoutMs = 5_000,
): Promise<string | null> {
  const proxied = ["HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"]
    .some((k) =>
      env[k] || env[k.toLowerCase()] || Deno.env.get(k) || Deno.env.get(k.toLowerCase())
    );
  if (proxied) return null;
  const u = new URL(url);
  const port = Number(u.port) || (u.protocol === "https:" ? 443 : 80);
  const hostname = u.hostname.replace(/^\[(.*)\]$/, "$1");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const connecting = Deno.connect({ hostname, port });
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs / 1000} s`), timeoutMs);
  });
  try {
    const outcome = await Promise.race([connecting, late]);
    if (typeof outcome === "string") {
      connecting.then((c) => c.close(), () => {});
      return outcome;
    }
    outcome.close();
    return null;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    return message.replace(/ \(os error \d+\)$/, "");
  } finally {
    clearTimeout(timer);
  }
}

async function handoff(args: string[], timeoutMs: number) {
  const self = selfArgv();
  const child = new Deno.Command(self[0], {
    args: [...self.slice(1), "--home", paths().home, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // The run has its own --timeout; this only guards against a wedged handoff.
  const guard = setTimeout(() => child.kill("SIGKILL"), timeoutMs + 30_000);
  const out = await child.output();
  clearTimeout(guard);
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

async function checkOne(
  b: { name: string; type: string; command: string | null; where: string },
  env: Record<string, string>,
  timeoutMs: number,
  keep: boolean,
): Promise<BackendCheck> {
  const started = performance.now();
  const command = b.command ? which(b.command) : null;
  const version = command ? await commandVersion(command) : null;
  const result: BackendCheck = {
    name: b.name,
    type: b.type,
    command,
    version,
    answered: false,
    resume: "skipped",
    seconds: 0,
    problem: null,
    fix: null,
  };
  for (const e of endpointsOf(env)) {
    const why = await unreachable(e.url, env);
    if (!why) continue;
    result.problem = `endpoint unreachable: ${e.key}=${e.url}: ${why}`;
    result.fix = `start the server ${e.key} names, or correct the URL in backend ` +
      `"${b.name}"'s env (${b.where})`;
    result.seconds = Math.round((performance.now() - started) / 100) / 10;
    return result;
  }
  const timeout = `${Math.ceil(timeoutMs / 1000)}s`;
  const run = await handoff(
    ["run", "-b", b.name, "--json", "--slug", "backends check", "--timeout", timeout, PROMPT],
    timeoutMs,
  );
  let runId: string | null = null;
  try {
    const doc = JSON.parse(run.stdout);
    runId = doc.run_id ?? doc.run?.run_id ?? null;
  } catch { /* no JSON: handoff refused before the run started */ }
  const ids: string[] = runId ? [runId] : [];
  if (run.code === 0) {
    result.answered = true;
    const again = await handoff(
      ["resume", runId!, "--json", "--timeout", timeout, "Reply with the word: again"],
      timeoutMs,
    );
    try {
      const doc = JSON.parse(again.stdout);
      const id = doc.run_id ?? doc.run?.run_id;
      if (id) ids.push(id);
    } catch { /* refused before it started */ }
    result.resume = again.code === 0 ? "ok" : "failed";
    if (again.code !== 0) Object.assign(result, problemOf(again.stderr));
  } else {
    Object.assign(result, problemOf(run.stderr));
    result.problem ??= `exit ${run.code}`;
  }
  if (!keep && ids.length) await handoff(["rm", "--yes", ...ids], 10_000);
  result.seconds = Math.round((performance.now() - started) / 100) / 10;
  return result;
}

export async function backendsCheck(
  ctx: CommandContext,
  name: string | undefined,
  f: { json?: boolean; keep?: boolean; timeout?: string },
): Promise<number> {
  const timeoutMs = durationFlag("--timeout", f.timeout, { zero: false }) ?? 120_000;
  const config = await ctx.config();
  const chosen = name ? config.backends.filter((b) => b.name === name) : config.backends;
  if (name && chosen.length === 0) {
    throw usageError(
      `no backend named "${name}"`,
      `configured: ${config.backends.map((b) => b.name).join(", ")}`,
    );
  }
  const c = errColors();
  const results: BackendCheck[] = [];
  for (const b of chosen) {
    const launcher = ctx.registry.backend(b.type)!;
    if (!f.json) errLine(`${c.dim("…")} ${b.name}: a one-line run and its resume`);
    let env: Record<string, string> = {};
    // An env that does not resolve (an unset variable) is the run's to report, with its fix.
    try {
      env = resolveBackendEnv(b, { model: b.model, cwd: Deno.cwd(), runId: "check" });
    } catch { /* reported by the run */ }
    results.push(
      await checkOne(
        {
          name: b.name,
          type: b.type,
          command: b.command ?? launcher.defaultCommand,
          where: b.where,
        },
        env,
        timeoutMs,
        !!f.keep,
      ),
    );
  }
  const failed = results.filter((r) => !r.answered || r.resume === "failed");
  if (f.json) {
    outLine(JSON.stringify(results, null, 2));
    return failed.length ? 1 : 0;
  }
  const o = outColors();
  for (const r of results) {
    const mark = !r.answered ? o.red("✗") : r.resume === "failed" ? o.yellow("!") : o.green("✓");
    outLine(
      `${mark} ${r.name} (${r.type})  ${r.version ?? r.command ?? "CLI not found"}  ` +
        `answered: ${r.answered ? "yes" : "no"}  resume: ${r.resume}  ${r.seconds} s`,
    );
    if (r.problem) outLine(`    ${r.problem}`);
    if (r.fix) outLine(`    fix: ${r.fix}`);
  }
  return failed.length ? 1 : 0;
}

/** `handoff backends`: the configured backends, one line each; the first is the default. */
export async function backendsList(ctx: CommandContext, f: { json?: boolean }): Promise<number> {
  const config = await ctx.config();
  // As written in config.yaml: `${VAR}`s are not expanded here (env, with tokens, is not shown).
  const rows = config.backends.map((b, i) => ({
    name: b.name,
    type: b.type,
    model: b.model,
    pro_model: b.proModel,
    permission_mode: b.permissionMode,
    command: [b.command ?? ctx.registry.backend(b.type)?.defaultCommand ?? b.type, ...b.args]
      .join(" "),
    default: i === 0,
    description: b.description,
  }));
  if (f.json) {
    outLine(JSON.stringify(rows, null, 2));
    return 0;
  }
  const lines = table(
    ["NAME", "TYPE", "MODEL", "PERMISSIONS", "COMMAND"],
    rows.map((r) => [
      r.default ? `${r.name} (default)` : r.name,
      r.type,
      r.model + (r.pro_model ? ` (--pro: ${r.pro_model})` : ""),
      r.permission_mode,
      r.command,
    ]),
  );
  for (const l of lines) outLine(escapeControls(l));
  return 0;
}

export const backendsCommand: CommandSpec = {
  name: "backends",
  summary: "the configured backends; `backends check` tries each with a real one-line run",
  register(program, ctx) {
    const backends = program.command("backends")
      .summary("the configured backends; `backends check` tries each with a real one-line run")
      .description(
        "The configured backends from config.yaml, as written (the first is the default). " +
          "`handoff backends check` tries each one.",
      )
      .option("--json", "JSON array on stdout")
      .action(async (f) => setExitCode(await backendsList(ctx, f)));
    backends.command("check")
      .summary("start each backend (or NAME) with a one-line prompt, then resume it")
      .description(
        "For each configured backend (or only NAME): a real run with a one-line prompt and a " +
          "resume of it, through handoff. Prints the CLI's version, whether it answered, " +
          "whether resume works and the time taken; a failure shows handoff's message and its " +
          "fix (a missing CLI and its package, a missing token, an unreachable endpoint, root " +
          "without IS_SANDBOX). The check runs are removed afterwards unless --keep. Exit 1 " +
          "when a backend fails.",
      )
      .argument("[name]", "one backend")
      .option("--json", "JSON array on stdout")
      .option("--keep", "keep the check runs in the ledger")
      .option("--timeout <duration>", "per run (default 120s)")
      // commander hands a `--json` after `check` to `backends`, which has one too.
      .action(async (name, f) =>
        setExitCode(await backendsCheck(ctx, name, { ...f, json: f.json || backends.opts().json }))
      );
  },
};

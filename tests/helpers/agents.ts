// Pointing the real `claude` and `codex` CLIs at the fake model servers in
// tests/fakes. See /work/shared/reference/agent-clis-offline.md for why each
// setting is there.

import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** The tests' minimal ACP agent (no loadSession, vendor requests, refusals on demand). */
export const FAKE_ACP_AGENT = join(REPO_ROOT, "tests", "fakes", "fake_acp_agent.mjs");
export const BIN_DIR = join(REPO_ROOT, "node_modules", ".bin");
export const CLAUDE_BIN = join(BIN_DIR, "claude");
export const CODEX_BIN = join(BIN_DIR, "codex");

function basePath(): string {
  return `${BIN_DIR}:${Deno.env.get("PATH") ?? "/usr/local/bin:/usr/bin:/bin"}`;
}

/** The whole environment for `claude -p` against a fake Anthropic server.
 * `home` is a temp dir; config and transcripts go to `<home>/.claude`. */
export function claudeEnv(
  opts: { baseUrl: string; home: string },
): Record<string, string> {
  return {
    PATH: basePath(),
    HOME: opts.home,
    CLAUDE_CONFIG_DIR: join(opts.home, ".claude"),
    ANTHROPIC_BASE_URL: opts.baseUrl,
    ANTHROPIC_AUTH_TOKEN: "dummy",
    ANTHROPIC_MODEL: "fake-model",
    ANTHROPIC_SMALL_FAST_MODEL: "fake-model",
    // Only 127.0.0.1 is contacted with these three set.
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_AUTOUPDATER: "1",
    DISABLE_TELEMETRY: "1",
    // The default is 10 retries with backoff: minutes on a 5xx.
    CLAUDE_CODE_MAX_RETRIES: "0",
    // Root may not use --dangerously-skip-permissions without it.
    IS_SANDBOX: "1",
    // Bash tool scratch files, else they pile up in /tmp/claude-<uid>.
    CLAUDE_CODE_TMPDIR: join(opts.home, "tmp"),
  };
}

/** Writes `<dir>/config.toml` pointing codex at a fake OpenAI server.
 * `baseUrl` is the fake's url, with or without the trailing /v1. */
export async function writeCodexHome(
  dir: string,
  baseUrl: string,
): Promise<void> {
  const base = baseUrl.replace(/\/+$/, "");
  const v1 = base.endsWith("/v1") ? base : `${base}/v1`;
  const toml = `# Written by tests/helpers/agents.ts
model = "gpt-5.5"
model_provider = "fake"

[analytics]
enabled = false

[features]
plugins = false
unbounded_connection_retries = false

[model_providers.fake]
name = "Fake"
base_url = ${JSON.stringify(v1)}
wire_api = "responses"
env_key = "FAKE_OPENAI_KEY"
request_max_retries = 0
stream_max_retries = 0
`;
  // codex refuses a CODEX_HOME that does not exist.
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(join(dir, "config.toml"), toml);
}

/** The whole environment for `codex exec` with a home from writeCodexHome. */
export function codexEnv(
  opts: { codexHome: string; home: string },
): Record<string, string> {
  return {
    PATH: basePath(),
    HOME: opts.home,
    CODEX_HOME: opts.codexHome,
    FAKE_OPENAI_KEY: "dummy",
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON lines (non-JSON lines are skipped). */
  events: Record<string, unknown>[];
}

/** Runs a CLI with a clean env. stdin is closed at once (or after `stdin` is
 * written): both CLIs wait on an open stdin. Killed after `timeoutMs`. */
export async function runCli(
  bin: string,
  args: string[],
  opts: {
    cwd: string;
    env: Record<string, string>;
    stdin?: string;
    timeoutMs?: number;
  },
): Promise<CliResult> {
  const child = new Deno.Command(bin, {
    args,
    cwd: opts.cwd,
    env: opts.env,
    clearEnv: true,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(
    () => child.kill("SIGKILL"),
    opts.timeoutMs ?? 60_000,
  );
  try {
    if (opts.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      // A child that exits without reading stdin breaks the pipe: not our error.
      await writer.write(new TextEncoder().encode(opts.stdin)).catch(() => {});
      await writer.close().catch(() => {});
    }
    const out = await child.output();
    const stdout = new TextDecoder().decode(out.stdout);
    return {
      code: out.code,
      stdout,
      stderr: new TextDecoder().decode(out.stderr),
      events: jsonLines(stdout),
    };
  } finally {
    clearTimeout(timer);
  }
}

export function jsonLines(text: string): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      events.push(JSON.parse(line));
    } catch {
      // a partial or non-JSON line: not an event
    }
  }
  return events;
}

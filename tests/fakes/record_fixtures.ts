// Records the real CLIs' stdout for the stream-parser fixtures.
//   deno run -A tests/fakes/record_fixtures.ts
// Writes tests/fixtures/{claude,codex}/*.jsonl (raw stdout lines, temp paths
// replaced by stable ones) and tests/fixtures/manifest.json (exit codes, argv,
// CLI versions). Re-run after bumping a CLI version.

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startFakeAnthropic } from "./fake_anthropic.ts";
import { startFakeOpenAI } from "./fake_openai.ts";
import type { Script } from "./script.ts";
import type { FakeServer } from "./serve.ts";
import {
  CLAUDE_BIN,
  claudeEnv,
  type CliResult,
  CODEX_BIN,
  codexEnv,
  runCli,
  writeCodexHome,
} from "../helpers/agents.ts";

const FIXTURES = fileURLToPath(new URL("../fixtures", import.meta.url));
const STABLE_HOST = "127.0.0.1:8787";

const CLAUDE_FLAGS = ["--output-format", "stream-json", "--verbose"];
const CLAUDE_BYPASS = [...CLAUDE_FLAGS, "--dangerously-skip-permissions"];
const CODEX_FLAGS = [
  "--json",
  "--skip-git-repo-check",
  "--dangerously-bypass-approvals-and-sandbox",
];

const script: Script = {
  rules: [
    {
      match: "please make the file",
      steps: [
        {
          text: "Writing the file.",
          tool: {
            name: "Bash",
            input: { command: "echo hi > x.txt", description: "write x.txt" },
          },
          usage: { input_tokens: 120, output_tokens: 30 },
        },
        {
          text: "Created x.txt.",
          usage: { input_tokens: 180, output_tokens: 12 },
        },
      ],
    },
    {
      match: "please make the codex file",
      steps: [
        {
          reasoning: "The user wants a file.",
          text: "Writing the file.",
          tool: { name: "exec_command", input: { cmd: "echo hi > x.txt" } },
          usage: { input_tokens: 120, output_tokens: 30 },
        },
        {
          text: "Created x.txt.",
          usage: { input_tokens: 180, output_tokens: 12 },
        },
      ],
    },
    {
      match: "please patch",
      steps: [
        {
          text: "Adding y.txt.",
          custom: {
            name: "apply_patch",
            input: "*** Begin Patch\n*** Add File: y.txt\n+hello patch\n*** End Patch\n",
          },
        },
        { text: "Added y.txt." },
      ],
    },
    {
      match: "please run a command",
      steps: [
        {
          text: "Running it.",
          tool: {
            name: "Bash",
            input: {
              command: "node -e 'console.log(42)'",
              description: "run node",
            },
          },
        },
        { text: "The command was not allowed." },
      ],
    },
    { match: "follow up", steps: [{ text: "Still here: x.txt exists." }] },
    {
      match: "fail please",
      steps: [{ error: { status: 500, message: "boom" } }],
    },
  ],
};

interface Recorded {
  file: string;
  argv: string[];
  exit_code: number;
}

const manifest: Recorded[] = [];

/** Replaces temp paths and the fake's port by stable ones. */
function stabilise(text: string, tmp: string, fake: FakeServer): string {
  const pairs: [string, string][] = [
    [join(tmp, "cwd"), "/tmp/fixture-cwd"],
    [join(tmp, "home"), "/tmp/fixture-home"],
    [join(tmp, "codex"), "/tmp/fixture-codex-home"],
    [tmp, "/tmp/fixture"],
    // Claude's project dir name is the cwd with non-alphanumerics as "-".
    [join(tmp, "cwd").replace(/[^A-Za-z0-9]/g, "-"), "-tmp-fixture-cwd"],
    [`127.0.0.1:${fake.port}`, STABLE_HOST],
  ];
  for (const [from, to] of pairs) text = text.replaceAll(from, to);
  return text;
}

async function save(
  file: string,
  argv: string[],
  r: CliResult,
  tmp: string,
  fake: FakeServer,
) {
  // Only the error scenarios may fail; anything else means a broken setup.
  const expected = file.includes("error_") ? 1 : 0;
  if (r.code !== expected) {
    throw new Error(`${file}: exit ${r.code}, want ${expected}\n${r.stderr}`);
  }
  const path = join(FIXTURES, file);
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await Deno.writeTextFile(path, stabilise(r.stdout, tmp, fake));
  manifest.push({
    file,
    argv: argv.map((a) => stabilise(a, tmp, fake)),
    exit_code: r.code,
  });
  console.error(`${file}: exit ${r.code}, ${r.events.length} events`);
}

async function recordClaude() {
  const tmp = await Deno.makeTempDir({ prefix: "handoff-fixtures-" });
  const fake = await startFakeAnthropic({ script });
  try {
    const cwd = join(tmp, "cwd");
    await Deno.mkdir(cwd);
    const env = claudeEnv({ baseUrl: fake.url, home: join(tmp, "home") });
    const run = async (file: string, args: string[], runEnv = env) => {
      const r = await runCli(CLAUDE_BIN, args, { cwd, env: runEnv });
      await save(file, ["claude", ...args], r, tmp, fake);
      return r;
    };

    const first = await run("claude/success_tool.jsonl", [
      "-p",
      "please make the file x.txt",
      ...CLAUDE_BYPASS,
    ]);
    const sid = first.events.at(-1)?.session_id as string;
    await run("claude/resume.jsonl", [
      "-p",
      "--resume",
      sid,
      "follow up: is it there?",
      ...CLAUDE_BYPASS,
    ]);
    await run("claude/error_500.jsonl", [
      "-p",
      "fail please",
      ...CLAUDE_BYPASS,
    ]);
    // Default permission mode, no IS_SANDBOX: the Bash call is denied.
    const { IS_SANDBOX: _, ...strict } = env;
    const denied = await run(
      "claude/permission_denied.jsonl",
      ["-p", "please run a command", ...CLAUDE_FLAGS],
      strict,
    );
    const denials = denied.events.at(-1)?.permission_denials as unknown[];
    if (!denials?.length) throw new Error("no permission_denials recorded");
  } finally {
    await fake.close();
    await Deno.remove(tmp, { recursive: true });
  }
}

async function recordCodex() {
  const tmp = await Deno.makeTempDir({ prefix: "handoff-fixtures-" });
  const fake = await startFakeOpenAI({ script });
  try {
    const cwd = join(tmp, "cwd");
    await Deno.mkdir(cwd);
    const codexHome = join(tmp, "codex");
    await writeCodexHome(codexHome, fake.url);
    const env = codexEnv({ codexHome, home: join(tmp, "home") });
    const run = async (file: string, args: string[]) => {
      const r = await runCli(CODEX_BIN, args, { cwd, env });
      await save(file, ["codex", ...args], r, tmp, fake);
      return r;
    };

    const first = await run("codex/success_tool.jsonl", [
      "exec",
      ...CODEX_FLAGS,
      "please make the codex file x.txt",
    ]);
    const thread = first.events[0]?.thread_id as string;
    await run("codex/resume.jsonl", [
      "exec",
      "resume",
      thread,
      ...CODEX_FLAGS,
      "follow up: is it there?",
    ]);
    await run("codex/error_500.jsonl", ["exec", ...CODEX_FLAGS, "fail please"]);
    await run("codex/apply_patch.jsonl", [
      "exec",
      ...CODEX_FLAGS,
      "please patch",
    ]);
  } finally {
    await fake.close();
    await Deno.remove(tmp, { recursive: true });
  }
}

async function version(bin: string): Promise<string> {
  const tmp = await Deno.makeTempDir({ prefix: "handoff-fixtures-" });
  try {
    // codex --version writes into CODEX_HOME, so give it a throwaway one.
    const env = { ...codexEnv({ codexHome: tmp, home: tmp }) };
    const r = await runCli(bin, ["--version"], { cwd: tmp, env });
    return r.stdout.trim();
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

if (import.meta.main) {
  await recordClaude();
  await recordCodex();
  await Deno.writeTextFile(
    join(FIXTURES, "manifest.json"),
    JSON.stringify(
      {
        note:
          "Written by tests/fakes/record_fixtures.ts; stdout of the real CLIs against tests/fakes.",
        claude: await version(CLAUDE_BIN),
        codex: await version(CODEX_BIN),
        fixtures: manifest,
      },
      null,
      2,
    ) + "\n",
  );
}

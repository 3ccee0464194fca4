// `run` and `resume` parse plain command lines without commander (core/quick_args.ts):
// each line below must give what commander gives, or be handed to commander (null).
import assert from "node:assert/strict";
import { newProgram } from "../core/cli.ts";
import type { CommandContext, CommandSpec } from "../core/registry.ts";
import { quickRunArgs, runCommand } from "../plugins/dispatch/run.ts";
import { quickResumeArgs, resumeCommand } from "../plugins/dispatch/resume.ts";

/** What commander hands the command's action, or "error" when it refuses the line. */
async function viaCommander(spec: CommandSpec, args: string[]) {
  const program = await newProgram();
  await spec.register!(program, {} as CommandContext);
  const cmd = program.commands.find((c) => c.name() === spec.name)!;
  let got: unknown = "error";
  cmd.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  cmd.action((...a: unknown[]) => {
    const flags = a[a.length - 2] as Record<string, unknown>;
    const positionals = a.slice(0, -2).filter((x) => x !== undefined);
    got = { positionals, flags: { ...flags } };
  });
  program.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  try {
    await program.parseAsync([spec.name, ...args], { from: "user" });
  } catch {
    return "error";
  }
  return got;
}

const RUN_CASES: string[][] = [
  ["fix the bug"],
  ["-b", "fk", "fix the bug"],
  ["fix the bug", "-b", "fk"],
  ["--backend=fk", "-m", "opus", "--pro", "task"],
  ["-bfk", "-sone-two", "-C", "/tmp", "task"],
  ["-vd", "task"],
  ["-t", "90s", "--json", "-"],
  [],
  ["-"],
  ["--", "--help me"],
  ["--slug", "x", "--slug", "y", "task"],
  ["-m", "-x", "task"],
  ["--text", "two", "words"],
  ["--help"],
  ["-h"],
  ["--bogus", "task"],
  ["one", "two"],
  ["--json=1", "task"],
  ["-b"],
  ["--home", "/tmp", "task"],
  ["--no-color", "task"],
];

const RESUME_CASES: string[][] = [
  ["latest", "next step"],
  ["0102", "-"],
  ["my-slug"],
  ["--force", "latest", "again"],
  ["latest", "--backend", "other", "x"],
  [],
  ["a", "b", "c"],
  ["latest", "--text", "some", "words"],
  ["-h"],
];

Deno.test("quick parse: every line gives commander's result, or goes to commander", async () => {
  let quick = 0;
  const commands = [
    [runCommand, quickRunArgs, RUN_CASES],
    [resumeCommand, quickResumeArgs, RESUME_CASES],
  ] as const;
  for (const [spec, parse, cases] of commands) {
    for (const args of cases) {
      const q = parse(args);
      if (q === null) continue;
      quick++;
      assert.deepEqual(q, await viaCommander(spec, args), `${spec.name} ${JSON.stringify(args)}`);
    }
  }
  // The common lines take the quick path (else it saves nothing).
  assert.ok(quick >= 14, `only ${quick} lines were parsed without commander`);
});

Deno.test("quick parse: help, unknown options and wrong arity go to commander", () => {
  for (const args of [["--help"], ["-h"], ["--bogus", "x"], ["a", "b"], ["--text", "a"], ["-b"]]) {
    assert.equal(quickRunArgs(args), null, JSON.stringify(args));
  }
  assert.equal(quickResumeArgs([]), null);
});

Deno.test("quick parse: a command line runs without loading commander", async () => {
  const { runCli } = await import("../core/cli.ts");
  const { Registry } = await import("../core/registry.ts");
  const { bufferIo } = await import("../core/io.ts");
  const registry = new Registry();
  let ran: unknown = null;
  registry.use({
    name: "t",
    commands: [{
      ...runCommand,
      quick: (args) => Promise.resolve((ran = quickRunArgs(args)) && 0),
    }],
  });
  const io = bufferIo();
  assert.equal(await runCli(["run", "-b", "x", "task"], registry, { io }), 0);
  assert.deepEqual(ran, { positionals: ["task"], flags: { backend: "x" } });
});

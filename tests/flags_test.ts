// core/flags.ts against node:util parseArgs (the oracle) with the notify command's options.
import assert from "node:assert/strict";
import { parseArgs } from "node:util";
import { FlagError, type FlagSpec, parseFlags } from "../core/flags.ts";

const OPTIONS: Record<string, FlagSpec> = {
  type: { type: "string" },
  title: { type: "string" },
  message: { type: "string", short: "m" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

const LINES: string[][] = [
  [],
  ["hello"],
  ["--type", "stop", "-m", "done"],
  ["--type=stop", "--message=a=b"],
  ["-mdone", "pos"],
  ["-m", "-x"],
  ["-m", "-"],
  ["--title", "-"],
  ["--title", "-dash"],
  ["--title=-dash"],
  ["--title"],
  ["-m"],
  ["--json=yes"],
  ["--json", "--help"],
  ["-h"],
  ["-hm", "text"],
  ["-hmtext"],
  ["-hx"],
  ["--unknown"],
  ["--unknown=v", "after"],
  ["-x"],
  ["-"],
  ["--", "--type", "x"],
  ["a", "--", "-m"],
  ["--=x"],
  ['{"type":"agent-turn-complete"}'],
  ["--type", "a", "--type", "b"],
  ["--__proto__"],
  ["--message", ""],
];

Deno.test("parseFlags gives what node:util parseArgs gives, strict and not", () => {
  for (const strict of [true, false]) {
    for (const args of LINES) {
      let expected: unknown;
      try {
        const r = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict });
        expected = { values: { ...r.values }, positionals: r.positionals };
      } catch {
        expected = "error";
      }
      let actual: unknown;
      try {
        const r = parseFlags(args, OPTIONS, strict);
        actual = { values: { ...r.values }, positionals: r.positionals };
      } catch (e) {
        assert.ok(e instanceof FlagError, `${args.join(" ")}: ${e}`);
        actual = "error";
      }
      assert.deepEqual(actual, expected, `${strict ? "strict" : "loose"}: ${JSON.stringify(args)}`);
    }
  }
});

Deno.test("parseFlags: each strict error says what is wrong", () => {
  const message = (args: string[]) => {
    try {
      parseFlags(args, OPTIONS, true);
    } catch (e) {
      return (e as Error).message;
    }
    return "";
  };
  assert.match(message(["--nope"]), /Unknown option '--nope'/);
  assert.match(message(["--title"]), /--title <value>' argument missing/);
  assert.match(message(["--json=1"]), /--json' does not take an argument/);
  assert.match(message(["-m", "-x"]), /ambiguous.*--message=-x/);
});

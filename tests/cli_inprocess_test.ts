/**
 * Commands run in-process, as a newcomer's test of a command would: the registry, a home
 * of its own and buffered streams (core/io.ts), no subprocess.
 */
import assert from "node:assert/strict";
import { runCli } from "../core/cli.ts";
import { bufferIo } from "../core/io.ts";
import { pluginRegistry } from "../plugins/mod.ts";

async function inProcess(args: string[]) {
  const io = bufferIo();
  const code = await runCli(args, await pluginRegistry(), { io });
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

Deno.test("in-process: commands write to the streams they are given, and each call starts at exit 0", async () => {
  const home = Deno.makeTempDirSync({ prefix: "handoff-inproc-" });
  const before = Deno.env.get("HANDOFF_HOME");
  Deno.env.set("HANDOFF_HOME", home);
  try {
    const plugins = await inProcess(["plugin", "list", "--json"]);
    assert.equal(plugins.code, 0, plugins.stderr);
    const rows = plugins.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.ok(rows.some((r) => r.name === "sshd" && r.provides.includes("transport sshd")));

    const unknown = await inProcess(["no-such-command"]);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stdout, "");
    assert.match(unknown.stderr, /unknown command/);

    const runs = await inProcess(["list", "--json"]);
    assert.equal(runs.code, 0, runs.stderr);
    assert.deepEqual(JSON.parse(runs.stdout), []);

    const missing = await inProcess(["tail", "nope"]);
    assert.equal(missing.code, 1, missing.stderr);
    assert.match(missing.stderr, /^handoff: no run found for "nope"\nhint: /);
    // Nothing leaked to the real stdout: colours follow the given streams (not a terminal).
    assert.ok(!missing.stderr.includes("\u001b["), "no colour codes");
  } finally {
    if (before === undefined) Deno.env.delete("HANDOFF_HOME");
    else Deno.env.set("HANDOFF_HOME", before);
    Deno.removeSync(home, { recursive: true });
  }
});

Deno.test("in-process: every command's listed summary is the one its module registers", async () => {
  const { newProgram } = await import("../core/cli.ts");
  const registry = await pluginRegistry();
  const ctx = { registry } as Parameters<NonNullable<(typeof specs)[0]["register"]>>[1];
  const specs = registry.commands();
  for (const spec of specs) {
    if (!spec.register) continue;
    const program = await newProgram();
    await spec.register(program, ctx);
    const registered = program.commands.find((c) => c.name() === spec.name);
    assert.ok(registered, `${spec.name} registers no command of that name`);
    assert.equal(registered.summary(), spec.summary, spec.name);
  }
  // And the first-party manifests say the same (`plugin list` / `info` show them).
  for (const k of registry.known()) {
    const m = await k.manifest() as {
      provides?: { commands?: { name: string; summary?: string }[] };
    };
    for (const c of m.provides?.commands ?? []) {
      const spec = registry.command(c.name);
      if (spec && c.summary !== undefined) {
        assert.equal(c.summary, spec.summary, `${k.name} manifest: ${c.name}`);
      }
    }
  }
});

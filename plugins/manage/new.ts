/**
 * `handoff plugin new <name> --kind exec|module`: a working plugin to start from, like
 * `gh extension create`: a manifest, an entry that adds the command `<name>`, a README,
 * and a test (`node test.mjs`). `handoff plugin add ./<name>` accepts it as it is.
 */
import { join, resolve } from "../../core/path.ts";
import { usageError } from "../../core/errors.ts";
import { errColors, errLine } from "../../core/output.ts";
import { PLUGIN_API_VERSION } from "../../core/registry.ts";

const NAME = /^[a-z][a-z0-9-]{0,39}$/;

function manifest(name: string, kind: string, entry: string): string {
  return JSON.stringify(
    {
      name,
      version: "0.1.0",
      apiVersion: PLUGIN_API_VERSION,
      kind,
      entry,
      description: `the ${name} plugin`,
      provides: { commands: [{ name, summary: "say hello" }] },
    },
    null,
    2,
  ) + "\n";
}

const EXEC_ENTRY = (name: string) =>
  `#!/usr/bin/env node
// The ${name} plugin: handoff starts this program and speaks newline-delimited JSON-RPC 2.0
// on its stdin and stdout. Anything you print for people goes in an "output" notification
// (or on stderr); stdout carries only protocol messages.
import { createInterface } from "node:readline";

const send = (msg) => process.stdout.write(JSON.stringify({ jsonrpc: "2.0", ...msg }) + "\\n");

const methods = {
  initialize: ({ apiVersions }) => {
    if (!apiVersions.includes(${PLUGIN_API_VERSION})) throw new Error("needs plugin API ${PLUGIN_API_VERSION}");
    return { name: "${name}", version: "0.1.0", apiVersion: ${PLUGIN_API_VERSION} };
  },
  "command/run": ({ name, args }) => {
    const text = \`hello from ${name}\${args.length ? ": " + args.join(" ") : ""}\\n\`;
    send({ method: "output", params: { stream: "stdout", text } });
    return { exitCode: 0 };
  },
};

createInterface({ input: process.stdin }).on("line", async (line) => {
  if (!line.trim()) return;
  const { id, method, params } = JSON.parse(line);
  try {
    const fn = methods[method];
    if (!fn) return send({ id, error: { code: -32601, message: \`unknown method \${method}\` } });
    send({ id, result: await fn(params ?? {}) });
  } catch (e) {
    send({ id, error: { code: -32000, message: String(e?.message ?? e) } });
  }
});
`;

const EXEC_TEST = (name: string) =>
  `// node test.mjs: starts the plugin as handoff would and checks its answers.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import assert from "node:assert/strict";

const child = spawn(new URL("./plugin.mjs", import.meta.url).pathname, { stdio: ["pipe", "pipe", "inherit"] });
const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
const call = async (id, method, params) => {
  child.stdin.write(JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\\n");
  const seen = [];
  for (;;) {
    const msg = JSON.parse((await lines.next()).value);
    if (msg.id === id) return { msg, seen };
    seen.push(msg);
  }
};
const hello = await call(1, "initialize", { handoffVersion: "test", apiVersions: [${PLUGIN_API_VERSION}] });
assert.equal(hello.msg.result.name, "${name}");
const run = await call(2, "command/run", { name: "${name}", args: ["there"] });
assert.equal(run.msg.result.exitCode, 0);
assert.equal(run.seen[0].params.text, "hello from ${name}: there\\n");
child.stdin.end();
console.log("ok");
`;

const MODULE_ENTRY = (name: string) =>
  `// The ${name} plugin: one self-contained ES module (no npm:, jsr: or https: imports),
// imported by handoff and handed the host API: { apiVersion, handoffVersion, plugin,
// config, dataDir, log(message) }.
export function activate(host) {
  return {
    name: "${name}",
    commands: [{
      name: "${name}",
      summary: "say hello",
      run(args) {
        console.log(\`hello from ${name}\${args.length ? ": " + args.join(" ") : ""}\`);
        return 0;
      },
    }],
  };
}
`;

const MODULE_TEST = (name: string) =>
  `// node test.mjs: activates the plugin with a stand-in host and runs its command.
import assert from "node:assert/strict";
import { activate } from "./plugin.js";

const plugin = activate({ apiVersion: ${PLUGIN_API_VERSION}, plugin: "${name}", config: {}, log() {} });
assert.equal(plugin.name, "${name}");
assert.equal(await plugin.commands[0].run(["there"]), 0);
console.log("ok");
`;

const README = (name: string, kind: string) =>
  `# ${name}

A handoff plugin (${kind}). Try it:

    node ${name}/test.mjs           # its own test
    handoff plugin add ./${name}    # linked: edits take effect at once
    handoff ${name} there           # hello from ${name}: there

What a plugin can provide (backends, commands, notification sources, event sinks) and
the protocol are in handoff's docs/plugins.md.
`;

export function scaffold(name: string, f: { kind?: string; dir?: string }): number {
  if (!NAME.test(name)) {
    throw usageError(`"${name}" is not a plugin name: a-z, 0-9 and -, at most 40`);
  }
  const kind = f.kind ?? "exec";
  if (kind !== "exec" && kind !== "module") {
    throw usageError(`--kind is exec or module, not "${kind}"`);
  }
  const dir = resolve(f.dir ?? ".", name);
  try {
    Deno.mkdirSync(dir);
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) {
      throw usageError(`${dir} already exists: nothing written`);
    }
    throw e;
  }
  const write = (file: string, text: string, mode = 0o644) => {
    Deno.writeTextFileSync(join(dir, file), text, { mode });
    Deno.chmodSync(join(dir, file), mode);
  };
  if (kind === "exec") {
    write("handoff-plugin.json", manifest(name, kind, "plugin.mjs"));
    write("plugin.mjs", EXEC_ENTRY(name), 0o755);
    write("test.mjs", EXEC_TEST(name));
  } else {
    write("handoff-plugin.json", manifest(name, kind, "plugin.js"));
    write("plugin.js", MODULE_ENTRY(name));
    write("test.mjs", MODULE_TEST(name));
  }
  write(
    "package.json",
    JSON.stringify({ name: `handoff-${name}`, private: true, type: "module" }, null, 2) + "\n",
  );
  write("README.md", README(name, kind));
  errLine(
    `${errColors().green("✓")} ${dir}: try \`node ${
      join(dir, "test.mjs")
    }\`, then \`handoff plugin add ${dir}\``,
  );
  return 0;
}

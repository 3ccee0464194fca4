/**
 * Third-party plugins through the real CLI: `plugin add` from a directory, a local bare
 * git repository and a tarball on 127.0.0.1; consent; tampering; and every way an
 * executable plugin can misbehave (crash, hang, wrong API version, wrong name, garbage),
 * each a clear error naming the plugin that breaks no other command.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withWorld, type World } from "./helpers/handoff.ts";
import { writeManifest } from "./helpers/plugins.ts";

/** A node plugin providing the command `greet`; `behaviour` picks how it misbehaves. */
function pluginScript(behaviour: string, name = "greeter", version = "0.1.0"): string {
  return `#!/usr/bin/env node
import { createInterface } from "node:readline";
const send = (m) => process.stdout.write(JSON.stringify({ jsonrpc: "2.0", ...m }) + "\\n");
const behaviour = ${JSON.stringify(behaviour)};
if (behaviour === "crash") { console.error("boom: cannot find my config"); process.exit(3); }
createInterface({ input: process.stdin }).on("line", (line) => {
  const { id, method, params } = JSON.parse(line);
  if (method === "initialize") {
    if (behaviour === "hang") return;
    if (behaviour === "garbage") return process.stdout.write("Hello, I am not JSON-RPC\\n");
    const apiVersion = behaviour === "api99" ? 99 : 1;
    const name = behaviour === "wrongname" ? "someone-else" : ${JSON.stringify(name)};
    return send({ id, result: { name, version: ${JSON.stringify(version)}, apiVersion } });
  }
  if (method === "command/run") {
    if (behaviour === "die-in-command") process.exit(7);
    send({ method: "output", params: { stream: "stdout", text: "hello " + params.args.join(" ") + " v${version}\\n" } });
    return send({ id, result: { exitCode: params.args[0] === "fail" ? 4 : 0 } });
  }
  if (method === "source/parse") return send({ id, error: { code: -32000, message: "source exploded" } });
  send({ id, error: { code: -32601, message: "no " + method } });
});
`;
}

function writePlugin(
  dir: string,
  behaviour = "ok",
  o: { version?: string; sources?: boolean } = {},
) {
  writeManifest(dir, {
    name: "greeter",
    version: o.version ?? "0.1.0",
    apiVersion: 1,
    kind: "exec",
    entry: "plugin.mjs",
    description: "says hello",
    provides: {
      commands: [{ name: "greet", summary: "say hello" }],
      ...(o.sources ? { sources: ["greeter-hooks"] } : {}),
    },
  });
  Deno.writeTextFileSync(join(dir, "plugin.mjs"), pluginScript(behaviour, "greeter", o.version), {
    mode: 0o755,
  });
  Deno.chmodSync(join(dir, "plugin.mjs"), 0o755);
}

async function git(cwd: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("git", {
    args: ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout).trim();
}

async function lock(w: World) {
  return JSON.parse(await Deno.readTextFile(join(w.home, "plugins", "lock.json")));
}

Deno.test("plugin add from a directory: linked, listed, its command runs, exit codes pass through", async () => {
  await withWorld(async (w) => {
    const dir = join(w.dir, "greeter");
    writePlugin(dir);
    const add = await w.handoff(["plugin", "add", dir, "--yes", "--json"]);
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stderr, /greeter 0\.1\.0 \(exec plugin\) from .*greeter/);
    assert.match(add.stderr, /runs .*plugin\.mjs \(through \/usr\/bin\/env node\) as you/);
    assert.equal(JSON.parse(add.stdout).linked, true);
    const greet = await w.handoff(["greet", "world"]);
    assert.equal(greet.code, 0, greet.stderr);
    assert.equal(greet.stdout, "hello world v0.1.0\n");
    assert.equal((await w.handoff(["greet", "fail"])).code, 4);
    // Linked: an edit takes effect at once.
    Deno.writeTextFileSync(join(dir, "plugin.mjs"), pluginScript("ok", "greeter", "0.1.1"));
    assert.equal((await w.handoff(["greet", "again"])).stdout, "hello again v0.1.1\n");
    const list = await w.handoff(["plugin", "list", "--json"]);
    const row = list.stdout.trim().split("\n").map((l) => JSON.parse(l)).find((r) =>
      r.name === "greeter"
    );
    assert.deepEqual([row.kind, row.origin, row.enabled, row.provides], [
      "exec",
      "installed",
      true,
      ["command greet"],
    ]);
    // Disabled: the command says so; enabled again it works.
    assert.equal((await w.handoff(["plugin", "disable", "greeter"])).code, 0);
    const off = await w.handoff(["greet"]);
    assert.equal(off.code, 2);
    assert.match(off.stderr, /greet belongs to the plugin greeter, which is disabled/);
    assert.equal((await w.handoff(["plugin", "enable", "greeter"])).code, 0);
    assert.equal((await w.handoff(["greet", "x"])).code, 0);
    const rm = await w.handoff(["plugin", "remove", "greeter"]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.ok(Deno.statSync(join(dir, "plugin.mjs")).isFile, "a linked directory is left alone");
    assert.equal((await w.handoff(["greet"])).code, 2);
  });
});

Deno.test("plugin add: no consent without a terminal or --yes, and nothing is installed", async () => {
  await withWorld(async (w) => {
    const dir = join(w.dir, "greeter");
    writePlugin(dir);
    const r = await w.handoff(["plugin", "add", dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /greeter was not installed: agreeing to run it needs a terminal/);
    assert.match(r.stderr, /pass --yes/);
    assert.throws(() => Deno.statSync(join(w.home, "plugins", "lock.json")));
    assert.equal((await w.handoff(["greet"])).code, 2);
  });
});

Deno.test("plugin add from a bare git repository: copied, locked to the commit; tampering is refused", async () => {
  await withWorld(async (w) => {
    const src = join(w.dir, "src");
    writePlugin(src);
    await git(src, "init", "-q", "-b", "main");
    await git(src, "add", ".");
    await git(src, "commit", "-q", "-m", "v0.1.0");
    const bare = join(w.dir, "greeter.git");
    await git(w.dir, "clone", "-q", "--bare", src, bare);
    const first = await git(src, "rev-parse", "HEAD");

    const add = await w.handoff(["plugin", "add", `file://${bare}`, "--yes"]);
    assert.equal(add.code, 0, add.stderr);
    const entry = (await lock(w)).plugins.greeter;
    assert.equal(entry.resolved, first);
    assert.equal(entry.linked, false);
    assert.ok(entry.path.startsWith(join(w.home, "plugins")));
    assert.deepEqual(Object.keys(entry.files).sort(), ["handoff-plugin.json", "plugin.mjs"]);
    assert.match(entry.files["plugin.mjs"], /^[0-9a-f]{64}$/);
    assert.equal((await w.handoff(["greet", "git"])).stdout, "hello git v0.1.0\n");
    assert.equal((await w.handoff(["plugin", "verify"])).code, 0);

    // A new commit upstream: upgrade --dry-run says so and changes nothing; upgrade moves.
    writePlugin(src, "ok", { version: "0.2.0" });
    await git(src, "commit", "-q", "-am", "v0.2.0");
    await git(src, "push", "-q", bare, "main");
    const dry = await w.handoff(["plugin", "upgrade", "greeter", "--dry-run"]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stderr, new RegExp(`greeter: ${first} → [0-9a-f]{40}`));
    assert.equal((await w.handoff(["greet"])).stdout, "hello  v0.1.0\n");
    const up = await w.handoff(["plugin", "upgrade", "--all", "--yes"]);
    assert.equal(up.code, 0, up.stderr);
    assert.equal((await w.handoff(["greet", "new"])).stdout, "hello new v0.2.0\n");

    // Someone edits the installed copy: it is refused until agreed to again.
    const installed = join((await lock(w)).plugins.greeter.path, "plugin.mjs");
    Deno.writeTextFileSync(installed, pluginScript("ok", "greeter", "6.6.6"));
    const tampered = await w.handoff(["greet"]);
    assert.equal(tampered.code, 1);
    assert.match(
      tampered.stderr,
      /plugin greeter: its files changed since you agreed to run it \(plugin\.mjs \(changed\)\): refused/,
    );
    const verify = await w.handoff(["plugin", "verify"]);
    assert.equal(verify.code, 1);
    assert.match(verify.stdout, /greeter: CHANGED: plugin\.mjs \(changed\)/);
    assert.match(verify.stderr, /1 plugin\(s\) changed: .*installs that source's files/);
    assert.match(tampered.stderr, /installs that source's files again \(replacing these\)/);
    const listed = await w.handoff(["plugin", "list"]);
    assert.match(listed.stdout, /greeter .* skipped .*its files changed since you agreed/);
    // Other commands do not care.
    assert.equal((await w.handoff(["list"])).code, 0);
    // Re-adding restores the consented files.
    assert.equal((await w.handoff(["plugin", "add", `file://${bare}`, "--yes"])).code, 0);
    assert.equal((await w.handoff(["greet", "ok"])).stdout, "hello ok v0.2.0\n");

    // Pinned: upgrade leaves it alone.
    assert.equal(
      (await w.handoff(["plugin", "add", `file://${bare}`, "--pin", "main", "--yes"])).code,
      0,
    );
    const pinned = await w.handoff(["plugin", "upgrade", "greeter"]);
    assert.match(pinned.stderr, /pinned to main: left alone/);
    const rm = await w.handoff(["plugin", "remove", "greeter"]);
    assert.equal(rm.code, 0);
    assert.throws(() => Deno.statSync(installed));
  });
});

Deno.test("plugin add from a tarball on 127.0.0.1: sha256 recorded; a 404 is a clear error", async () => {
  await withWorld(async (w) => {
    const src = join(w.dir, "pkg", "greeter-0.1.0");
    writePlugin(src);
    const tgz = join(w.dir, "greeter-0.1.0.tgz");
    const tar = await new Deno.Command("tar", {
      args: ["-czf", tgz, "-C", join(w.dir, "pkg"), "greeter-0.1.0"],
    }).output();
    assert.ok(tar.success);
    const data = Deno.readFileSync(tgz);
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      (req) =>
        new URL(req.url).pathname === "/greeter-0.1.0.tgz"
          ? new Response(data)
          : new Response("no", { status: 404 }),
    );
    try {
      const base = `http://127.0.0.1:${server.addr.port}`;
      const add = await w.handoff(["plugin", "add", `${base}/greeter-0.1.0.tgz`, "--yes"]);
      assert.equal(add.code, 0, add.stderr);
      assert.match((await lock(w)).plugins.greeter.resolved, /^sha256:[0-9a-f]{64}$/);
      assert.equal((await w.handoff(["greet", "tgz"])).stdout, "hello tgz v0.1.0\n");
      const missing = await w.handoff(["plugin", "add", `${base}/nope.tgz`, "--yes"]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /downloading .*nope\.tgz failed: HTTP 404/);
    } finally {
      await server.shutdown();
    }
  });
});

Deno.test("a misbehaving exec plugin: each failure names it, and other commands still work", async () => {
  await withWorld(async (w) => {
    const dir = join(w.dir, "greeter");
    const cases: [string, RegExp][] = [
      [
        "crash",
        /plugin greeter: handshake failed: exited with status 3: boom: cannot find my config/,
      ],
      ["hang", /plugin greeter: handshake failed: initialize got no answer within 300 ms/],
      ["api99", /plugin greeter: handshake failed: it speaks plugin API 99; this handoff speaks 1/],
      ["wrongname", /plugin greeter: handshake failed: it says its name is "someone-else"/],
      [
        "garbage",
        /plugin greeter: handshake failed: sent something that is not JSON-RPC: "Hello, I am not JSON-RPC"/,
      ],
      ["die-in-command", /plugin greeter: exited with status 7/],
    ];
    for (const [behaviour, expected] of cases) {
      writePlugin(dir, behaviour);
      assert.equal((await w.handoff(["plugin", "add", dir, "--yes"])).code, 0);
      const started = Date.now();
      const r = await w.handoff(["greet"], { env: { HANDOFF_PLUGIN_HANDSHAKE_MS: "300" } });
      assert.equal(r.code, 1, `${behaviour}: ${r.stderr}`);
      assert.match(r.stderr, expected, behaviour);
      assert.match(r.stderr, /hint: handoff plugin info greeter .* handoff plugin disable greeter/);
      assert.ok(Date.now() - started < 15_000, `${behaviour} took too long`);
      // The rest of handoff is untouched by it.
      const list = await w.handoff(["list"]);
      assert.equal(list.code, 0, `${behaviour}: list ${list.stderr}`);
    }
  });
});

Deno.test("a notification source that fails: notify reports it and still records the event", async () => {
  await withWorld(async (w) => {
    const dir = join(w.dir, "greeter");
    writePlugin(dir, "ok", { sources: true });
    assert.equal((await w.handoff(["plugin", "add", dir, "--yes"])).code, 0);
    // A Claude Code payload never reaches the plugin: the first-party source claims it.
    const claude = await w.handoff(["notify"], {
      stdin: JSON.stringify({
        hook_event_name: "Stop",
        session_id: "s1",
        last_assistant_message: "done",
      }),
    });
    assert.equal(claude.code, 0);
    assert.equal(claude.stderr, "");
    // An unknown payload is offered to the plugin, which fails: said, and the fallback records it.
    const other = await w.handoff(["notify"], {
      stdin: JSON.stringify({ message: "from elsewhere" }),
    });
    assert.equal(other.code, 0);
    assert.match(other.stderr, /source greeter-hooks failed: plugin greeter: source exploded/);
    const events = await w.handoff(["events", "--json"]);
    assert.match(events.stdout, /Claude finished/);
    assert.match(events.stdout, /from elsewhere/);
  });
});

Deno.test("plugin build: a TypeScript module with its own imports becomes one module that plugin add takes", async () => {
  await withWorld(async (w) => {
    const dir = join(w.dir, "tsplug");
    Deno.mkdirSync(join(dir, "lib"), { recursive: true });
    Deno.writeTextFileSync(
      join(dir, "handoff-plugin.json"),
      JSON.stringify({
        name: "tsplug",
        version: "1.0.0",
        apiVersion: 1,
        kind: "module",
        entry: "main.ts",
        provides: { commands: [{ name: "shout", summary: "upper-case the arguments" }] },
      }),
    );
    Deno.writeTextFileSync(
      join(dir, "lib", "shout.ts"),
      "export const shout = (s: string): string => s.toUpperCase();\n",
    );
    Deno.writeTextFileSync(
      join(dir, "main.ts"),
      `import { shout } from "./lib/shout.ts";
export function activate(_host: unknown) {
  return { name: "tsplug", commands: [{ name: "shout", summary: "s", run(args: string[]) { console.log(shout(args.join(" "))); return 0; } }] };
}
`,
    );
    // deno bundle fetches esbuild from npm once: share the caller's cache and trust store.
    const denoDir = Deno.env.get("DENO_DIR") ??
      join(Deno.env.get("HOME") ?? "/root", ".cache/deno");
    const built = await w.handoff(["plugin", "build", dir], {
      env: { DENO_DIR: denoDir, DENO_TLS_CA_STORE: "mozilla,system" },
    });
    assert.equal(built.code, 0, built.stderr);
    const dist = join(dir, "dist");
    assert.equal(
      JSON.parse(Deno.readTextFileSync(join(dist, "handoff-plugin.json"))).entry,
      "tsplug.js",
    );
    assert.doesNotMatch(Deno.readTextFileSync(join(dist, "tsplug.js")), /from "\.\/lib/);
    assert.equal((await w.handoff(["plugin", "add", dist, "--yes"])).code, 0);
    const r = await w.handoff(["shout", "hello", "there"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "HELLO THERE\n");
    // A module with an npm: import is refused by add, with the way out.
    Deno.writeTextFileSync(
      join(dir, "main.ts"),
      `import x from "npm:left-pad@1.3.0";\nexport const activate = () => x;\n`,
    );
    const refused = await w.handoff(["plugin", "add", dir, "--yes"]);
    assert.equal(refused.code, 2);
    assert.match(
      refused.stderr,
      /main\.ts imports npm:left-pad@1\.3\.0: a module plugin must be one self-contained module/,
    );
    assert.match(refused.stderr, /handoff plugin build/);
  });
});

Deno.test("disabling first-party plugins: users go first; a disabled notify records nothing and exits 0", async () => {
  await withWorld(async (w) => {
    const refused = await w.handoff(["plugin", "disable", "notify"]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /notify is needed by dispatch/);
    assert.equal((await w.handoff(["plugin", "disable", "dispatch"])).code, 0);
    const needed = await w.handoff(["plugin", "disable", "notify"]);
    assert.match(needed.stderr, /notify is needed by approvals/);
    for (const p of ["acp", "approvals"]) {
      const r = await w.handoff(["plugin", "disable", p]);
      assert.equal(r.code, 0, r.stderr);
    }
    const off = await w.handoff(["plugin", "disable", "notify"]);
    assert.equal(off.code, 0, off.stderr);
    const hook = await w.handoff(["notify", "--title", "t", "--message", "lost?"]);
    assert.equal(hook.code, 0);
    assert.match(hook.stderr, /notify is disabled, nothing recorded/);
    assert.equal((await w.handoff(["plugin", "enable", "notify"])).code, 0);
    const events = await w.handoff(["events", "--json", "--since", "0"]);
    assert.equal(events.code, 0, events.stderr);
    assert.equal(events.stdout, "");
    assert.equal((await w.handoff(["plugin", "disable", "manage"])).code, 2);
  });
});

Deno.test("transports through the registry: without sshd pair says what to enable; without tailscale it asks for --host", async () => {
  await withWorld(async (w) => {
    assert.equal((await w.handoff(["plugin", "disable", "sshd"])).code, 0);
    const noAccess = await w.handoff(["pair", "--host", "127.0.0.1", "--no-wait"]);
    assert.equal(noAccess.code, 1);
    assert.match(noAccess.stderr, /no transport installs device keys/);
    assert.match(noAccess.stderr, /handoff plugin enable sshd/);
    const doctor = await w.handoff(["doctor", "--json"]);
    const ids = JSON.parse(doctor.stdout).checks.map((c: { id: string }) => c.id);
    assert.ok(!ids.includes("sshd") && ids.includes("tmux"), ids.join(" "));
    assert.equal((await w.handoff(["plugin", "enable", "sshd"])).code, 0);
    assert.equal((await w.handoff(["plugin", "disable", "tailscale"])).code, 0);
    const noAddress = await w.handoff(["pair", "--no-wait"]);
    assert.equal(noAddress.code, 2);
    assert.match(noAddress.stderr, /no address for the phone to dial/);
    assert.doesNotMatch(noAddress.stderr, /Tailscale/);
    const paired = await w.handoff(["pair", "--host", "127.0.0.1", "--no-wait", "--json"]);
    assert.equal(paired.code, 0, paired.stderr);
    assert.equal(JSON.parse(paired.stdout).payload.i, "127.0.0.1");
  });
});

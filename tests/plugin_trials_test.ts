/**
 * Plugins doing what a tester found handoff mishandled: a manifest that round-trips badly,
 * an unreadable lock entry, a module that never settles, sources that hang one after
 * another, Ctrl-C during a plugin's command, upgrades and their exit codes, required
 * settings, and a linked folder whose manifest was edited. Each through the real CLI.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { pidsWith, waitFor, withWorld, type World } from "./helpers/handoff.ts";
import { readManifest, writeManifest } from "./helpers/plugins.ts";

/** An exec plugin (node) whose `command/run` and `source/parse` do what `how` says. */
function writeExec(
  dir: string,
  name: string,
  o: { command?: string; summary?: string; source?: boolean; shebang?: string; how?: string },
) {
  writeManifest(dir, {
    name,
    version: "0.1.0",
    apiVersion: 1,
    kind: "exec",
    entry: "plugin.mjs",
    provides: {
      ...(o.command
        ? { commands: [{ name: o.command, ...(o.summary ? { summary: o.summary } : {}) }] }
        : {}),
      ...(o.source ? { sources: [`${name}-src`] } : {}),
    },
  });
  Deno.writeTextFileSync(
    join(dir, "plugin.mjs"),
    `${o.shebang ?? "#!/usr/bin/env node"}
import { createInterface } from "node:readline";
import { writeFileSync } from "node:fs";
const send = (m) => process.stdout.write(JSON.stringify({ jsonrpc: "2.0", ...m }) + "\\n");
const how = ${JSON.stringify(o.how ?? "ok")};
createInterface({ input: process.stdin }).on("line", (line) => {
  const { id, method, params } = JSON.parse(line);
  if (method === "initialize") return send({ id, result: { name: ${
      JSON.stringify(name)
    }, version: "0.1.0", apiVersion: 1 } });
  if (method === "command/run") {
    if (how === "busy") {
      writeFileSync(params.args[0], String(process.pid));
      process.stdin.pause();
      // A plugin that ignores both still stops: SIGTERM, then SIGKILL after a grace period.
      process.on("SIGINT", () => {});
      process.on("SIGTERM", () => {});
      setInterval(() => {}, 1000);
      return;
    }
    send({ method: "output", params: { stream: "stdout", text: "hi\\n" } });
    return send({ id, result: { exitCode: 0 } });
  }
  if (method === "source/parse") return; // never answers
  send({ id, error: { code: -32601, message: "no " + method } });
});
`,
    { mode: 0o755 },
  );
  Deno.chmodSync(join(dir, "plugin.mjs"), 0o755);
}

/** A module source plugin whose module or activate() never settles. */
function writeStuckModule(dir: string, name: string, where: "top-level" | "activate") {
  writeManifest(dir, {
    name,
    version: "1.0.0",
    apiVersion: 1,
    kind: "module",
    entry: "plugin.js",
    provides: { sources: [`${name}-src`] },
  });
  Deno.writeTextFileSync(
    join(dir, "plugin.js"),
    where === "top-level"
      ? "await new Promise(() => {});\nexport function activate() {}\n"
      : "export async function activate() {\n  await new Promise(() => {});\n}\n",
  );
}

async function git(cwd: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command("git", {
    args: ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args],
    cwd,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

function lockFile(w: World): string {
  return join(w.home, "plugins", "lock.json");
}

Deno.test("a command without a summary installs and runs; an unreadable lock entry costs only its plugin", async () => {
  await withWorld(async (w) => {
    writeExec(join(w.dir, "plain"), "plain", { command: "plain" });
    writeExec(join(w.dir, "other"), "other", { command: "other", summary: "another" });
    for (const p of ["plain", "other"]) {
      const r = await w.handoff(["plugin", "add", join(w.dir, p), "--yes"]);
      assert.equal(r.code, 0, r.stderr);
    }
    const run = await w.handoff(["plain"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "hi\n");
    assert.doesNotMatch(run.stderr, /damaged|skipped/);

    // A lock entry this handoff cannot read (a newer handoff's, say): only it is skipped.
    const lock = JSON.parse(Deno.readTextFileSync(lockFile(w)));
    lock.plugins.other.manifest.apiVersion = 99;
    Deno.writeTextFileSync(lockFile(w), JSON.stringify(lock));
    const still = await w.handoff(["plain"]);
    assert.equal(still.code, 0, still.stderr);
    assert.match(still.stderr, /plugin other skipped: its lock entry cannot be read: .*apiVersion/);
    const list = await w.handoff(["plugin", "list"]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^other\s+\?\s+\?\s+skipped/m);
    assert.match(list.stdout, /^plain\s+0\.1\.0\s+exec\s+enabled/m);
    const info = await w.handoff(["plugin", "info", "other"]);
    assert.equal(info.code, 1);
    assert.match(info.stderr, /hint: handoff plugin remove other/);
    const verify = await w.handoff(["plugin", "verify"]);
    assert.equal(verify.code, 1);
    assert.match(verify.stdout, /other: UNREADABLE: its lock entry/);
    const upgrade = await w.handoff(["plugin", "upgrade", "other"]);
    assert.equal(upgrade.code, 1);
    assert.match(
      upgrade.stderr,
      /other: its lock entry cannot be read .*hint: handoff plugin remove other/s,
    );
    const all = await w.handoff(["plugin", "upgrade", "--all", "--dry-run"]);
    assert.equal(all.code, 1);
    assert.match(all.stderr, /other: skipped: its lock entry cannot be read/);
    // Another plugin command writes the lock: the unreadable entry is kept as it was.
    assert.equal((await w.handoff(["plugin", "disable", "plain"])).code, 0);
    const kept = JSON.parse(Deno.readTextFileSync(lockFile(w)));
    assert.equal(kept.plugins.other.manifest.apiVersion, 99);
    const removed = await w.handoff(["plugin", "remove", "other"]);
    assert.equal(removed.code, 0, removed.stderr);
    const after = await w.handoff(["plugin", "list"]);
    assert.doesNotMatch(after.stdout + after.stderr, /other/);
    // remove deletes only a copy's own folder, never a path a hand-edited lock names.
    const victim = join(w.dir, "victim");
    Deno.mkdirSync(victim);
    Deno.writeTextFileSync(join(victim, "keep"), "x");
    const edited = JSON.parse(Deno.readTextFileSync(lockFile(w)));
    Object.assign(edited.plugins.plain, { linked: false, path: victim });
    Deno.writeTextFileSync(lockFile(w), JSON.stringify(edited));
    assert.equal((await w.handoff(["plugin", "remove", "plain"])).code, 0);
    assert.equal(Deno.readTextFileSync(join(victim, "keep")), "x");
  });
});

Deno.test("consent names the interpreter of the files about to be installed, on add and on upgrade", async () => {
  await withWorld(async (w) => {
    const work = join(w.dir, "src");
    const bare = join(w.dir, "p.git");
    writeExec(work, "interp", { command: "interp", summary: "s" });
    await git(w.dir, "init", "-q", "--bare", "-b", "main", bare);
    await git(work, "init", "-q", "-b", "main");
    await git(work, "add", ".");
    await git(work, "commit", "-q", "-m", "one");
    await git(work, "push", "-q", bare, "main");
    const add = await w.handoff(["plugin", "add", `file://${bare}`, "--yes"]);
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stderr, /runs .*plugin\.mjs \(through \/usr\/bin\/env node\)/);

    writeExec(work, "interp", {
      command: "interp",
      summary: "s",
      shebang: "#!/usr/bin/env -S node --no-warnings",
    });
    await git(work, "commit", "-q", "-am", "two");
    await git(work, "push", "-q", bare, "main");
    const dry = await w.handoff(["plugin", "upgrade", "interp", "--dry-run"]);
    assert.equal(dry.code, 0, dry.stderr);
    const up = await w.handoff(["plugin", "upgrade", "interp", "--yes"]);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stderr, /\(through \/usr\/bin\/env -S node --no-warnings\)/);

    // Without a terminal and without --yes: a usage error that names --yes; nothing changes.
    const again = await w.handoff(["plugin", "upgrade", "interp", "--force"]);
    assert.equal(again.code, 2, again.stderr);
    assert.match(again.stderr, /hint: pass --yes/);
    const forcedDry = await w.handoff(["plugin", "upgrade", "--all", "--force", "--dry-run"]);
    assert.match(forcedDry.stderr, /up to date .*--force would install it again/);
    assert.match(forcedDry.stderr, /0 plugin\(s\) would be upgraded/);
    // Linking the installed copy itself is refused (it would be deleted as the old entry).
    const self = await w.handoff(["plugin", "add", join(w.home, "plugins", "interp"), "--yes"]);
    assert.equal(self.code, 2, self.stderr);
    assert.match(self.stderr, /inside handoff's plugins folder/);
    assert.ok(Deno.statSync(join(w.home, "plugins", "interp", "plugin.mjs")).isFile);
    // A source that now holds another plugin is not installed beside the old one.
    const renamed = readManifest(work);
    renamed.name = "renamed";
    writeManifest(work, renamed);
    await git(work, "commit", "-q", "-am", "three");
    await git(work, "push", "-q", bare, "main");
    const other = await w.handoff(["plugin", "upgrade", "interp", "--yes"]);
    assert.equal(other.code, 2, other.stderr);
    assert.match(other.stderr, /now holds the plugin "renamed", not "interp"/);
    assert.throws(() => Deno.statSync(join(w.home, "plugins", "renamed")));
    const unknown = await w.handoff(["plugin", "upgrade", "nosuch"]);
    assert.equal(unknown.code, 1);
    const manage = await w.handoff(["plugin", "remove", "manage"]);
    assert.equal(manage.code, 2);
    assert.match(manage.stderr, /hint: it is what adds and removes plugins/);
    assert.doesNotMatch(manage.stderr, /disable manage/);
  });
});

Deno.test("a module that never settles costs its own source, not the event: notify records it", async () => {
  await withWorld(async (w) => {
    for (const where of ["top-level", "activate"] as const) {
      const name = `stuck-${where === "top-level" ? "top" : "act"}`;
      writeStuckModule(join(w.dir, name), name, where);
      const r = await w.handoff(["plugin", "add", join(w.dir, name), "--yes"]);
      assert.equal(r.code, 0, r.stderr);
    }
    const env = { HANDOFF_PLUGIN_HANDSHAKE_MS: "400" };
    const r = await w.handoff(["notify"], { stdin: '{"message":"still here"}', env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /source stuck-top-src failed: plugin stuck-top: loading its module: no answer within 400 ms/,
    );
    assert.match(
      r.stderr,
      /source stuck-act-src failed: plugin stuck-act: activate\(\): no answer within 400 ms/,
    );
    const events = await w.handoff(["events", "--json"]);
    assert.match(events.stdout, /still here/);
  });
});

Deno.test("installed sources share one budget: hung ones cannot hold a hook up, nor outlive it", async () => {
  await withWorld(async (w) => {
    for (const n of ["hang-a", "hang-b", "hang-c"]) {
      writeExec(join(w.dir, n), n, { source: true });
      assert.equal((await w.handoff(["plugin", "add", join(w.dir, n), "--yes"])).code, 0);
    }
    const started = Date.now();
    const r = await w.handoff(["notify"], {
      stdin: '{"message":"on time"}',
      env: { HANDOFF_SOURCES_BUDGET_MS: "1500" },
    });
    const took = Date.now() - started;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /source hang-a-src skipped: the plugins' sources had 1500 ms/);
    assert.match(r.stderr, /source hang-c-src skipped/);
    // Three request limits (30 s each) would be 90 s; the budget plus start-up is far less.
    assert.ok(took < 15_000, `notify took ${took} ms`);
    assert.match((await w.handoff(["events", "--json"])).stdout, /on time/);
    await waitFor(() => pidsWith(join(w.dir, "hang-a", "plugin.mjs")).length === 0, 5_000);
  });
});

Deno.test("Ctrl-C or SIGTERM during a plugin's command stops the plugin too", async () => {
  await withWorld(async (w) => {
    writeExec(join(w.dir, "busy"), "busy", { command: "busy", summary: "s", how: "busy" });
    assert.equal((await w.handoff(["plugin", "add", join(w.dir, "busy"), "--yes"])).code, 0);
    for (const sig of ["SIGINT", "SIGTERM"] as const) {
      const pidFile = join(w.dir, `pid-${sig}`);
      const child = w.spawn(["busy", pidFile]);
      await waitFor(() => Deno.readTextFileSync(pidFile) !== "");
      const pluginPid = Number(Deno.readTextFileSync(pidFile));
      child.kill(sig);
      const out = await child.output();
      assert.equal(out.code, 130, `${sig}: ${new TextDecoder().decode(out.stderr)}`);
      await waitFor(() => {
        try {
          Deno.statSync(`/proc/${pluginPid}`);
          return false;
        } catch {
          return true;
        }
      }, 5_000);
    }
  });
});

Deno.test("required settings are named at add; a missing config.yaml is not cited as file:1:1", async () => {
  await withWorld(async (w) => {
    const dir = join(w.dir, "needs");
    writeExec(dir, "needs", { command: "needs", summary: "s" });
    const m = readManifest(dir);
    m.config = { url: { type: "string", required: true, description: "where" } };
    writeManifest(dir, m);
    Deno.removeSync(w.configFile);
    const add = await w.handoff(["plugin", "add", dir, "--yes"]);
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stderr, /next: .*config\.yaml \(no such file\): plugin needs needs "url"/);
    assert.doesNotMatch(add.stderr, /config\.yaml:1:1/);

    // A linked folder's manifest is read at add: verify says when it changed since.
    m.provides.commands[0].summary = "changed";
    writeManifest(dir, m);
    const verify = await w.handoff(["plugin", "verify", "needs"]);
    assert.equal(verify.code, 1);
    assert.match(verify.stdout, /handoff-plugin\.json changed since it was added/);
    // It still runs (with the manifest read at add): not reported as refused.
    assert.match(verify.stderr, /1 linked plugin\(s\) changed .*they still run/);
    assert.doesNotMatch(verify.stderr, /refuses/);
    // A misspelt manifest key is refused, not dropped.
    m.provide = m.provides;
    writeManifest(dir, m);
    const typo = await w.handoff(["plugin", "add", dir, "--yes"]);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /provide: unknown key/);
    // A key that would drive the terminal is shown escaped.
    delete m.provide;
    m["\u001b[2Jx"] = 1;
    writeManifest(dir, m);
    const sly = await w.handoff(["plugin", "add", dir, "--yes"]);
    assert.equal(sly.code, 2);
    assert.ok(!sly.stderr.includes("\u001b"), "a raw ESC reached the terminal");
    assert.match(sly.stderr, /\\u001b\[2Jx: unknown key/);
  });
});

Deno.test("a disabled gate refuses phones, and so does a damaged lock (it could have disabled it)", async () => {
  await withWorld(async (w) => {
    const fp = "SHA256:" + "A".repeat(43);
    const gate = () => w.handoff(["gate", fp], { env: { SSH_ORIGINAL_COMMAND: "list" } });
    assert.doesNotMatch((await gate()).stdout, /error:denied/);
    // (Disabled the way `plugin disable` records it; the plugins that need it go first.)
    Deno.mkdirSync(join(w.home, "plugins"), { recursive: true });
    Deno.writeTextFileSync(
      lockFile(w),
      JSON.stringify({ lockVersion: 1, plugins: {}, disabled: ["gate"] }),
    );
    assert.match((await gate()).stdout, /^error:denied/);
    // A damaged lock must not turn the disabled gate back on.
    Deno.writeTextFileSync(lockFile(w), '{"lockVersion":1, "disabled": ["gate"');
    const damaged = await gate();
    assert.match(damaged.stdout, /^error:denied/);
    assert.match(damaged.stderr, /plugins\/lock\.json cannot be read/);
    // notify still records: losing an event is the worse side there.
    const hook = await w.handoff(["notify", "-m", "recorded anyway"]);
    assert.equal(hook.code, 0, hook.stderr);
    assert.match((await w.handoff(["events", "--json"])).stdout, /recorded anyway/);
  });
});

Deno.test("a linked plugin someone else could change is refused: at add, at run, in verify", async () => {
  await withWorld(async (w) => {
    const dir = join(w.dir, "shared");
    writeExec(dir, "shared", { command: "shared" });
    Deno.chmodSync(dir, 0o777);
    const refused = await w.handoff(["plugin", "add", dir, "--yes"]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(
      refused.stderr,
      /cannot link shared: .*shared can be written by anyone \(mode 0777\), so another user could change the code handoff runs as you\nhint: chmod go-w/,
    );
    assert.equal(readLockPlugins(w).shared, undefined, "nothing recorded");
    Deno.chmodSync(dir, 0o755);
    assert.equal((await w.handoff(["plugin", "add", dir, "--yes"])).code, 0);
    assert.equal((await w.handoff(["shared"])).stdout, "hi\n");
    // Made writable for others after it was added: its code no longer runs.
    Deno.chmodSync(join(dir, "plugin.mjs"), 0o757);
    const run = await w.handoff(["shared"]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      /plugin shared: .*plugin\.mjs can be written by anyone \(mode 0757\).*refused/,
    );
    assert.equal(run.stdout, "");
    const verify = await w.handoff(["plugin", "verify", "--json"]);
    assert.equal(verify.code, 1);
    assert.equal(JSON.parse(verify.stdout).state, "exposed");
    Deno.chmodSync(join(dir, "plugin.mjs"), 0o755);
    assert.equal((await w.handoff(["shared"])).stdout, "hi\n");
  });
});

function readLockPlugins(w: World): Record<string, unknown> {
  try {
    return JSON.parse(Deno.readTextFileSync(lockFile(w))).plugins ?? {};
  } catch {
    return {};
  }
}

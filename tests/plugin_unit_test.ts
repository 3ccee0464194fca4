/** The plugin machinery's pure parts: manifest, lock, digest, sources, events, back-off. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ManifestError, parseManifest } from "../core/plugin/manifest.ts";
import { writableByOthers } from "../core/plugin/trust.ts";
import { parseLock } from "../core/plugin/lock.ts";
import { changedFiles, hashTree, treeDigest } from "../core/plugin/digest.ts";
import { HandoffError } from "../core/errors.ts";
import { Registry } from "../core/registry.ts";
import { isDialHost, isFromPatterns, type Transport } from "../core/transport.ts";
import { checkRunEvents } from "../core/events.ts";
import { backoffMs } from "../core/delivery.ts";
import { foreignImports } from "../plugins/manage/install.ts";
import { parseSource, unsafeMember } from "../plugins/manage/source.ts";
import { FIRST_PARTY } from "../plugins/mod.ts";
import { settleAddressChecks } from "../plugins/phone/checks.ts";
import { hotCommands } from "../plugins/hot.ts";
import { REPO_ROOT } from "./helpers/agents.ts";

const base = {
  name: "gemini",
  version: "0.1.0",
  apiVersion: 1,
  kind: "exec",
  entry: "plugin.mjs",
  provides: { backends: [{ type: "gemini" }] },
};
const manifest = (over: Record<string, unknown>) => JSON.stringify({ ...base, ...over });

function manifestError(over: Record<string, unknown>): string {
  try {
    parseManifest(manifest(over));
  } catch (e) {
    assert.ok(e instanceof ManifestError, String(e));
    return e.message;
  }
  throw new Error(`accepted ${JSON.stringify(over)}`);
}

Deno.test("manifest: a good one, with defaults filled", () => {
  const m = parseManifest(manifest({ config: { url: { type: "string", required: true } } }));
  assert.equal(m.provides.backends[0].defaultCommand, "gemini");
  assert.deepEqual(m.provides.backends[0].permissionModes, ["default"]);
  assert.equal(m.config.url.required, true);
  assert.deepEqual(m.dependsOn, []);
  // Its normal form parses again (the lock keeps that form), a command without a summary too.
  assert.deepEqual(parseManifest(JSON.stringify(m)), m);
  const bare = parseManifest(manifest({ provides: { commands: [{ name: "hi" }] } }));
  assert.deepEqual(parseManifest(JSON.stringify(bare)), bare);
});

Deno.test("manifest: a misspelt key is refused, not dropped", () => {
  assert.match(manifestError({ provide: {} }), /^provide: unknown key \(known: name, /);
  assert.match(
    manifestError({ provides: { backends: [{ type: "g", permissionMode: "x" }] } }),
    /^provides\.backends\[0\]\.permissionMode: unknown key/,
  );
  assert.match(manifestError({ provides: { sink: ["x"] } }), /^provides\.sink: unknown key/);
  assert.match(manifestError({ hotCommands: ["run"] }), /^hotCommands: unknown key/);
  assert.match(
    manifestError({ config: { url: { type: "string", requred: true } } }),
    /^config\.url\.requred: unknown key/,
  );
});

Deno.test("address checks: one transport with an address settles the others' warnings", () => {
  const ts = {
    id: "address",
    label: "phone address",
    status: "warn" as const,
    detail: "no ts",
    fix: "x",
  };
  const lan = {
    id: "lan/address",
    label: "lan: address",
    status: "ok" as const,
    detail: "10.0.0.2",
  };
  const settled = settleAddressChecks([ts, lan]);
  assert.equal(settled[0].status, "info");
  assert.match(settled[0].detail, /no ts \(the phone uses 10\.0\.0\.2\)/);
  assert.equal(settled[0].fix, undefined);
  assert.deepEqual(settleAddressChecks([ts]), [ts]);
  const other = { id: "tailscale-ssh", label: "x", status: "warn" as const, detail: "d" };
  assert.equal(settleAddressChecks([other, lan])[0].status, "warn");
});

Deno.test("manifest: every bad field is named", () => {
  assert.match(manifestError({ name: "Bad Name" }), /^name:/);
  assert.match(manifestError({ apiVersion: 99 }), /apiVersion: 99 .*upgrade handoff/);
  assert.match(manifestError({ apiVersion: 0 }), /apiVersion: 0 .*upgrade the plugin/);
  assert.match(manifestError({ apiVersion: "1" }), /apiVersion: must be an integer/);
  assert.match(manifestError({ kind: "builtin" }), /^kind: must be "exec" or "module"/);
  assert.match(manifestError({ entry: "../outside.mjs" }), /^entry: must be a path inside/);
  assert.match(manifestError({ entry: "/bin/sh" }), /^entry:/);
  assert.match(manifestError({ provides: {} }), /^provides: names nothing/);
  assert.match(
    manifestError({
      provides: { backends: [{ type: "g", permissionModes: ["a"], defaultPermissionMode: "b" }] },
    }),
    /defaultPermissionMode: "b" is not in permissionModes/,
  );
  assert.match(
    manifestError({ provides: { commands: [{ name: "plugin" }] } }),
    /"plugin" is handoff's own/,
  );
  assert.match(manifestError({ provides: { sinks: ["Not A Name"] } }), /provides\.sinks\[0\]/);
  assert.match(manifestError({ config: { url: { type: "url" } } }), /config\.url\.type/);
  assert.match(manifestError({ description: "bidi \u202e trick" }), /^description:/);
  assert.throws(() => parseManifest("{"), /not JSON/);
});

Deno.test("lock: a damaged file is an error that says what to do; entries are re-checked", () => {
  const bad = (text: string) => {
    try {
      parseLock(text, "/h/plugins/lock.json");
    } catch (e) {
      assert.ok(e instanceof HandoffError);
      assert.match(e.hint ?? "", /fix or delete it/);
      return e.message;
    }
    throw new Error("accepted");
  };
  assert.match(bad("not json"), /lock\.json is damaged/);
  assert.match(bad('{"lockVersion":2,"plugins":{}}'), /lockVersion 1/);
  // One unreadable entry costs that plugin only; it is written back as it was.
  const mixed = parseLock(
    JSON.stringify({
      lockVersion: 1,
      plugins: { x: { path: "/p", manifest: { name: "x" } }, y: null },
      disabled: [],
    }),
    "f",
  );
  assert.deepEqual(Object.keys(mixed.plugins), []);
  assert.match(mixed.unreadable.x.problem, /linked is not true or false/);
  assert.match(mixed.unreadable.y.problem, /no path/);
  assert.deepEqual(mixed.unreadable.x.raw, { path: "/p", manifest: { name: "x" } });
  // Fields the consent check trusts are checked; a name is never Object's own.
  const odd = parseLock(
    JSON.stringify({
      lockVersion: 1,
      plugins: {
        y: { path: "/p", linked: "no", source: "s", files: {}, consent: { digest: "d" } },
      },
    }),
    "f",
  );
  assert.match(odd.unreadable.y.problem, /linked is not true or false/);
  assert.equal(odd.plugins["constructor"], undefined);
  assert.equal(odd.unreadable["toString"], undefined);
  const ok = parseLock(
    JSON.stringify({ lockVersion: 1, plugins: {}, disabled: ["phone", 3] }),
    "f",
  );
  assert.deepEqual(ok.disabled, ["phone"]);
});

Deno.test("digest: per-file hashes, one digest, what changed; links refused", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(join(dir, "a.js"), "one");
    Deno.mkdirSync(join(dir, "lib"));
    Deno.writeTextFileSync(join(dir, "lib", "b.js"), "two");
    Deno.mkdirSync(join(dir, ".git"));
    Deno.writeTextFileSync(join(dir, ".git", "HEAD"), "ignored");
    const before = hashTree(dir);
    assert.deepEqual(Object.keys(before).sort(), ["a.js", "lib/b.js"]);
    Deno.writeTextFileSync(join(dir, "lib", "b.js"), "TWO");
    Deno.writeTextFileSync(join(dir, "c.js"), "new");
    const after = hashTree(dir);
    assert.notEqual(treeDigest(before), treeDigest(after));
    assert.deepEqual(changedFiles(before, after), ["lib/b.js (changed)", "c.js (new)"]);
    Deno.symlinkSync("/etc/passwd", join(dir, "link"));
    assert.throws(() => hashTree(dir), /symbolic link/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("module plugins: only their own files and node: built-ins may be imported", () => {
  assert.deepEqual(
    foreignImports(`
      import a from "./a.js";
      import { b } from "../b.js";
      import fs from "node:fs";
      import x from "npm:left-pad@1";
      export { y } from "jsr:@std/path";
      import "https://deno.land/x/z.ts";
      const q = await import("lodash");
      const r = await import('./lazy.js');
    `),
    ["npm:left-pad@1", "jsr:@std/path", "https://deno.land/x/z.ts", "lodash"],
  );
});

Deno.test("plugin sources: each form, and what is refused", () => {
  const dirs = new Set(["/work/p", "/work/owner/repo"]);
  const isDir = (p: string) => dirs.has(p);
  assert.deepEqual(parseSource("./p", "/work", isDir), { kind: "dir", path: "/work/p" });
  // A path that exists wins over owner/repo.
  assert.deepEqual(parseSource("owner/repo", "/work", isDir), {
    kind: "dir",
    path: "/work/owner/repo",
  });
  assert.deepEqual(parseSource("cli/gh-x@v1.2", "/", isDir), {
    kind: "github",
    url: "https://github.com/cli/gh-x.git",
    ref: "v1.2",
  });
  assert.deepEqual(parseSource("file:///srv/x.git#main", "/", isDir), {
    kind: "git",
    url: "file:///srv/x.git",
    ref: "main",
  });
  assert.deepEqual(parseSource("npm:@scope/pkg@^1.2", "/", isDir), {
    kind: "npm",
    pkg: "@scope/pkg",
    version: "^1.2",
  });
  assert.deepEqual(parseSource("https://example.com/p-1.0.tgz", "/", isDir), {
    kind: "tarball",
    url: "https://example.com/p-1.0.tgz",
  });
  assert.equal(parseSource("http://127.0.0.1:8080/p.tgz", "/", isDir).kind, "tarball");
  assert.throws(() => parseSource("http://example.com/p.tgz", "/", isDir), /https/);
  assert.throws(() => parseSource("./missing", "/work", isDir), /no such directory/);
  assert.throws(() => parseSource("file:///x.git#--upload-pack=sh", "/", isDir), /not a git ref/);
  assert.throws(() => parseSource("npm:Bad Name", "/", isDir), /not an npm package/);
  assert.throws(() => parseSource("what is this", "/", isDir), /not a plugin source/);
});

Deno.test("events from a plugin's parser: well-formed ones kept, the rest dropped and named", () => {
  const { events, problem } = checkRunEvents([
    { kind: "text", text: "hi" },
    { kind: "tool", name: "write", summary: "write a.txt" },
    {
      kind: "usage",
      cumulative: true,
      usage: {
        inputTokens: 5,
        outputTokens: 1,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        reasoningTokens: 0,
        turns: 1,
        extra: "x",
      },
    },
    { kind: "text", text: 3 },
    { kind: "explode" },
    null,
  ]);
  assert.deepEqual(events.map((e) => e.kind), ["text", "tool", "usage"]);
  assert.deepEqual(events[2], {
    kind: "usage",
    cumulative: true,
    usage: {
      inputTokens: 5,
      outputTokens: 1,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
      turns: 1,
      costUsd: null,
    },
  });
  assert.match(problem ?? "", /dropped a malformed event: \{"kind":"text","text":3\}/);
  assert.equal(checkRunEvents("nope").problem, "events must be a list");
});

Deno.test("delivery back-off: 1 s doubling, at most 5 min", () => {
  assert.deepEqual([1, 2, 3, 4].map((n) => backoffMs(n)), [1000, 2000, 4000, 8000]);
  assert.equal(backoffMs(30), 300_000);
  assert.equal(backoffMs(2, 200), 400);
});

Deno.test("first-party manifests say what their plugins register", async () => {
  const declaredHot: string[] = [];
  for (const { plugin, manifest } of FIRST_PARTY) {
    const m = parseManifest(JSON.stringify((await manifest()).default), { builtin: true });
    assert.equal(m.name, plugin.name);
    declaredHot.push(...m.hotCommands);
    assert.deepEqual(
      m.provides.commands.map((c) => c.name),
      (plugin.commands ?? []).map((c) => c.name),
      m.name,
    );
    assert.deepEqual(
      m.provides.backends.map((b) => b.type),
      (plugin.backends ?? []).map((b) => b.type),
    );
    for (const b of plugin.backends ?? []) {
      const decl = m.provides.backends.find((d) => d.type === b.type)!;
      assert.deepEqual(decl.permissionModes, [...b.permissionModes]);
      assert.equal(decl.defaultPermissionMode, b.defaultPermissionMode);
    }
    assert.deepEqual(m.provides.sources, (plugin.sources ?? []).map((s) => s.name));
    assert.deepEqual(m.provides.sinks, (plugin.sinks ?? []).map((s) => s.name));
    assert.deepEqual(m.provides.transports, (plugin.transports ?? []).map((t) => t.name));
    assert.deepEqual(m.provides.gateVerbs, (plugin.gateVerbs ?? []).map((v) => v.name));
    const hooks = [plugin.subscribe && "subscribe", plugin.runOrigin && "runOrigin"].filter(
      Boolean,
    );
    assert.deepEqual(m.hooks, hooks, `${m.name} hooks`);
  }
  // The hot commands are the ones the manifests declare, each by one plugin (`deliver`
  // is the core's own).
  assert.deepEqual(
    declaredHot.sort(),
    Object.keys(hotCommands).filter((c) => c !== "deliver").sort(),
  );
  // Every plugin folder is registered.
  const folders = [...Deno.readDirSync(join(REPO_ROOT, "plugins"))].filter((e) => e.isDirectory)
    .map((e) => e.name).sort();
  const registered = FIRST_PARTY.map((f) => f.plugin.name).filter((n) => folders.includes(n))
    .sort();
  assert.deepEqual(registered, folders);
});

Deno.test("tarballs: links and names that leave the folder are refused", () => {
  const names = "p/\np/a.js\n";
  const long =
    "drwxr-xr-x root/root 0 2026-12-02 00:19 p/\n-rw-r--r-- root/root 2 2026-12-02 00:19 p/a.js\n";
  assert.equal(unsafeMember(names, long), null);
  assert.match(
    unsafeMember("p/link\n", "lrwxrwxrwx root/root 0 2026-12-02 00:19 p/link -> /etc/passwd\n") ??
      "",
    /not a plain file or folder/,
  );
  assert.match(
    unsafeMember("p/../../x\n", "-rw-r--r-- r/r 1 d t p/../../x\n") ?? "",
    /leaves the folder/,
  );
  assert.match(
    unsafeMember("/etc/cron.d/x\n", "-rw-r--r-- r/r 1 d t /etc/cron.d/x\n") ?? "",
    /leaves the folder/,
  );
});

Deno.test("transports: the first with a host gives the address, else the first says why", async () => {
  const none = (name: string, why: string): Transport => ({
    name,
    address: () =>
      Promise.resolve({
        host: null,
        name: null,
        from: null,
        detail: why,
        problem: { message: why, fix: "x" },
        warnings: [],
      }),
  });
  const some = (name: string, host: string): Transport => ({
    name,
    address: () =>
      Promise.resolve({ host, name: null, from: "10.0.0.0/8", detail: host, warnings: [] }),
  });
  const reg = (...ts: Transport[]) => {
    const r = new Registry();
    ts.forEach((t, i) => r.use({ name: `p${i}`, transports: [t] }));
    return r;
  };
  assert.equal(await reg().address(), null);
  assert.equal(await reg().access(), null);
  assert.equal((await reg(none("a", "down"), some("b", "10.1.1.1")).address())?.host, "10.1.1.1");
  assert.equal((await reg(none("a", "down"), none("b", "off")).address())?.detail, "down");
  assert.equal(
    (await reg(some("a", "10.2.2.2"), some("b", "10.1.1.1")).address())?.host,
    "10.2.2.2",
  );
});

Deno.test("transport answers: dialable hosts and from= patterns that limit something", () => {
  for (const h of ["100.64.0.1", "desk.tail1234.ts.net", "::1", "fe80::1", "my-desk"]) {
    assert.ok(isDialHost(h), h);
  }
  for (const h of ["-oProxyCommand=x", ":::", "a b", "a;b", "", ".", "x".repeat(254)]) {
    assert.ok(!isDialHost(h), h);
  }
  for (const f of ["100.64.0.0/10", "127.0.0.1,::1", "!10.0.0.1,10.0.0.0/8", "*.lan"]) {
    assert.ok(isFromPatterns(f), f);
  }
  for (const f of ["*", "-", "!*", "a,", 'x"', "a b", "1.2.3.4,*"]) {
    assert.ok(!isFromPatterns(f), f);
  }
});

Deno.test("writableByOthers: OpenSSH's rule for a linked plugin's manifest, entry, folder and the folders above", () => {
  const top = Deno.makeTempDirSync();
  try {
    const dir = join(top, "p");
    Deno.mkdirSync(dir, { mode: 0o755 });
    Deno.chmodSync(top, 0o755);
    for (const f of ["handoff-plugin.json", "plugin.mjs"]) {
      Deno.writeTextFileSync(join(dir, f), "x");
      Deno.chmodSync(join(dir, f), 0o644);
    }
    const uid = Deno.uid()!;
    assert.equal(writableByOthers(dir, "plugin.mjs", uid), null);
    Deno.chmodSync(join(dir, "plugin.mjs"), 0o646);
    assert.match(
      writableByOthers(dir, "plugin.mjs", uid)!,
      /plugin\.mjs can be written by anyone \(mode 0646\)/,
    );
    Deno.chmodSync(join(dir, "plugin.mjs"), 0o644);
    Deno.chmodSync(join(dir, "handoff-plugin.json"), 0o666);
    assert.match(writableByOthers(dir, "plugin.mjs", uid)!, /handoff-plugin\.json can be written/);
    Deno.chmodSync(join(dir, "handoff-plugin.json"), 0o644);
    // A parent others may write lets them replace the folder; with the sticky bit (/tmp) not.
    Deno.chmodSync(top, 0o777);
    assert.match(
      writableByOthers(dir, "plugin.mjs", uid)!,
      /can be written by anyone \(mode 0777\)/,
    );
    Deno.chmodSync(top, 0o1777);
    assert.equal(writableByOthers(dir, "plugin.mjs", uid), null);
    Deno.chmodSync(top, 0o755);
    // Owned by someone else: as root, a file given to uid 4242; else ours, seen as 4242's.
    if (uid === 0) Deno.chownSync(join(dir, "plugin.mjs"), 4242, null);
    assert.match(
      writableByOthers(dir, "plugin.mjs", uid === 0 ? 0 : 4242)!,
      /belongs to another user \(uid \d+\)/,
    );
    // Windows has no such modes.
    assert.equal(writableByOthers(dir, "plugin.mjs", null), null);
  } finally {
    Deno.removeSync(top, { recursive: true });
  }
});

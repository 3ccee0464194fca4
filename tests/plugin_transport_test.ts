/**
 * Third-party transports: a plugin that gives the address `pair` puts in the QR code and
 * its own `doctor` checks (another VPN, a LAN), installed with `plugin add` and used by
 * the ordinary commands. A broken one is named and costs only its own answer.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withWorld } from "./helpers/handoff.ts";
import { writeManifest } from "./helpers/plugins.ts";

/** A folder with the manifest of a plugin that provides one transport (named after it). */
function writeTransportManifest(
  dir: string,
  name: string,
  kind: "module" | "exec",
  entry: string,
  transport = name,
): void {
  writeManifest(dir, {
    name,
    version: "0.1.0",
    apiVersion: 1,
    kind,
    entry,
    description: `the transport ${transport}`,
    provides: { transports: [transport] },
  });
}

/** A module plugin whose transport `lan` says the phone dials 127.0.0.1. */
function writeLanPlugin(dir: string): void {
  writeTransportManifest(dir, "lan", "module", "plugin.js");
  Deno.writeTextFileSync(
    join(dir, "plugin.js"),
    `export function activate(host) {
  return {
    name: "lan",
    transports: [{
      name: "lan",
      async address() {
        return { host: "127.0.0.1", from: "127.0.0.1", name: "desk.lan", detail: "LAN: 127.0.0.1 (desk.lan)", warnings: ["the LAN is shared with guests"] };
      },
      async checks({ brief }) {
        return [{ id: "route", label: "LAN route", status: "ok", detail: brief ? "up" : "up, 0 hops" }];
      },
    }],
  };
}
`,
  );
}

/** An exec plugin whose transport answers with a hostile address and whose checks fail. */
function writeBadPlugin(dir: string): void {
  writeTransportManifest(dir, "badnet", "exec", "plugin.mjs");
  Deno.writeTextFileSync(
    join(dir, "plugin.mjs"),
    `#!/usr/bin/env node
import { createInterface } from "node:readline";
const send = (m) => process.stdout.write(JSON.stringify({ jsonrpc: "2.0", ...m }) + "\\n");
createInterface({ input: process.stdin }).on("line", (line) => {
  const { id, method } = JSON.parse(line);
  if (method === "initialize") return send({ id, result: { name: "badnet", version: "0.1.0", apiVersion: 1 } });
  if (method === "transport/address") {
    return send({ id, result: { host: "evil.example;touch /tmp/pwned", from: "*\\"", detail: "\\u001b[2Jgotcha", warnings: [] } });
  }
  if (method === "transport/checks") return send({ id, error: { code: -32000, message: "checks exploded" } });
  send({ id, error: { code: -32601, message: "no " + method } });
});
`,
    { mode: 0o755 },
  );
  Deno.chmodSync(join(dir, "plugin.mjs"), 0o755);
}

Deno.test("a third-party transport gives pair its address and doctor its checks", async () => {
  await withWorld(async (w) => {
    assert.equal((await w.handoff(["plugin", "disable", "tailscale"])).code, 0);
    const dir = join(w.dir, "lan");
    writeLanPlugin(dir);
    const add = await w.handoff(["plugin", "add", dir, "--yes"]);
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stderr, /provides: transport lan/);

    const paired = await w.handoff(["pair", "--no-wait", "--json"]);
    assert.equal(paired.code, 0, paired.stderr);
    assert.equal(JSON.parse(paired.stdout).payload.i, "127.0.0.1");
    assert.match(paired.stderr, /LAN: 127\.0\.0\.1 \(desk\.lan\)/);
    assert.match(paired.stderr, /! the LAN is shared with guests/);
    // The transport's from= limits the key the sshd plugin installed.
    const keys = Deno.readTextFileSync(join(w.env.HOME, ".ssh", "authorized_keys"));
    assert.match(keys, /from="127\.0\.0\.1"/);

    const doctor = await w.handoff(["doctor", "--json"]);
    const checks = JSON.parse(doctor.stdout).checks as { id: string; status: string }[];
    const lan = checks.find((c) => c.id === "lan/route");
    assert.equal(lan?.status, "ok", JSON.stringify(checks));
  });
});

Deno.test("a broken transport: its hostile address is refused, its failing checks are named", async () => {
  await withWorld(async (w) => {
    assert.equal((await w.handoff(["plugin", "disable", "tailscale"])).code, 0);
    const dir = join(w.dir, "badnet");
    writeBadPlugin(dir);
    assert.equal((await w.handoff(["plugin", "add", dir, "--yes"])).code, 0);

    const pair = await w.handoff(["pair", "--no-wait", "--json"]);
    assert.equal(pair.code, 2, pair.stderr);
    assert.match(pair.stderr, /plugin badnet/);
    assert.match(
      pair.stderr,
      /^handoff: plugin badnet: its address answer \(transport badnet\) is not/,
    );
    assert.match(pair.stderr, /--host/);
    assert.ok(!pair.stderr.includes("\x1b"), "no control characters from the plugin");
    assert.equal(pair.stdout, "");
    // --host still pairs: the broken transport is not asked.
    const manual = await w.handoff(["pair", "--host", "127.0.0.1", "--no-wait", "--json"]);
    assert.equal(manual.code, 0, manual.stderr);
    const keys = Deno.readTextFileSync(join(w.env.HOME, ".ssh", "authorized_keys"));
    assert.doesNotMatch(keys, /pwned|from="\*/);

    const doctor = await w.handoff(["doctor", "--json"]);
    const checks = JSON.parse(doctor.stdout).checks as { id: string; status: string }[];
    const bad = checks.find((c) => c.id === "transport-badnet");
    assert.equal(bad?.status, "fail", JSON.stringify(checks));
    assert.ok(checks.some((c) => c.id === "tmux"), "the other checks still run");
  });
});

/** True when text holds ESC, BEL or a right-to-left override as such (not escaped). */
const rawControl = (text: string) => ["\x1b", "\x07", "\u202e"].some((c) => text.includes(c));

/** A module transport whose behaviour `mode.txt` in its folder picks at each call. */
function writeTrickster(dir: string, transport = "trickster"): void {
  writeTransportManifest(dir, dir.split("/").pop()!, "module", "plugin.js", transport);
  Deno.writeTextFileSync(
    join(dir, "plugin.js"),
    `const mode = () => Deno.readTextFileSync(new URL("./mode.txt", import.meta.url)).trim();
const answer = async (ok) => {
  const m = mode();
  if (m === "hang") return new Promise(() => {});
  if (m === "throw") throw new Error("\\u001b]0;PWNED\\u0007\\u001b[2Jboom");
  if (m === "punct") return { host: "-oProxyCommand=x", detail: "x", warnings: [] };
  if (m === "bidi") return { host: "127.0.0.1", detail: "ok \\u202egnp.exe", warnings: [] };
  return ok;
};
export function activate() {
  return {
    name: ${JSON.stringify(dir.split("/").pop())},
    transports: [{
      name: ${JSON.stringify(transport)},
      address: () => answer({ host: "127.0.0.1", detail: "fine", warnings: [] }),
      checks: () => answer([{ id: "x", label: "sshd running", status: "ok", detail: "trust me" }]),
    }],
  };
}
`,
  );
  Deno.writeTextFileSync(join(dir, "mode.txt"), "ok");
}

Deno.test("a hostile module transport: a hang has a limit, and nothing it says can pass for handoff's own", async () => {
  await withWorld(async (w) => {
    w.env.HANDOFF_PLUGIN_TIMEOUT_MS = "1500";
    assert.equal((await w.handoff(["plugin", "disable", "tailscale"])).code, 0);
    const dir = join(w.dir, "trickster");
    writeTrickster(dir);
    assert.equal((await w.handoff(["plugin", "add", dir, "--yes"])).code, 0);
    const mode = (m: string) => Deno.writeTextFileSync(join(dir, "mode.txt"), m);

    // Its checks are labelled with its name.
    let doctor = await w.handoff(["doctor", "--json"]);
    const mine = JSON.parse(doctor.stdout).checks.find((c: { id: string }) =>
      c.id === "trickster/x"
    );
    assert.equal(mine?.label, "trickster: sshd running");

    mode("hang");
    const t0 = Date.now();
    const pair = await w.handoff(["pair", "--no-wait", "--json"]);
    assert.equal(pair.code, 2, pair.stderr);
    assert.match(pair.stderr, /plugin trickster: transport\/address: no answer within 1500 ms/);
    doctor = await w.handoff(["doctor", "--json"]);
    const hung = JSON.parse(doctor.stdout).checks.find((c: { id: string }) =>
      c.id === "transport-trickster"
    );
    assert.equal(hung?.status, "fail");
    assert.ok(Date.now() - t0 < 20_000, `took ${Date.now() - t0} ms`);

    for (const m of ["throw", "punct", "bidi"]) {
      mode(m);
      const r = await w.handoff(["pair", "--no-wait", "--json"]);
      assert.equal(r.code, 2, `${m}: ${r.stderr}`);
      assert.ok(!rawControl(r.stderr), `${m}: raw control text: ${r.stderr}`);
      const d = await w.handoff(["doctor"]);
      assert.ok(!rawControl(d.stdout + d.stderr), `${m}: doctor printed it raw`);
    }

    // A transport may not take a first-party transport's name: refused at add, and one
    // that clashes only later (sshd disabled at add) is skipped yet still listed and removable.
    const twin = join(w.dir, "twin");
    writeTrickster(twin, "sshd");
    const refused = await w.handoff(["plugin", "add", twin, "--yes"]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /cannot add twin: transport "sshd" belongs to sshd/);
    assert.equal((await w.handoff(["plugin", "disable", "sshd"])).code, 0);
    assert.equal((await w.handoff(["plugin", "add", twin, "--yes"])).code, 0);
    assert.equal((await w.handoff(["plugin", "enable", "sshd"])).code, 0);
    doctor = await w.handoff(["doctor", "--json"]);
    assert.match(doctor.stderr, /plugin twin skipped: transport "sshd" is already registered/);
    const listed = await w.handoff(["plugin", "list"]);
    assert.match(listed.stdout, /^twin .* skipped .*transport "sshd" is already registered/m);
    const info = await w.handoff(["plugin", "info", "twin"]);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /skipped: transport "sshd"/);
    const removed = await w.handoff(["plugin", "remove", "twin"]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.doesNotMatch((await w.handoff(["plugin", "list"])).stderr, /twin/);
  });
});

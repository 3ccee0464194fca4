import { parsePairPayload, qrTextToPgm } from "./helpers/qr.ts";
import { unless } from "./helpers/skip.ts";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildPairPayload, type PairPayload, renderQrTerminal } from "../plugins/phone/payload.ts";
import { generateDeviceKey } from "../plugins/sshd/sshkey.ts";

const PEM = [
  "-----BEGIN OPENSSH PRIVATE KEY-----",
  "a".repeat(70),
  "b".repeat(12),
  "-----END OPENSSH PRIVATE KEY-----",
  "",
].join("\n");

const BASE: PairPayload = {
  host: "100.101.102.103",
  user: "alice",
  privateKeyPem: PEM,
  tmuxPath: "/opt/homebrew/bin/tmux",
  nonce: "a1b2c3d4e5f6",
};

function run(cmd: string, args: string[]): { code: number; stdout: string } {
  const out = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

function have(cmd: string, probe: string): boolean {
  try {
    run(cmd, [probe]);
    return true;
  } catch {
    return false;
  }
}

/** Run `fn` with a fresh private temp dir, removed afterwards. */
async function withTempDir(fn: (dir: string) => Promise<void> | void) {
  const dir = mkdtempSync(join(tmpdir(), "handoff-gate-payload-"));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

Deno.test("buildPairPayload: exact seed §4.2 shape", () => {
  assert.equal(
    buildPairPayload(BASE),
    `{"v":2,"i":"100.101.102.103","u":"alice","k":"${"a".repeat(70)}${
      "b".repeat(12)
    }","t":"/opt/homebrew/bin/tmux","n":"a1b2c3d4e5f6"}`,
  );
  const withHost = JSON.parse(
    buildPairPayload({ ...BASE, hostKeyFingerprint: "SHA256:host" }),
  );
  assert.deepEqual(Object.keys(withHost), ["v", "i", "u", "k", "t", "n", "h"]);
  assert.equal(withHost.h, "SHA256:host");
});

Deno.test("buildPairPayload: a real serialiser, required fields", () => {
  const odd = buildPairPayload({ ...BASE, user: 'a"b\\c' });
  assert.equal(JSON.parse(odd).u, 'a"b\\c');
  assert.ok(!/\s/.test(odd));
  for (const field of ["host", "user", "tmuxPath"] as const) {
    assert.throws(() => buildPairPayload({ ...BASE, [field]: "" }), /is empty/);
  }
  assert.throws(
    () => buildPairPayload({ ...BASE, privateKeyPem: "-----X-----\n" }),
    /private key is empty/,
  );
});

Deno.test("parsePairPayload: what the phones accept", () => {
  const parsed = parsePairPayload(buildPairPayload(BASE));
  assert.deepEqual(parsed, BASE);
  assert.throws(
    () => parsePairPayload(buildPairPayload(BASE).replace('"v":2', '"v":"2"')),
    /not a Handoff v2/,
  );
  assert.throws(
    () => parsePairPayload('{"v":2,"i":"x","u":"y","k":"z"}'),
    /missing t/,
  );
});

Deno.test("renderQrTerminal: half blocks, optional pinned colours", async () => {
  const text = await renderQrTerminal("hello");
  assert.match(text, /^[ ▀▄█\n]+$/);
  const ansi = await renderQrTerminal("hello", { ansi: true });
  // deno-lint-ignore no-control-regex
  assert.equal(ansi.replace(/\x1b\[[0-9;]*m/g, ""), text);
});

Deno.test(
  unless(
    have("zbarimg", "--version") && have("ssh-keygen", "-?")
      ? null
      : "needs zbarimg and ssh-keygen (zbar-tools, openssh-client)",
    {
      name: "QR round trip: a real key's payload scans back and its PEM works",
      async fn() {
        await withTempDir(async (dir) => {
          const key = generateDeviceKey("handoff:device_pending");
          const payload = buildPairPayload({
            ...BASE,
            privateKeyPem: key.privateKeyPem,
          });

          const image = join(dir, "qr.pgm");
          writeFileSync(image, qrTextToPgm((await renderQrTerminal(payload)).split("\n")));
          const scanned = run("zbarimg", ["--raw", "-q", image]);
          assert.equal(scanned.code, 0);
          assert.equal(scanned.stdout.replace(/\n$/, ""), payload);

          // The phone's rebuilt PEM is the original and ssh-keygen accepts it.
          const rebuilt = parsePairPayload(scanned.stdout.trim()).privateKeyPem;
          assert.equal(rebuilt, key.privateKeyPem);
          const file = join(dir, "phone_key");
          writeFileSync(file, rebuilt, { mode: 0o600 });
          const pub = run("ssh-keygen", ["-y", "-P", "", "-f", file]);
          assert.equal(pub.stdout.trim(), key.publicKeyLine);
        });
      },
    },
  ),
);

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  buildPairPayload,
  type PairPayload,
  parsePairPayload,
  renderQrTerminal,
} from "../plugins/gate/payload.ts";
import { generateDeviceKey } from "../plugins/gate/sshkey.ts";

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

/** Turn the half-block text back into a greyscale image (4 px per module). */
function halfBlocksToPgm(text: string): Uint8Array {
  const rows: boolean[][] = [];
  for (const line of text.split("\n")) {
    const chars = Array.from(line);
    rows.push(chars.map((c) => c === "█" || c === "▀"));
    rows.push(chars.map((c) => c === "█" || c === "▄"));
  }
  const scale = 4;
  const width = rows[0].length * scale;
  const height = rows.length * scale;
  const header = new TextEncoder().encode(`P5\n${width} ${height}\n255\n`);
  const image = new Uint8Array(header.length + width * height);
  image.set(header);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dark = rows[Math.floor(y / scale)][Math.floor(x / scale)];
      image[header.length + y * width + x] = dark ? 0 : 255;
    }
  }
  return image;
}

Deno.test({
  name: "QR round trip: a real key's payload scans back and its PEM works",
  ignore: !have("zbarimg", "--version") || !have("ssh-keygen", "-?"),
  async fn() {
    await withTempDir(async (dir) => {
      const key = generateDeviceKey("handoff:device_pending");
      const payload = buildPairPayload({
        ...BASE,
        privateKeyPem: key.privateKeyPem,
      });

      const image = join(dir, "qr.pgm");
      writeFileSync(image, halfBlocksToPgm(await renderQrTerminal(payload)));
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
});

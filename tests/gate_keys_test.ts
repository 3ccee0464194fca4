import { unless } from "./helpers/skip.ts";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  decodeOpenSshPrivateKey,
  encodeOpenSshPrivateKey,
  fingerprintOfPublicKeyLine,
  generateDeviceKey,
} from "../plugins/sshd/sshkey.ts";
import { formatCode, newNonce, verificationCode } from "../plugins/gate/verification.ts";

function sshKeygen(...args: string[]): { code: number; stdout: string } {
  const out = new Deno.Command("ssh-keygen", {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

function haveSshKeygen(): boolean {
  try {
    sshKeygen("-?");
    return true;
  } catch {
    return false;
  }
}

/** Run `fn` with a fresh private temp dir, removed afterwards. */
function withTempDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "handoff-gate-keys-"));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

Deno.test("verificationCode: the seed's test vectors", () => {
  assert.equal(verificationCode("SHA256:testfp", "abc123"), "071706");
  assert.equal(verificationCode("SHA256:testfp", "xyz789"), "907457");
  assert.equal(verificationCode("SHA256:pending", "nonce3"), "120608");
  assert.equal(formatCode("071706"), "071 706");
});

Deno.test("newNonce: 12 lowercase hex characters, fresh each time", () => {
  const nonces = new Set(Array.from({ length: 50 }, newNonce));
  assert.equal(nonces.size, 50);
  for (const n of nonces) assert.match(n, /^[0-9a-f]{12}$/);
});

Deno.test("generateDeviceKey: the format the phones parse", () => {
  const key = generateDeviceKey("handoff:device_pending");
  assert.match(
    key.publicKeyLine,
    /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43} handoff:device_pending$/,
  );
  assert.match(key.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
  assert.equal(fingerprintOfPublicKeyLine(key.publicKeyLine), key.fingerprint);

  const lines = key.privateKeyPem.split("\n");
  assert.equal(lines[0], "-----BEGIN OPENSSH PRIVATE KEY-----");
  assert.deepEqual(lines.slice(-2), ["-----END OPENSSH PRIVATE KEY-----", ""]);
  const body = lines.slice(1, -2);
  assert.ok(body.slice(0, -1).every((l) => l.length === 70));
  assert.ok(body.at(-1)!.length <= 70);

  // Magic, none/none, one key, ssh-ed25519, 64-byte private field, padding, check ints.
  const decoded = decodeOpenSshPrivateKey(key.privateKeyPem);
  assert.equal(decoded.comment, "handoff:device_pending");
  assert.equal(decoded.fingerprint, key.fingerprint);
  assert.equal(decoded.seed.length, 32);
});

Deno.test("generateDeviceKey: refuses comments that would break the key line", () => {
  for (const comment of ["a\nb", "a\x1bb", " lead"]) {
    assert.throws(() => generateDeviceKey(comment), /invalid key comment/);
  }
});

Deno.test("fingerprintOfPublicKeyLine: rejects what is not a key line", () => {
  const key = generateDeviceKey("c");
  const blob = key.publicKeyLine.split(" ")[1];
  assert.throws(
    () => fingerprintOfPublicKeyLine("ssh-ed25519 !!!"),
    /not an OpenSSH/,
  );
  assert.throws(() => fingerprintOfPublicKeyLine(""), /not an OpenSSH/);
  assert.throws(
    () => fingerprintOfPublicKeyLine(`ssh-rsa ${blob}`),
    /not an OpenSSH/,
  );
});

Deno.test(unless(haveSshKeygen() ? null : "no ssh-keygen (install openssh-client)", {
  name: "generateDeviceKey: ssh-keygen reads the key, unencrypted, same fingerprint",
  fn() {
    withTempDir((dir) => {
      const key = generateDeviceKey("handoff:device_3fa1");
      const file = join(dir, "device_3fa1");
      writeFileSync(file, key.privateKeyPem, { mode: 0o600 });
      // -P "" succeeds only for a key without a passphrase.
      const pub = sshKeygen("-y", "-P", "", "-f", file);
      assert.equal(pub.code, 0);
      assert.equal(pub.stdout.trim(), key.publicKeyLine);
      const fp = sshKeygen("-l", "-E", "sha256", "-f", file);
      assert.equal(fp.stdout.split(" ")[1], key.fingerprint);
    });
  },
}));

Deno.test(unless(haveSshKeygen() ? null : "no ssh-keygen (install openssh-client)", {
  name: "encodeOpenSshPrivateKey: byte for byte what ssh-keygen writes",
  fn() {
    withTempDir((dir) => {
      const file = join(dir, "ref");
      const comment = "handoff:device_pending";
      assert.equal(
        sshKeygen("-t", "ed25519", "-N", "", "-C", comment, "-q", "-f", file)
          .code,
        0,
      );
      const pem = readFileSync(file, "utf8");
      const ref = decodeOpenSshPrivateKey(pem);
      assert.equal(encodeOpenSshPrivateKey(ref, ref.checkInt), pem);
      const pubLine = readFileSync(`${file}.pub`, "utf8");
      const listed = sshKeygen("-l", "-E", "sha256", "-f", `${file}.pub`);
      assert.equal(
        fingerprintOfPublicKeyLine(pubLine),
        listed.stdout.split(" ")[1],
      );
      assert.equal(ref.fingerprint, listed.stdout.split(" ")[1]);
    });
  },
}));

Deno.test(unless(haveSshKeygen() ? null : "no ssh-keygen (install openssh-client)", {
  name: "decodeOpenSshPrivateKey: refuses what the iOS parser refuses",
  fn() {
    withTempDir((dir) => {
      const file = join(dir, "locked");
      sshKeygen("-t", "ed25519", "-N", "secret", "-q", "-f", file);
      assert.throws(
        () => decodeOpenSshPrivateKey(readFileSync(file, "utf8")),
        /encrypted/,
      );
    });
    assert.throws(
      () => decodeOpenSshPrivateKey("not a key"),
      /unsupported|truncated/,
    );
  },
}));

// Per-device Ed25519 keys in the unencrypted OpenSSH v1 format both phone apps parse
// (iOS insists on: magic, cipher/kdf "none", one key, ssh-ed25519, 64-byte private field).
// node:crypto only exports PKCS#8, so the container is encoded here (PROTOCOL.key).

import { Buffer } from "node:buffer";
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { isPrintable } from "../../core/output.ts";

const KEY_TYPE = "ssh-ed25519";
const MAGIC = Buffer.from("openssh-key-v1\0", "latin1");
const BEGIN = "-----BEGIN OPENSSH PRIVATE KEY-----";
const END = "-----END OPENSSH PRIVATE KEY-----";
/** Line width of the base64 body, as ssh-keygen writes it and as the phones rebuild it. */
export const PEM_LINE_WIDTH = 70;

export interface DeviceKey {
  privateKeyPem: string;
  /** `ssh-ed25519 AAAA… comment` */
  publicKeyLine: string;
  /** `SHA256:` + unpadded base64 of sha256(public key blob), as `ssh-keygen -l` prints it. */
  fingerprint: string;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function sshString(data: Buffer | string): Buffer {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  return Buffer.concat([u32(bytes.length), bytes]);
}

function publicKeyBlob(publicKey: Buffer): Buffer {
  return Buffer.concat([sshString(KEY_TYPE), sshString(publicKey)]);
}

function fingerprintOfBlob(blob: Buffer): string {
  const digest = createHash("sha256").update(blob).digest("base64");
  return `SHA256:${digest.replace(/=+$/, "")}`;
}

/** Wrap base64 at 70 columns inside the OpenSSH armour, with a trailing newline. */
export function armourPrivateKey(base64Body: string): string {
  const lines = base64Body.match(new RegExp(`.{1,${PEM_LINE_WIDTH}}`, "g")) ??
    [];
  return [BEGIN, ...lines, END, ""].join("\n");
}

/** Encode an Ed25519 key pair as an unencrypted `openssh-key-v1` PEM. */
export function encodeOpenSshPrivateKey(
  key: { seed: Buffer; publicKey: Buffer; comment: string },
  checkInt: number = randomBytes(4).readUInt32BE(),
): string {
  if (key.seed.length !== 32 || key.publicKey.length !== 32) {
    throw new Error("an Ed25519 seed and public key are 32 bytes each");
  }
  const parts = [
    u32(checkInt),
    u32(checkInt),
    sshString(KEY_TYPE),
    sshString(key.publicKey),
    sshString(Buffer.concat([key.seed, key.publicKey])),
    sshString(key.comment),
  ];
  const unpadded = Buffer.concat(parts).length;
  const padding = Buffer.from(
    Array.from({ length: (8 - (unpadded % 8)) % 8 }, (_, i) => i + 1),
  );
  const blob = Buffer.concat([
    MAGIC,
    sshString("none"), // cipher
    sshString("none"), // kdf
    sshString(""), // kdf options
    u32(1), // number of keys
    sshString(publicKeyBlob(key.publicKey)),
    sshString(Buffer.concat([...parts, padding])),
  ]);
  return armourPrivateKey(blob.toString("base64"));
}

/** A fresh key; `comment` ends up in the public key line (e.g. `handoff:device_3fa1`). */
export function generateDeviceKey(comment: string): DeviceKey {
  if (!isPrintable(comment) || comment.trim() !== comment) {
    throw new Error(`invalid key comment ${JSON.stringify(comment)}`);
  }
  const { privateKey } = generateKeyPairSync("ed25519");
  const jwk = privateKey.export({ format: "jwk" });
  const seed = Buffer.from(jwk.d!, "base64url");
  const publicKey = Buffer.from(jwk.x!, "base64url");
  const blob = publicKeyBlob(publicKey);
  return {
    privateKeyPem: encodeOpenSshPrivateKey({ seed, publicKey, comment }),
    publicKeyLine: [KEY_TYPE, blob.toString("base64"), comment].filter((s) => s)
      .join(" "),
    fingerprint: fingerprintOfBlob(blob),
  };
}

/** Sequential reader over SSH wire encoding; throws on truncation. */
class WireReader {
  #offset = 0;
  constructor(readonly buf: Buffer) {}
  get remaining(): number {
    return this.buf.length - this.#offset;
  }
  bytes(n: number): Buffer {
    if (n > this.remaining) throw new Error("truncated key data");
    const out = this.buf.subarray(this.#offset, this.#offset + n);
    this.#offset += n;
    return out;
  }
  u32(): number {
    return this.bytes(4).readUInt32BE();
  }
  string(): Buffer {
    return this.bytes(this.u32());
  }
}

/** `SHA256:…` of an OpenSSH public key line (`<type> <base64> [comment]`). */
export function fingerprintOfPublicKeyLine(line: string): string {
  const [type, body = ""] = line.trim().split(/\s+/);
  const blob = Buffer.from(body, "base64");
  let embeddedType = "";
  try {
    embeddedType = new WireReader(blob).string().toString("latin1");
  } catch {
    // truncated blob: rejected below
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || embeddedType !== type) {
    throw new Error("not an OpenSSH public key line");
  }
  return fingerprintOfBlob(blob);
}

/**
 * Decode an unencrypted OpenSSH Ed25519 private key, enforcing what the iOS parser requires.
 * Used to check keys (and keys rebuilt from a QR payload) without shelling out.
 */
export function decodeOpenSshPrivateKey(
  pem: string,
): {
  seed: Buffer;
  publicKey: Buffer;
  comment: string;
  checkInt: number;
  fingerprint: string;
} {
  const body = pem.split("\n").filter((l) => l !== "" && !l.startsWith("-"))
    .join("");
  const r = new WireReader(Buffer.from(body, "base64"));
  const fail = (what: string): never => {
    throw new Error(`unsupported OpenSSH private key: ${what}`);
  };
  if (!r.bytes(MAGIC.length).equals(MAGIC)) fail("bad magic");
  if (r.string().toString() !== "none") fail("encrypted (cipher)");
  if (r.string().toString() !== "none") fail("encrypted (kdf)");
  r.string(); // kdf options
  if (r.u32() !== 1) fail("not exactly one key");
  const pubBlob = r.string();
  const priv = new WireReader(r.string());
  if (r.remaining !== 0) fail("trailing data");
  const checkInt = priv.u32();
  if (priv.u32() !== checkInt) fail("check integers differ");
  if (priv.string().toString() !== KEY_TYPE) fail("not ssh-ed25519");
  const publicKey = Buffer.from(priv.string());
  const secret = priv.string();
  if (secret.length !== 64) fail("private field is not 64 bytes");
  if (!secret.subarray(32).equals(publicKey)) fail("public key mismatch");
  if (!publicKeyBlob(publicKey).equals(pubBlob)) fail("public blob mismatch");
  const comment = priv.string().toString("utf8");
  const padding = priv.bytes(priv.remaining);
  if (padding.length >= 8 || !padding.every((b, i) => b === i + 1)) {
    fail("bad padding");
  }
  return {
    seed: Buffer.from(secret.subarray(0, 32)),
    publicKey,
    comment,
    checkInt,
    fingerprint: fingerprintOfBlob(pubBlob),
  };
}

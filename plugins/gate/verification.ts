// Pairing verification code (seed §4.3). The phone only displays what the gate returns in
// `verify:<code>`, so the formula must match the seed byte for byte.

import { createHash, randomBytes } from "node:crypto";

/** zero-pad-6(uint32(first 8 hex of sha256_hex(fingerprint + nonce)) mod 1e6). */
export function verificationCode(fingerprint: string, nonce: string): string {
  const hex = createHash("sha256").update(fingerprint + nonce, "utf8").digest(
    "hex",
  );
  return String(parseInt(hex.slice(0, 8), 16) % 1_000_000).padStart(6, "0");
}

/** 6 random bytes as 12 lowercase hex characters (`openssl rand -hex 6`). */
export function newNonce(): string {
  return randomBytes(6).toString("hex");
}

/** `071706` → `071 706`, as both the Mac and the phone show it. */
export function formatCode(code: string): string {
  return `${code.slice(0, 3)} ${code.slice(3)}`;
}

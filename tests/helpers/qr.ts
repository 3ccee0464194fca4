/** Reading back the QR codes handoff prints, the way a phone's camera would (with zbarimg). */
import type { PairPayload } from "../../plugins/phone/payload.ts";
import { armourPrivateKey } from "../../plugins/sshd/sshkey.ts";

/** Half-block QR text (as printed by pair) → greyscale PGM for zbarimg. */
export function qrTextToPgm(lines: string[]): Uint8Array {
  const rows: boolean[][] = [];
  for (const line of lines) {
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
      image[header.length + y * width + x] = rows[Math.floor(y / scale)][Math.floor(x / scale)]
        ? 0
        : 255;
    }
  }
  return image;
}

/** What the phones do with a scanned payload, including the PEM rebuilt from `k`. */
export function parsePairPayload(text: string): PairPayload {
  const o = JSON.parse(text);
  if (typeof o !== "object" || o === null || o.v !== 2) {
    throw new Error("not a Handoff v2 pairing payload");
  }
  for (const key of ["i", "u", "k", "t"]) {
    if (typeof o[key] !== "string" || o[key] === "") {
      throw new Error(`pairing payload: missing ${key}`);
    }
  }
  return {
    host: o.i,
    user: o.u,
    privateKeyPem: armourPrivateKey(o.k),
    tmuxPath: o.t,
    nonce: typeof o.n === "string" ? o.n : "",
    ...(typeof o.h === "string" ? { hostKeyFingerprint: o.h } : {}),
  };
}

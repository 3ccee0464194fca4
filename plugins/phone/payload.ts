// The v2 pairing QR (seed §4.2): single-line JSON, keys in the order v, i, u, k, t, n, with
// an optional host-key fingerprint `h` last (both phone parsers ignore unknown keys).

import QRCode from "qrcode";

export interface PairPayload {
  /** Tailscale IPv4 the phone dials on port 22. */
  host: string;
  /** Login user on the Mac. */
  user: string;
  privateKeyPem: string;
  /** Absolute tmux path; unused by v2 phones but required by both parsers. */
  tmuxPath: string;
  nonce: string;
  hostKeyFingerprint?: string;
}

function required(name: string, value: string): string {
  if (value === "") throw new Error(`pair payload: ${name} is empty`);
  return value;
}

export function buildPairPayload(p: PairPayload): string {
  // `k` is the PEM without its armour lines, base64 lines joined without newlines.
  const k = p.privateKeyPem.split(/\r?\n/).filter((l) => !l.startsWith("-"))
    .join("");
  const payload: Record<string, string | number> = {
    v: 2,
    i: required("host", p.host),
    u: required("user", p.user),
    k: required("private key", k),
    t: required("tmux path", p.tmuxPath),
    n: p.nonce,
  };
  if (p.hostKeyFingerprint) payload.h = p.hostKeyFingerprint;
  return JSON.stringify(payload);
}

/**
 * The QR as half-block text (two modules per character row), dark modules drawn as ink.
 * That reads correctly on light-background terminals; `ansi` pins black on white so it
 * also scans on dark themes, where plain ink would invert the code.
 */
export async function renderQrTerminal(
  payload: string,
  opts: { ansi?: boolean } = {},
): Promise<string> {
  const text = await QRCode.toString(payload, {
    type: "utf8",
    errorCorrectionLevel: "L",
    margin: 2,
  });
  if (!opts.ansi) return text;
  return text.split("\n").map((l) => `\x1b[38;5;16;48;5;231m${l}\x1b[0m`).join(
    "\n",
  );
}

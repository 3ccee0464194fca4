/**
 * Copy to the clipboard with OSC 52: the terminal itself sets its clipboard, so `y` works
 * over SSH and inside tmux, with no pbcopy/xclip on this machine.
 */

const ESC = "\x1b";
const BEL = "\x07";

/** Base64 of the UTF-8 bytes (btoa alone only takes Latin-1). */
export function base64Utf8(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/**
 * The escape sequence(s) that put `text` on the clipboard. Inside tmux two forms are
 * sent: the plain one, which tmux accepts with `set-clipboard on` (and then forwards to
 * the outer terminal), and the DCS passthrough one, which reaches the outer terminal
 * when `allow-passthrough on`. With neither option set tmux drops both, silently.
 */
export function osc52(text: string, opts: { tmux?: boolean } = {}): string {
  const seq = `${ESC}]52;c;${base64Utf8(text)}${BEL}`;
  if (!opts.tmux) return seq;
  const passthrough = `${ESC}Ptmux;${seq.replaceAll(ESC, ESC + ESC)}${ESC}\\`;
  return seq + passthrough;
}

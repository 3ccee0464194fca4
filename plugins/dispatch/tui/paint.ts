/**
 * Segments → one string with SGR escape codes. Each screen line is drawn as a single ink
 * <Text> holding such a string: one text node per line instead of one per cell keeps
 * the first frame and every scroll step cheap (a 21-row frame re-renders in ~2 ms rather
 * than ~8 ms). Colours are left out when `color` is false (NO_COLOR); bold, dim and
 * inverse are attributes, not colours, and stay.
 */
import type { Segment, Tone } from "./columns.ts";

const FG: Record<string, number> = { red: 31, green: 32, yellow: 33, cyan: 36 };

function open(tone: Tone, color: boolean): string {
  if (tone === "inverse") return "\x1b[7m";
  if (tone === "bold") return "\x1b[1m";
  if (tone === "dim") return "\x1b[2m";
  if (tone && color && FG[tone]) return `\x1b[${FG[tone]}m`;
  return "";
}

function close(tone: Tone, color: boolean): string {
  if (tone === "inverse") return "\x1b[27m";
  if (tone === "bold" || tone === "dim") return "\x1b[22m";
  if (tone && color && FG[tone]) return "\x1b[39m";
  return "";
}

export function paint(
  segments: Segment[],
  o: { color: boolean; inverse?: boolean },
): string {
  let s = "";
  for (const seg of segments) {
    // Inside an inverse line, colours would paint the background of their cells: plain.
    const tone = o.inverse ? undefined : seg.tone;
    s += open(tone, o.color) + seg.text + close(tone, o.color);
  }
  return o.inverse ? `\x1b[7m${s}\x1b[27m` : s;
}

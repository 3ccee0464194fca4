// What a permission request shows: one short line saying what the agent wants, escaped so
// that nothing in it can drive a terminal or pass for markup, and the options it offers.
// Pure.

import { escapeControls } from "../../core/output.ts";

/** The longest summary a request carries (in code points). */
export const MAX_SUMMARY = 200;

/** How an option answers, in the Agent Client Protocol's words (every agent maps onto them). */
export type OptionKind = "allow_once" | "allow_always" | "reject_once" | "reject_always";

/** One answer the agent offers. `id` is what the agent is told back. */
export interface RequestOption {
  id: string;
  kind: OptionKind;
  label: string;
}

const KINDS: readonly string[] = ["allow_once", "allow_always", "reject_once", "reject_always"];

export function isOptionKind(s: unknown): s is OptionKind {
  return typeof s === "string" && KINDS.includes(s);
}

function unicodeEscape(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** Letters that draw nothing (Hangul fillers, the braille blank): shown as escapes. */
const BLANK_LETTERS = /[\u115f\u1160\u3164\uffa0\u2800]/g;

/**
 * Untrusted text as one visible line of at most `max` code points. Whitespace runs become
 * one space, spaces other than U+0020 and blank letters become escapes (nothing can pad
 * the end out of sight), and a long text keeps its start and its end: what a command
 * ends with (`| sh`) is often what matters.
 */
export function shortLine(text: string, max = MAX_SUMMARY): string {
  const line = escapeControls(
    text.replace(/[ \t\r\n]+/g, " ").trim()
      .replace(/\p{Zs}/gu, (c) => c === " " ? c : unicodeEscape(c))
      .replace(BLANK_LETTERS, unicodeEscape),
  );
  const chars = Array.from(line);
  if (chars.length <= max) return line;
  const tail = Math.floor(max / 3);
  return chars.slice(0, max - tail - 3).join("") + " … " + chars.slice(-tail).join("");
}

type Json = Record<string, unknown>;
const str = (v: unknown): string => typeof v === "string" ? v : "";

function lineCount(text: string): number {
  return text === "" ? 0 : text.split("\n").length;
}

/**
 * Claude Code's tool call → `Bash: rm -rf build`, `Write: src/a.ts (12 lines)`,
 * `Edit: src/a.ts (-3 +5 lines)`; other tools by their first string argument.
 */
export function claudeRequestSummary(tool: string, input: unknown): string {
  const i = (input && typeof input === "object" ? input : {}) as Json;
  const path = str(i.file_path) || str(i.notebook_path) || str(i.path);
  switch (tool) {
    case "Bash":
      return shortLine(`Bash: ${str(i.command)}`);
    case "Write":
      return shortLine(`Write: ${path} (${lineCount(str(i.content))} lines)`);
    case "Edit":
      return shortLine(
        `Edit: ${path} (-${lineCount(str(i.old_string))} +${lineCount(str(i.new_string))} lines)`,
      );
    case "MultiEdit": {
      const edits = Array.isArray(i.edits) ? i.edits.length : 0;
      return shortLine(`MultiEdit: ${path} (${edits} edits)`);
    }
    case "WebFetch":
      return shortLine(`WebFetch: ${str(i.url)}`);
  }
  const first = Object.values(i).find((v) => typeof v === "string") as string | undefined;
  return shortLine(first ? `${tool}: ${first}` : tool);
}

/**
 * The options of a Claude Code request: "always" only when Claude Code itself offers a
 * rule to remember (its `permission_suggestions`), as its own dialog does.
 */
export function claudeOptions(suggestions: unknown): RequestOption[] {
  const always = Array.isArray(suggestions) && suggestions.length > 0;
  return [
    { id: "once", kind: "allow_once", label: "Yes" },
    ...(always
      ? [{ id: "always", kind: "allow_always" as const, label: "Yes, and don't ask again" }]
      : []),
    { id: "deny", kind: "reject_once", label: "No" },
  ];
}

/** The option a verb picks: approve once|always, deny. Undefined when the agent offers none. */
export function pickOption(
  options: readonly RequestOption[],
  answer: "once" | "always" | "deny",
): RequestOption | undefined {
  const order: OptionKind[] = answer === "once"
    ? ["allow_once"]
    : answer === "always"
    ? ["allow_always"]
    : ["reject_once", "reject_always"];
  for (const k of order) {
    const o = options.find((x) => x.kind === k);
    if (o) return o;
  }
  return undefined;
}

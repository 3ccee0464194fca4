/**
 * Putting `handoff notify` into the agents' own configuration, and taking it out again.
 * Pure text-in, text-out: plugins/dispatch/init.ts does the reading and writing.
 *
 * - Claude Code: `hooks` in settings.json. handoff's entries are the command hooks whose
 *   command ends with HOOK_MARKER (a shell comment), so removal takes out exactly those.
 * - Codex: the top-level `notify = [...]` of config.toml (Codex runs it with one JSON
 *   argument after each turn). Only that key's lines are touched.
 */

/** Ends every command handoff writes into settings.json: how removal recognises them. */
export const HOOK_MARKER = "# handoff-notify";
export const HOOK_TIMEOUT_S = 5;
export const CLAUDE_HOOK_EVENTS = ["Notification", "Stop", "PermissionRequest"] as const;
/** The first Claude Code with the PermissionRequest hook event. */
export const PERMISSION_REQUEST_SINCE: [number, number, number] = [2, 0, 45];

export class ConfigError extends Error {}

/** Quotes one argument for the POSIX shell that runs Claude Code hook commands. */
export function shQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The settings.json command for a handoff argv (e.g. [deno, run, -A, main.ts] or [handoff]). */
export function claudeHookCommand(handoff: string[]): string {
  return [...handoff, "notify", "--source", "claude-code"].map(shQuote).join(" ") +
    ` ${HOOK_MARKER}`;
}

/** How long the approval hook waits for a phone by default (`init --approval-wait`). */
export const DEFAULT_APPROVAL_WAIT_S = 90;
/** The agent's timeout for the approval hook is this much longer than its wait. */
export const APPROVAL_TIMEOUT_MARGIN_S = 30;

/**
 * The settings.json hook for phone approvals: `approval-hook` waits up to `waitS` for an
 * answer, and Claude Code's own timeout for it is longer, so the hook always ends first.
 */
export function approvalHook(
  handoff: string[],
  waitS: number,
  source: "claude-code" | "codex" = "claude-code",
): { command: string; timeout: number } {
  const argv = [...handoff, "approval-hook", "--source", source, "--wait", String(waitS)];
  return {
    command: argv.map(shQuote).join(" ") + ` ${HOOK_MARKER}`,
    timeout: waitS + APPROVAL_TIMEOUT_MARGIN_S,
  };
}

/** True for `claude --version` output of a Claude Code that knows PermissionRequest hooks. */
export function hasPermissionRequest(versionText: string | null): boolean {
  const m = versionText?.match(/(\d+)\.(\d+)\.(\d+)/);
  if (!m) return true; // not installed or unreadable: assume a current one
  const v = [Number(m[1]), Number(m[2]), Number(m[3])];
  for (let i = 0; i < 3; i++) {
    if (v[i] !== PERMISSION_REQUEST_SINCE[i]) return v[i] > PERMISSION_REQUEST_SINCE[i];
  }
  return true;
}

type Json = Record<string, unknown>;
interface HookEntry {
  type?: unknown;
  command?: unknown;
  timeout?: unknown;
}
interface HookGroup {
  matcher?: unknown;
  hooks?: unknown;
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isOurs(h: unknown): boolean {
  return isObject(h) && typeof (h as HookEntry).command === "string" &&
    ((h as HookEntry).command as string).trimEnd().endsWith(HOOK_MARKER);
}

/** Parses settings.json text (empty or missing: `{}`); refuses anything but a JSON object. */
export function parseSettings(text: string | null, where: string): Json {
  if (text === null || text.trim() === "") return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(
      `${where} is not valid JSON (${
        (e as Error).message
      }); fix it first, handoff will not overwrite it`,
    );
  }
  if (!isObject(v)) throw new ConfigError(`${where} is not a JSON object; left as it is`);
  if (v.hooks !== undefined && !isObject(v.hooks)) {
    throw new ConfigError(`${where}: "hooks" is not an object; left as it is`);
  }
  return v;
}

/** The indentation a JSON text uses (so a rewrite looks like the original). */
export function jsonIndent(text: string | null): string | number {
  const m = text?.match(/^\{\s*\n([ \t]+)\S/);
  return m ? m[1] : 2;
}

function render(v: Json, original: string | null): string {
  const text = JSON.stringify(v, null, jsonIndent(original));
  return original !== null && !original.endsWith("\n") && original !== "" ? text : text + "\n";
}

export interface Edit {
  text: string;
  changed: string[];
}

/**
 * Adds (or updates) handoff's hook for each event, keeping every other hook. `events`
 * defaults to all of CLAUDE_HOOK_EVENTS.
 */
export function addClaudeHooks(
  original: string | null,
  where: string,
  command: string,
  events: readonly string[] = CLAUDE_HOOK_EVENTS,
  /** A different command (and timeout) for some events: the approval hook. */
  special: Readonly<Record<string, { command: string; timeout: number }>> = {},
): Edit {
  const settings = parseSettings(original, where);
  const hooks = (settings.hooks ?? {}) as Json;
  const changed: string[] = [];
  for (const event of events) {
    const groups = hooks[event] ?? [];
    if (!Array.isArray(groups)) {
      throw new ConfigError(`${where}: hooks.${event} is not a list; left as it is`);
    }
    const ours = groups.flatMap((g: HookGroup) =>
      isObject(g) && Array.isArray(g.hooks) ? g.hooks.filter(isOurs) as HookEntry[] : []
    );
    const want = special[event] ?? { command, timeout: HOOK_TIMEOUT_S };
    if (ours.length > 0) {
      for (const h of ours) {
        if (h.command !== want.command || h.timeout !== want.timeout) {
          h.command = want.command;
          h.timeout = want.timeout;
          if (!changed.includes(event)) changed.push(event);
        }
      }
      continue;
    }
    groups.push({ hooks: [{ type: "command", command: want.command, timeout: want.timeout }] });
    hooks[event] = groups;
    changed.push(event);
  }
  if (changed.length === 0) return { text: original ?? "", changed };
  settings.hooks = hooks;
  return { text: render(settings, original), changed };
}

/** Takes out handoff's hooks (and only the containers that held nothing else). */
export function removeClaudeHooks(original: string | null, where: string): Edit {
  if (original === null) return { text: "", changed: [] };
  const settings = parseSettings(original, where);
  const hooks = settings.hooks as Json | undefined;
  const changed: string[] = [];
  if (!hooks) return { text: original, changed };
  for (const [event, groups] of Object.entries(hooks)) {
    if (!Array.isArray(groups)) continue;
    const kept: unknown[] = [];
    for (const g of groups as HookGroup[]) {
      if (!isObject(g) || !Array.isArray(g.hooks) || !g.hooks.some(isOurs)) {
        kept.push(g);
        continue;
      }
      const rest = g.hooks.filter((h) => !isOurs(h));
      if (rest.length > 0) kept.push({ ...g, hooks: rest });
    }
    if (kept.length === groups.length && kept.every((g, i) => g === groups[i])) continue;
    changed.push(event);
    if (kept.length > 0) hooks[event] = kept;
    else delete hooks[event];
  }
  if (changed.length === 0) return { text: original, changed };
  if (Object.keys(hooks).length === 0) delete settings.hooks;
  return { text: render(settings, original), changed };
}

// ---- Codex config.toml --------------------------------------------------------------

/** Where the top-level `notify` key sits: [first line, last line] (multi-line arrays). */
function findNotify(lines: string[]): { start: number; end: number } | null {
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*\[/.test(lines[i])) return null; // tables begin: no top-level notify
    if (!/^\s*notify\s*=/.test(lines[i])) continue;
    let depth = 0;
    for (let j = i; j < lines.length; j++) {
      depth += bracketDepth(lines[j]);
      if (depth <= 0) return { start: i, end: j };
    }
    return { start: i, end: lines.length - 1 };
  }
  return null;
}

/** Net `[` minus `]` on a line, outside strings and comments. */
function bracketDepth(line: string): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "#") break;
    else if (c === "[") depth++;
    else if (c === "]") depth--;
  }
  return depth;
}

/** The argv of a `notify = [...]` value when it is plain JSON-compatible strings. */
export function notifyArgv(value: string): string[] | null {
  const text = value.replace(/^\s*notify\s*=\s*/, "").trim();
  try {
    const v = JSON.parse(text.replace(/\s*#[^"\]]*$/, "").replace(/,\s*\]$/, "]"));
    return Array.isArray(v) && v.every((s) => typeof s === "string") ? v : null;
  } catch {
    return null;
  }
}

/** handoff's own Codex notify: it ends in `notify --source codex`. */
export function isOurCodexNotify(argv: string[] | null): boolean {
  return argv !== null && argv.slice(-3).join(" ") === "notify --source codex";
}

export type CodexAction = "create" | "unchanged" | "update" | "conflict";

/**
 * Sets the top-level `notify` of a Codex config.toml to `argv`. Someone else's notify is
 * kept (`conflict`) unless `force`. Nothing else in the file changes.
 */
export function setCodexNotify(
  original: string | null,
  argv: string[],
  force: boolean,
): { text: string; action: CodexAction; existing?: string } {
  const text = original ?? "";
  const line = `notify = ${JSON.stringify(argv)}`;
  const lines = text.split("\n");
  const at = findNotify(lines);
  if (at) {
    const existing = lines.slice(at.start, at.end + 1).join("\n");
    if (existing === line) return { text, action: "unchanged" };
    const theirs = !isOurCodexNotify(notifyArgv(existing));
    if (theirs && !force) return { text, action: "conflict", existing };
    lines.splice(at.start, at.end - at.start + 1, line);
    return { text: lines.join("\n"), action: "update", existing };
  }
  // A new top-level key goes after the last top-level line, before any comment that
  // introduces the first table.
  const firstTable = lines.findIndex((l) => /^\s*\[/.test(l));
  if (firstTable < 0) {
    const body = text === "" || text.endsWith("\n") ? text : text + "\n";
    return { text: body + line + "\n", action: "create" };
  }
  let insert = firstTable;
  while (insert > 0 && /^\s*(#.*)?$/.test(lines[insert - 1])) insert--;
  lines.splice(insert, 0, line);
  return { text: lines.join("\n"), action: "create" };
}

/** Removes handoff's `notify` from a Codex config.toml; someone else's stays. */
export function removeCodexNotify(original: string | null): { text: string; removed: boolean } {
  if (original === null) return { text: "", removed: false };
  const lines = original.split("\n");
  const at = findNotify(lines);
  if (!at || !isOurCodexNotify(notifyArgv(lines.slice(at.start, at.end + 1).join("\n")))) {
    return { text: original, removed: false };
  }
  lines.splice(at.start, at.end - at.start + 1);
  return { text: lines.join("\n"), removed: true };
}

// What the word under the cursor should be, from the words before it. Pure: the shell
// scripts hand over the words, candidates.ts finds the values.

/** What kind of word is being completed. */
export type Want =
  | { kind: "commands" }
  /** A flag (or a subcommand) of this command path, e.g. ["devices", "rm"]. */
  | { kind: "flags"; path: string[] }
  | { kind: "subcommands"; command: string }
  | { kind: "runs" }
  | { kind: "backends" }
  | { kind: "devices" }
  | { kind: "sessions" }
  | { kind: "plugins" }
  | { kind: "requests" }
  | { kind: "shells" }
  /** Nothing handoff knows: the shell's own (file) completion. */
  | { kind: "none" };

/** Global options that take a value (they come before the command). */
const GLOBAL_VALUE = new Set(["--home", "--config"]);

/** Flags whose value is a known kind of name. */
const VALUE_KINDS: Record<string, Want["kind"]> = {
  "-b": "backends",
  "--backend": "backends",
  "--session": "sessions",
  "--sessions": "sessions",
  "--tmux-session": "sessions",
};

/** Commands whose first argument is a run (rm: every argument). */
const RUN_COMMANDS = new Set(["tail", "wait", "kill", "cancel", "resume", "rm"]);
const DEVICE_COMMANDS = new Set(["revoke", "renew", "logs"]);
const DEVICE_SUBCOMMANDS = new Set(["rm", "revoke", "edit", "renew", "log", "logs", "approve"]);
const PLUGIN_SUBCOMMANDS = new Set([
  "info",
  "remove",
  "upgrade",
  "enable",
  "disable",
  "verify",
  "status",
]);
/** Commands with subcommands: a bare word after them names one. */
const WITH_SUBCOMMANDS = new Set(["devices", "plugin", "backends"]);

/**
 * `before`: the words after `handoff` and before the cursor; `current`: the word being
 * typed. `takesValue(path, flag)` says whether a command's flag reads the next word.
 */
export function whatToComplete(
  before: readonly string[],
  current: string,
  takesValue: (path: string[], flag: string) => boolean,
): Want {
  const words = [...before];
  // Global options first.
  while (words.length && words[0].startsWith("-")) {
    const flag = words.shift()!;
    if (GLOBAL_VALUE.has(flag.split("=")[0]) && !flag.includes("=")) {
      if (words.length === 0) return { kind: "none" }; // the value itself: a path
      words.shift();
    }
  }
  if (words.length === 0) {
    return current.startsWith("-") ? { kind: "flags", path: [] } : { kind: "commands" };
  }
  const command = words[0];
  const rest = words.slice(1);
  const sub = WITH_SUBCOMMANDS.has(command) ? rest.find((w) => !w.startsWith("-")) : undefined;
  const path = sub ? [command, sub] : [command];
  const prev = words.at(-1)!;
  if (prev.startsWith("-") && !prev.includes("=") && words.length > 1) {
    const kind = VALUE_KINDS[prev];
    if (kind) return { kind } as Want;
    if (takesValue(path, prev)) return { kind: "none" };
  }
  if (current.startsWith("-")) return { kind: "flags", path };
  const positionals = rest.filter((w, i) =>
    !w.startsWith("-") && !takesValue(path, rest[i - 1] ?? "")
  );
  if (WITH_SUBCOMMANDS.has(command) && sub === undefined) {
    return { kind: "subcommands", command };
  }
  if (RUN_COMMANDS.has(command)) {
    return command === "rm" || positionals.length === 0 ? { kind: "runs" } : { kind: "none" };
  }
  if (DEVICE_COMMANDS.has(command)) {
    return positionals.length === 0 ? { kind: "devices" } : { kind: "none" };
  }
  if (command === "devices" && sub && DEVICE_SUBCOMMANDS.has(sub)) {
    return positionals.length === 1 ? { kind: "devices" } : { kind: "none" };
  }
  if (command === "plugin" && sub && PLUGIN_SUBCOMMANDS.has(sub)) {
    return positionals.length === 1 ? { kind: "plugins" } : { kind: "none" };
  }
  if (command === "backends" && sub === "check") {
    return positionals.length === 1 ? { kind: "backends" } : { kind: "none" };
  }
  if (command === "approve" || command === "deny") {
    return positionals.length === 0 ? { kind: "requests" } : { kind: "none" };
  }
  if (command === "completion") {
    return positionals.length === 0 ? { kind: "shells" } : { kind: "none" };
  }
  return { kind: "none" };
}

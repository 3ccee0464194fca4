/** One short line per tool call, shared by the backends' stream parsers. */
import { oneLine } from "../core/events.ts";

/** `/bin/bash -lc 'echo hi'` → `echo hi`: codex wraps every command in a login shell. */
export function unwrapShell(command: string): string {
  const m = /^(?:\/\S*\/)?(?:ba|z)?sh -l?c '([\s\S]*)'$/.exec(command);
  return m ? m[1].replaceAll(`'\\''`, "'") : command;
}

export function commandLine(command: string): string {
  return "$ " + oneLine(unwrapShell(command), 160);
}

const str = (v: unknown) => (typeof v === "string" ? v : "");

/** Claude Code tool names and inputs (Bash, Write, Edit, Read, …) → a progress line. */
export function claudeToolSummary(
  name: string,
  input: Record<string, unknown>,
): string {
  switch (name) {
    case "Bash":
      return commandLine(str(input.command));
    case "Write":
      return "write " + str(input.file_path);
    case "Edit":
    case "MultiEdit":
    case "NotebookEdit":
      return "edit " + str(input.file_path || input.notebook_path);
    case "Read":
      return "read " + str(input.file_path);
    case "Glob":
    case "Grep":
      return `${name.toLowerCase()} ${oneLine(str(input.pattern), 80)}`;
    case "WebFetch":
      return "fetch " + str(input.url);
    case "WebSearch":
      return "search " + oneLine(str(input.query), 80);
    case "Task":
    case "Agent":
      return "agent " +
        oneLine(str(input.description) || str(input.prompt), 80);
    case "TodoWrite":
      return "todo list updated";
  }
  const first = Object.values(input).find((v) => typeof v === "string") as
    | string
    | undefined;
  return oneLine(first ? `${name} ${first}` : name, 160);
}

// `handoff init --completions`: the completion script where the user's shell loads it by
// itself, replaced each time (so it is idempotent, and new commands are picked up).

import { dirname, join } from "../../core/path.ts";
import { writeFileAtomic } from "../../core/files.ts";
import { readTextOrNull } from "../../core/files.ts";
import { tildePath, userHome } from "../../core/paths.ts";
import { completionScript, type Shell, SHELLS } from "./scripts.ts";

/** Marks the one line handoff adds to a shell's start-up file. */
const MARKER = "# handoff-completion";

/** The user's shell from $SHELL, if it is one handoff completes. */
export function userShell(): Shell | null {
  const name = (Deno.env.get("SHELL") ?? "").split("/").pop() ?? "";
  return (SHELLS as readonly string[]).includes(name) ? name as Shell : null;
}

function dataHome(): string {
  return Deno.env.get("XDG_DATA_HOME") || join(userHome(), ".local", "share");
}

/** Where each shell finds the script, and the start-up line that loads it (if one is needed). */
export function completionTarget(
  shell: Shell,
): { file: string; rc?: { file: string; line: string } } {
  const home = userHome();
  if (shell === "fish") {
    const config = Deno.env.get("XDG_CONFIG_HOME") || join(home, ".config");
    return { file: join(config, "fish", "completions", "handoff.fish") };
  }
  if (shell === "zsh") {
    const dir = join(dataHome(), "zsh", "site-functions");
    return {
      file: join(dir, "_handoff"),
      rc: {
        file: join(home, ".zshrc"),
        line: `fpath=(${dir} $fpath); autoload -Uz compinit && compinit ${MARKER}`,
      },
    };
  }
  const file = join(dataHome(), "bash-completion", "completions", "handoff");
  // bash-completion loads that folder by itself; without it, ~/.bashrc sources the file.
  const hasLoader = ["/usr/share/bash-completion/bash_completion", "/etc/bash_completion"]
    .some((f) => readTextOrNull(f) !== null);
  return hasLoader
    ? { file }
    : { file, rc: { file: join(home, ".bashrc"), line: `[ -f ${file} ] && . ${file} ${MARKER}` } };
}

/** Installs (or refreshes) the script; returns what was done, one line each. */
export function installCompletion(shell: Shell): string[] {
  const t = completionTarget(shell);
  const done: string[] = [];
  const script = completionScript(shell);
  if (readTextOrNull(t.file) !== script) {
    Deno.mkdirSync(dirname(t.file), { recursive: true });
    writeFileAtomic(t.file, script);
    done.push(`${shell} completion: ${tildePath(t.file)}`);
  }
  if (t.rc) {
    const rc = readTextOrNull(t.rc.file) ?? "";
    if (!rc.split("\n").some((l) => l.trimEnd().endsWith(MARKER))) {
      writeFileAtomic(
        t.rc.file,
        rc + (rc === "" || rc.endsWith("\n") ? "" : "\n") + t.rc.line + "\n",
      );
      done.push(`${shell} completion: loaded from ${tildePath(t.rc.file)}`);
    }
  }
  return done;
}

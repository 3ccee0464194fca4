/**
 * Keys → intents (pure). An intent is either a reducer action or something the shell
 * must do (kill a run, copy, start a resume, leave for the interactive CLI, quit).
 *
 * List:   ↑/↓ (j, ^P/^N) move · PgUp/PgDn (^B/^F) page · Home/End (g/G) · Enter/→ detail
 *         / filter · s cycle status · Esc clear filter
 * Detail: ←/→, Tab/Shift-Tab, 1–4 tabs · ↑/↓/j, PgUp/PgDn, Home/End scroll · Esc back
 * Both:   r resume · o open CLI · k/x kill · y copy session · Y copy result path · q quit
 * List, while an agent waits for a permission: a allow · d deny (each asks y/n first)
 *
 * `k` is kill, so unlike vim it does not move up: use ↑ or ^P. An
 * accidental `k` only opens the confirmation.
 */
import type { RunRow } from "../../../core/ledger.ts";
import { formatFilter } from "./filter.ts";
import { type Action, type State, TABS } from "./state.ts";

/** The part of ink's `Key` we read (ink's type satisfies it). */
export interface KeyPress {
  upArrow: boolean;
  downArrow: boolean;
  leftArrow: boolean;
  rightArrow: boolean;
  pageUp: boolean;
  pageDown: boolean;
  home: boolean;
  end: boolean;
  return: boolean;
  escape: boolean;
  ctrl: boolean;
  shift: boolean;
  tab: boolean;
  backspace: boolean;
  delete: boolean;
  meta: boolean;
}

export const NO_KEY: KeyPress = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageUp: false,
  pageDown: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
};

export type Intent =
  | { type: "action"; action: Action }
  | { type: "quit" }
  /** Scroll the active detail tab (the shell knows how many lines it has). */
  | { type: "scroll"; by: number | "top" | "bottom" | "pageUp" | "pageDown" }
  /** The `/` line changed (or was cancelled: `text` is then the filter before). */
  | { type: "filter"; text: string }
  | { type: "cycleStatus" }
  | { type: "kill"; runId: string }
  | { type: "resume"; runId: string; prompt: string }
  | { type: "open"; run: RunRow }
  | { type: "copy"; run: RunRow; what: "session" | "result" }
  | { type: "answer"; requestId: string; allow: boolean };

/** The permission request the list's `a` / `d` answer: the oldest one waiting. */
export interface WaitingRequest {
  requestId: string;
  summary: string;
}

/**
 * Several plain characters can arrive in one read (typed fast, pasted, sent by a script):
 * they are handled one at a time, so `/abc` opens the filter and then types into it.
 */
export function splitKeys(input: string, key: KeyPress): [string, KeyPress][] {
  if (input.length <= 1 || key.ctrl || key.meta) return [[input, key]];
  return [...input].map((ch): [string, KeyPress] => {
    if (ch === "\r" || ch === "\n") return ["", { ...NO_KEY, return: true }];
    if (ch === "\t") return ["", { ...NO_KEY, tab: true }];
    if (ch === "\x7f" || ch === "\b") return ["", { ...NO_KEY, backspace: true }];
    return [ch, NO_KEY];
  });
}

const act = (action: Action): Intent => ({ type: "action", action });
const toast = (text: string, tone: "info" | "error" = "error"): Intent =>
  act({ type: "toast", text, tone });

/**
 * What a key means now. `run` is the run the keys act on: the highlighted row on the
 * list, the shown run in the detail view (null when there is none).
 */
export function interpret(
  s: State,
  run: RunRow | null,
  input: string,
  key: KeyPress,
  waiting: WaitingRequest | null = null,
): Intent[] {
  if (key.ctrl && input === "c") return [{ type: "quit" }];
  if (s.prompt) return promptKeys(s, input, key);
  const common = runKeys(run, input);
  if (common) return common;
  if (!s.detail && (input === "a" || input === "d")) {
    if (!waiting) return [toast("no agent is waiting for a permission", "info")];
    const prompt = { kind: "answer" as const, ...waiting, allow: input === "a" };
    return [act({ type: "ask", prompt })];
  }
  return s.detail ? detailKeys(input, key) : listKeys(s, run, input, key);
}

function promptKeys(s: State, input: string, key: KeyPress): Intent[] {
  const p = s.prompt!;
  if (p.kind === "kill") {
    if (input === "y" || input === "Y") {
      return [act({ type: "dismiss" }), { type: "kill", runId: p.runId }];
    }
    return [act({ type: "dismiss" }), toast("not killed", "info")];
  }
  if (p.kind === "answer") {
    if (input === "y" || input === "Y") {
      return [act({ type: "dismiss" }), { type: "answer", requestId: p.requestId, allow: p.allow }];
    }
    return [act({ type: "dismiss" }), toast("not answered: it still waits", "info")];
  }
  const edited = editLine(p.text, input, key);
  if (p.kind === "filter") {
    if (key.escape) {
      return [act({ type: "dismiss" }), { type: "filter", text: formatFilter(p.before) }];
    }
    if (key.return) return [act({ type: "dismiss" })];
    return edited === null
      ? []
      : [act({ type: "edit", text: edited }), { type: "filter", text: edited }];
  }
  // resume: the follow-up prompt
  if (key.escape) return [act({ type: "dismiss" }), toast("resume cancelled", "info")];
  if (key.return) {
    const text = p.text.trim();
    if (!text) return [act({ type: "dismiss" }), toast("resume cancelled: empty prompt", "info")];
    return [act({ type: "dismiss" }), { type: "resume", runId: p.runId, prompt: text }];
  }
  return edited === null ? [] : [act({ type: "edit", text: edited })];
}

/** One-line editing: printable text appends, Backspace deletes, ^U clears. */
export function editLine(text: string, input: string, key: KeyPress): string | null {
  if (key.backspace || key.delete) return [...text].slice(0, -1).join("");
  if (key.ctrl && input === "u") return "";
  if (key.ctrl || key.meta || key.tab || key.upArrow || key.downArrow) return null;
  if (key.leftArrow || key.rightArrow || key.pageUp || key.pageDown) return null;
  // Pasted newlines would submit half a prompt: keep them as spaces.
  // deno-lint-ignore no-control-regex
  const clean = input.replace(/[\r\n]+/g, " ").replace(/[\x00-\x1f\x7f]/g, "");
  return clean ? text + clean : null;
}

/** Keys that act on a run, the same on the list and in the detail view. */
function runKeys(run: RunRow | null, input: string): Intent[] | null {
  switch (input) {
    case "q":
      return [{ type: "quit" }];
    case "r":
      if (!run) return [];
      if (run.status === "running" || run.status === "reserved") {
        return [toast(`run ${run.run_id} is ${run.status}: resume it when it has finished`)];
      }
      if (!run.session_id) {
        return [toast(`run ${run.run_id} has no conversation to continue`)];
      }
      return [act({ type: "ask", prompt: { kind: "resume", runId: run.run_id, text: "" } })];
    case "o":
      if (!run) return [];
      if (!run.session_id) return [toast(`run ${run.run_id} has no conversation to open`)];
      return [{ type: "open", run }];
    case "k":
    case "x":
      if (!run) return [];
      if (run.status !== "running") {
        return [toast(`only running runs can be killed (${run.run_id} is ${run.status})`)];
      }
      return [act({ type: "ask", prompt: { kind: "kill", runId: run.run_id } })];
    case "y":
      return run ? [{ type: "copy", run, what: "session" }] : [];
    case "Y":
      return run ? [{ type: "copy", run, what: "result" }] : [];
  }
  return null;
}

function listKeys(s: State, run: RunRow | null, input: string, key: KeyPress): Intent[] {
  if (key.downArrow || input === "j" || (key.ctrl && input === "n")) {
    return [act({ type: "move", by: 1 })];
  }
  if (key.upArrow || (key.ctrl && input === "p")) return [act({ type: "move", by: -1 })];
  if (key.pageDown || (key.ctrl && input === "f")) return [act({ type: "page", by: 1 })];
  if (key.pageUp || (key.ctrl && input === "b")) return [act({ type: "page", by: -1 })];
  if (key.home || input === "g") return [act({ type: "home" })];
  if (key.end || input === "G") return [act({ type: "end" })];
  if (key.return || key.rightArrow || input === "l") {
    return run ? [act({ type: "open", runId: run.run_id })] : [];
  }
  if (input === "/") {
    return [act({
      type: "ask",
      prompt: { kind: "filter", text: formatFilter(s.filter), before: s.filter },
    })];
  }
  if (input === "s") return [{ type: "cycleStatus" }];
  if (key.escape && (s.filter.text || s.filter.status || s.filter.backend)) {
    return [{ type: "filter", text: "" }, toast("filter cleared", "info")];
  }
  return [];
}

function detailKeys(input: string, key: KeyPress): Intent[] {
  if (key.escape || key.backspace || key.delete) return [act({ type: "close" })];
  if (key.tab) return [act({ type: "tabBy", by: key.shift ? -1 : 1 })];
  if (key.rightArrow) return [act({ type: "tabBy", by: 1 })];
  if (key.leftArrow) return [act({ type: "tabBy", by: -1 })];
  const n = Number(input);
  if (input.length === 1 && n >= 1 && n <= TABS.length) {
    return [act({ type: "tab", tab: TABS[n - 1] })];
  }
  if (key.downArrow || input === "j" || (key.ctrl && input === "n")) {
    return [{ type: "scroll", by: 1 }];
  }
  if (key.upArrow || (key.ctrl && input === "p")) return [{ type: "scroll", by: -1 }];
  if (key.pageDown || input === " " || (key.ctrl && input === "f")) {
    return [{ type: "scroll", by: "pageDown" }];
  }
  if (key.pageUp || (key.ctrl && input === "b")) return [{ type: "scroll", by: "pageUp" }];
  if (key.home || input === "g") return [{ type: "scroll", by: "top" }];
  if (key.end || input === "G") return [{ type: "scroll", by: "bottom" }];
  return [];
}

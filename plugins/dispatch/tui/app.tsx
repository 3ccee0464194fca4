/**
 * The TUI's root component: the state, keys → intents → actions or effects, and which
 * screen to draw. Decisions live in the plain modules (state.ts, keys.ts, …); data and
 * timers in hooks.ts; drawing in screens.tsx.
 */
import { useApp, useInput } from "ink";
import { useCallback, useEffect, useReducer, useRef } from "react";
import type { RunRow } from "../../../core/ledger.ts";
import { runFiles } from "../../../core/paths.ts";
import type { Registry } from "../../../core/registry.ts";
import type { LedgerView } from "./data.ts";
import type { Effects } from "./effects.ts";
import { type Filter, nextStatus, parseFilter } from "./filter.ts";
import { useClock, useLedger, useRunContent, useTerminalSize, useWaiting } from "./hooks.ts";
import { type Intent, interpret, type KeyPress, NO_KEY, splitKeys } from "./keys.ts";
import { DETAIL_CHROME, DetailScreen, LIST_CHROME, ListScreen } from "./screens.tsx";
import { type Action, isLive, reducer, type State } from "./state.ts";

/** How the TUI ended: quit, or leave the screen to open the interactive CLI on a run. */
export type ExitRequest = { kind: "quit" } | { kind: "open"; run: RunRow };

export interface AppProps {
  ledger: LedgerView;
  registry: Registry;
  effects: Effects;
  initial: State;
  color: boolean;
  /** `tail`: close by itself when this run ends, unless a key was pressed meanwhile. */
  closeWhenEnded?: string;
}

const TOAST_MS = 4000;

/** List rows that fit: the screen less its chrome, and the approval line when it shows. */
export const listHeightFor = (rows: number, approvalLine = false) =>
  Math.max(1, rows - LIST_CHROME - (approvalLine ? 1 : 0));

export function App(p: AppProps) {
  const { exit } = useApp();
  const { columns, rows: termRows } = useTerminalSize();
  const [state, dispatch] = useReducer(reducer, p.initial);
  // Keys may arrive several per read and effects finish later: both need the state as it
  // is now, not as it was at the last render, so actions also update this ref at once.
  const stateRef = useRef(state);
  stateRef.current = state;
  const apply = useCallback((a: Action) => {
    stateRef.current = reducer(stateRef.current, a);
    dispatch(a);
  }, []);
  const toast = (text: string, tone: "info" | "error" = "info") =>
    apply({ type: "toast", text, tone });

  const waiting = useWaiting(p.effects);
  const listHeight = listHeightFor(termRows, waiting.length > 0);
  const paneHeight = Math.max(1, termRows - DETAIL_CHROME);
  useEffect(() => {
    if (listHeight !== stateRef.current.listHeight) apply({ type: "resize", listHeight });
  }, [listHeight]);

  const ledger = useLedger(p.ledger, state, stateRef, apply);
  const now = useClock(ledger.rows, ledger.detailRun);
  const tab = state.detail?.tab ?? "stream";
  // Two cells less than the screen: the detail lines are indented by one.
  const { content, lines } = useRunContent(
    p.ledger,
    p.registry,
    state.detail?.runId ?? null,
    tab,
    columns - 2,
  );
  const linesRef = useRef(lines);
  linesRef.current = lines;

  // `tail` follows its run to the end, then gets out of the way, like plain `tail` does.
  // Once a key is pressed the person is browsing: the screen stays until `q`.
  const touched = useRef(false);
  const tailed = p.closeWhenEnded && ledger.detailRun?.run_id === p.closeWhenEnded
    ? ledger.detailRun
    : null;
  const ended = tailed !== null && !isLive(tailed.status);
  useEffect(() => {
    if (ended && !touched.current) exit({ kind: "quit" } satisfies ExitRequest);
  }, [ended]);

  // Toasts go away by themselves.
  useEffect(() => {
    if (!state.toast) return;
    const t = setTimeout(() => apply({ type: "clearToast" }), TOAST_MS);
    return () => clearTimeout(t);
  }, [state.toast]);

  const setFilter = (f: Filter) => {
    apply({ type: "filter", filter: f, total: p.ledger.count(f) });
  };

  const kill = async (runId: string) => {
    const run = p.ledger.run(runId);
    if (!run || run.status !== "running") {
      toast(`${runId} is no longer running`, "error");
      return;
    }
    toast(`killing ${runId}…`);
    try {
      const status = await p.effects.kill(run);
      toast(`killed ${runId} (${status})`);
    } catch (e) {
      toast(`kill failed: ${(e as Error).message}`, "error");
    }
    p.ledger.invalidate(); // our own write: data_version does not show it
    ledger.refresh(true);
  };

  const resume = async (runId: string, prompt: string) => {
    toast(`starting a follow-up to ${runId}…`);
    const r = await p.effects.resume(runId, prompt);
    if ("error" in r) {
      toast(`resume failed: ${r.error}`, "error");
      return;
    }
    ledger.refresh(true);
    // Back on the list, the cursor should be on the new run.
    const row = p.ledger.run(r.runId);
    const f = stateRef.current.filter;
    if (row) apply({ type: "data", total: p.ledger.count(f), index: p.ledger.indexOf(f, row.id) });
    apply({ type: "open", runId: r.runId, tab: "output" });
    toast(`started ${r.runId}; it keeps running if you quit`);
  };

  const copy = (run: RunRow, what: "session" | "result") => {
    const text = what === "session" ? run.session_id ?? run.run_id : runFiles(run.run_id).result;
    p.effects.copy(text);
    const label = what === "result" ? "result path" : run.session_id ? "session id" : "run id";
    toast(`copied ${label}: ${text}`);
  };

  const perform = (it: Intent) => {
    switch (it.type) {
      case "action":
        return apply(it.action);
      case "quit":
        return exit({ kind: "quit" } satisfies ExitRequest);
      case "open":
        return exit({ kind: "open", run: it.run } satisfies ExitRequest);
      case "scroll": {
        const by = it.by === "pageDown" ? paneHeight : it.by === "pageUp" ? -paneHeight : it.by;
        return apply({ type: "scroll", by, lines: linesRef.current.length, height: paneHeight });
      }
      case "filter":
        return setFilter(parseFilter(it.text));
      case "cycleStatus": {
        const f = {
          ...stateRef.current.filter,
          status: nextStatus(stateRef.current.filter.status),
        };
        setFilter(f);
        return toast(`status: ${f.status ?? "all"}`);
      }
      case "kill":
        return void kill(it.runId);
      case "resume":
        return void resume(it.runId, it.prompt);
      case "copy":
        return copy(it.run, it.what);
      case "answer":
        return toast(...p.effects.answer(it.requestId, it.allow));
    }
  };

  useInput((input, key) => {
    touched.current = true;
    const keys = splitKeys(input, key as KeyPress);
    for (const [ch, k] of keys) {
      const s = stateRef.current;
      const run = s.detail ? ledger.detailRun : ledger.selected;
      // A newline inside a chunk typed into a question is pasted text, not "submit".
      const typing = s.prompt?.kind === "filter" || s.prompt?.kind === "resume";
      const pasted = keys.length > 1 && k.return && typing;
      const oldest = waiting[0] ?? null;
      for (
        const intent of interpret(s, run, pasted ? " " : ch, pasted ? NO_KEY : k, oldest)
      ) {
        perform(intent);
      }
    }
  });

  const screen = { state, columns, rows: termRows, now, color: p.color };
  return state.detail
    ? <DetailScreen {...screen} run={ledger.detailRun} content={content} lines={lines} />
    : (
      <ListScreen
        {...screen}
        runs={ledger.rows}
        running={ledger.running}
        waiting={waiting}
        backends={p.ledger.backends()}
      />
    );
}

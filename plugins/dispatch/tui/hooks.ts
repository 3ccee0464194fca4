/**
 * React hooks behind the TUI: terminal size, the visible slice of the ledger and its
 * refresh, the clock (spinner), and the live content of the detail view. Each one re-renders
 * only when something it shows has changed.
 */
import process from "node:process";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { RunRow } from "../../../core/ledger.ts";
import type { Registry } from "../../../core/registry.ts";
import { formatAge } from "../../../core/run_view.ts";
import { SPINNER_MS } from "./columns.ts";
import { RunContent } from "./content.ts";
import type { LedgerView } from "./data.ts";
import { filterKey } from "./filter.ts";
import type { Action, State, Tab } from "./state.ts";
import { type LogLine, wrapLog } from "./stream.ts";
import type { Effects, Waiting } from "./effects.ts";

/**
 * How often the ledger is asked whether it changed (a PRAGMA: microseconds). Not a file
 * watch: Deno.watchFs opens the files it reports on, and closing any descriptor of a
 * SQLite file drops this process's POSIX locks on it, so another handoff closing the
 * database would then delete the WAL under our open connection (seen: the view froze).
 */
const REFRESH_MS = 500;
/** How often the detail view's files are checked for growth (a stat each). */
const CONTENT_POLL_MS = 250;

/** The terminal size, kept in state from process.stdout's 'resize' events. */
export function useTerminalSize(): { columns: number; rows: number } {
  const read = () => ({ columns: process.stdout.columns || 80, rows: process.stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    process.stdout.on("resize", onResize);
    return () => {
      process.stdout.off("resize", onResize);
    };
  }, []);
  return size;
}

export interface LedgerSlice {
  /** The rows on screen: [top, top + listHeight) of the filtered list. */
  rows: RunRow[];
  /** The highlighted row. */
  selected: RunRow | null;
  /** The run of the detail view, when it is open. */
  detailRun: RunRow | null;
  /** How many runs are running (for the title bar). */
  running: number;
  /** Re-reads now when the database changed (or always, with `force`). */
  refresh(force?: boolean): void;
}

/**
 * The visible window of the ledger, polled for changes. Rows are re-queried when the
 * window moves (keys) or when a refresh found that what is on screen differs.
 */
export function useLedger(
  ledger: LedgerView,
  state: State,
  stateRef: { current: State },
  apply: (a: Action) => void,
): LedgerSlice {
  const [version, setVersion] = useState(0);
  const { filter, view, detail, listHeight } = state;
  const rows = useMemo(
    () => ledger.window(filter, view.top, listHeight),
    [filterKey(filter), view.top, listHeight, version],
  );
  const selected = rows[view.cursor - view.top] ?? null;
  const detailRun = useMemo(
    () => detail ? ledger.run(detail.runId) : null,
    [detail?.runId, version],
  );
  const running = useMemo(() => ledger.count({ text: "", status: "running" }), [version]);
  const shown = useRef({ rows, selected, detailRun });
  shown.current = { rows, selected, detailRun };

  const refresh = useCallback((force = false) => {
    if (!ledger.changed() && !force) return;
    const s = stateRef.current;
    const sel = shown.current.selected;
    const total = ledger.count(s.filter);
    // Keep the cursor on its run even if newer runs were added above it.
    const index = sel ? ledger.indexOf(s.filter, sel.id) : undefined;
    apply({ type: "data", total, index }); // a no-op (same state) when nothing moved
    const after = stateRef.current;
    const fresh = ledger.window(after.filter, after.view.top, after.listHeight);
    const freshDetail = after.detail ? ledger.run(after.detail.runId) : null;
    if (
      JSON.stringify(fresh) !== JSON.stringify(shown.current.rows) ||
      JSON.stringify(freshDetail) !== JSON.stringify(shown.current.detailRun)
    ) {
      setVersion((v) => v + 1);
    }
  }, []);

  useEffect(() => {
    // Runs whose handoff died are marked lost here too, as `handoff list` does.
    const timer = setInterval(() => refresh(ledger.reconcile()), REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  return { rows, selected, detailRun, running, refresh };
}

/**
 * The time the screen is drawn for. While a visible run is running it ticks with the
 * spinner; otherwise once a second, and only when an age label would read differently.
 */
export function useClock(rows: RunRow[], detailRun: RunRow | null): number {
  const anyRunning = rows.some((r) => r.status === "running") || detailRun?.status === "running";
  const [now, setNow] = useState(Date.now);
  const labels = (t: number) => rows.map((r) => formatAge(t - r.created_at)).join();
  const latest = useRef({ labels, now });
  latest.current = { labels, now };
  useEffect(() => {
    if (anyRunning) {
      const t = setInterval(() => setNow(Date.now()), SPINNER_MS);
      return () => clearInterval(t);
    }
    const t = setInterval(() => {
      const n = Date.now();
      const { labels, now } = latest.current;
      if (labels(n) !== labels(now)) setNow(n);
    }, 1000);
    return () => clearInterval(t);
  }, [anyRunning]);
  return now;
}

/**
 * The detail view's files for `runId`, read at once (no empty first frame) and then
 * polled; `lines` is the active tab wrapped to `width`.
 */
export function useRunContent(
  ledger: LedgerView,
  registry: Registry,
  runId: string | null,
  tab: Tab,
  width: number,
): { content: RunContent | null; lines: LogLine[] } {
  const content = useMemo(() => {
    const run = runId ? ledger.run(runId) : null;
    if (!run) return null;
    const c = RunContent.forRun(run, (t) => registry.backend(t)?.createParser() ?? null);
    c.poll();
    return c;
  }, [runId]);
  // The version painted, with the content it belongs to: two runs' counters can be equal.
  const [painted, setPainted] = useState({ content, version: content?.version ?? 0 });
  useEffect(() => {
    if (!content) return;
    const t = setInterval(() => {
      content.poll();
      // Compared on every tick, not only when poll() says it changed: an asynchronous
      // parser's events land after poll() has returned.
      setPainted((p) =>
        p.content === content && p.version === content.version
          ? p
          : { content, version: content.version }
      );
    }, CONTENT_POLL_MS);
    return () => clearInterval(t);
  }, [content]);
  const lines = useMemo(
    () => content ? wrapLog(content.lines(tab), Math.max(1, width)) : [],
    [content, tab, width, painted],
  );
  return { content, lines };
}

/** How often the list looks for permission requests (a cheap indexed query). */
const WAITING_POLL_MS = 1000;

/** The permission requests agents wait on, polled; a new array only when they change. */
export function useWaiting(effects: Effects): Waiting[] {
  const [waiting, setWaiting] = useState(() => effects.waiting());
  const shown = useRef(waiting);
  useEffect(() => {
    const t = setInterval(() => {
      const fresh = effects.waiting();
      if (JSON.stringify(fresh) !== JSON.stringify(shown.current)) {
        shown.current = fresh;
        setWaiting(fresh);
      }
    }, WAITING_POLL_MS);
    return () => clearInterval(t);
  }, []);
  return waiting;
}

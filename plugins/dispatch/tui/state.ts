/**
 * The TUI's state and its reducer (pure). Facts that need the database (how many runs
 * match a filter, where the highlighted run moved to) arrive inside actions, computed by
 * the caller; the reducer only decides what the screen should show next.
 */
import { type Filter, NO_FILTER } from "./filter.ts";
import {
  follow,
  moveBy,
  pageBy,
  settle,
  textOffset,
  toEnd,
  toStart,
  type Viewport,
} from "./window.ts";

export const TABS = ["stream", "output", "prompt", "result"] as const;
export type Tab = typeof TABS[number];
export const TAB_LABELS: Record<Tab, string> = {
  stream: "Stream",
  output: "Output",
  prompt: "Prompt",
  result: "Result",
};

/** Where a detail tab is scrolled; `follow` sticks to the end as lines arrive. */
export interface TextScroll {
  offset: number;
  follow: boolean;
}

export interface Detail {
  runId: string;
  tab: Tab;
  scroll: Record<Tab, TextScroll>;
}

/** The question on the bottom line, when one is open (it takes the keyboard). */
export type Prompt =
  | { kind: "filter"; text: string; before: Filter }
  | { kind: "kill"; runId: string }
  | { kind: "resume"; runId: string; text: string }
  /** Answer an agent's permission request (the oldest waiting): y confirms. */
  | { kind: "answer"; requestId: string; summary: string; allow: boolean };

export interface Toast {
  text: string;
  tone: "info" | "error";
}

/** A run that may still change: running, or reserved and about to start. */
export function isLive(status: string): boolean {
  return status === "running" || status === "reserved";
}

export interface State {
  filter: Filter;
  /** Runs matching the filter. */
  total: number;
  view: Viewport;
  /** List rows that fit on screen. */
  listHeight: number;
  detail: Detail | null;
  prompt: Prompt | null;
  toast: Toast | null;
}

export type Action =
  | { type: "move"; by: number }
  | { type: "page"; by: number }
  | { type: "home" }
  | { type: "end" }
  | { type: "resize"; listHeight: number }
  /** The ledger changed: `index` is where the highlighted run is now (if known). */
  | { type: "data"; total: number; index?: number }
  /** A new filter, with its match count; the cursor goes back to the newest run. */
  | { type: "filter"; filter: Filter; total: number }
  | { type: "open"; runId: string; tab?: Tab }
  | { type: "close" }
  | { type: "tab"; tab: Tab }
  | { type: "tabBy"; by: number }
  /** Scrolls the active detail tab, which has `lines` lines in a `height`-line pane. */
  | { type: "scroll"; by: number | "top" | "bottom"; lines: number; height: number }
  | { type: "ask"; prompt: Prompt }
  | { type: "edit"; text: string }
  | { type: "dismiss" }
  | { type: "toast"; text: string; tone?: "info" | "error" }
  | { type: "clearToast" };

const freshScroll = (): Record<Tab, TextScroll> => ({
  stream: { offset: 0, follow: true },
  output: { offset: 0, follow: true },
  prompt: { offset: 0, follow: false },
  result: { offset: 0, follow: false },
});

export function initialState(o: Partial<State> = {}): State {
  return {
    filter: NO_FILTER,
    total: 0,
    view: { cursor: 0, top: 0 },
    listHeight: 10,
    detail: null,
    prompt: null,
    toast: null,
    ...o,
  };
}

export function detailFor(runId: string, tab: Tab = "stream"): Detail {
  return { runId, tab, scroll: freshScroll() };
}

export function reducer(s: State, a: Action): State {
  const h = s.listHeight;
  switch (a.type) {
    case "move":
      return { ...s, view: moveBy(s.view, a.by, h, s.total) };
    case "page":
      return { ...s, view: pageBy(s.view, a.by, h, s.total) };
    case "home":
      return { ...s, view: toStart() };
    case "end":
      return { ...s, view: toEnd(h, s.total) };
    case "resize":
      return { ...s, listHeight: a.listHeight, view: settle(s.view, a.listHeight, s.total) };
    case "data": {
      const view = a.index === undefined
        ? settle(s.view, h, a.total)
        : follow(s.view, a.index, h, a.total);
      if (a.total === s.total && view.cursor === s.view.cursor && view.top === s.view.top) {
        return s; // same object: React skips the render
      }
      return { ...s, total: a.total, view };
    }
    case "filter":
      return { ...s, filter: a.filter, total: a.total, view: toStart() };
    case "open":
      return { ...s, detail: detailFor(a.runId, a.tab), prompt: null };
    case "close":
      return { ...s, detail: null };
    case "tab":
      return s.detail ? { ...s, detail: { ...s.detail, tab: a.tab } } : s;
    case "tabBy": {
      if (!s.detail) return s;
      const i = TABS.indexOf(s.detail.tab);
      const tab = TABS[(i + a.by + TABS.length) % TABS.length];
      return { ...s, detail: { ...s.detail, tab } };
    }
    case "scroll": {
      if (!s.detail) return s;
      const d = s.detail;
      const max = Math.max(0, a.lines - Math.max(1, a.height));
      const cur = d.scroll[d.tab];
      const now = textOffset(cur.offset, cur.follow, a.height, a.lines);
      const offset = a.by === "top"
        ? 0
        : a.by === "bottom"
        ? max
        : Math.min(max, Math.max(0, now + a.by));
      const next = { offset, follow: offset >= max };
      return { ...s, detail: { ...d, scroll: { ...d.scroll, [d.tab]: next } } };
    }
    case "ask":
      return { ...s, prompt: a.prompt, toast: null };
    case "edit":
      return s.prompt && (s.prompt.kind === "filter" || s.prompt.kind === "resume")
        ? { ...s, prompt: { ...s.prompt, text: a.text } }
        : s;
    case "dismiss":
      return { ...s, prompt: null };
    case "toast":
      return { ...s, toast: { text: a.text, tone: a.tone ?? "info" } };
    case "clearToast":
      return s.toast ? { ...s, toast: null } : s;
  }
}

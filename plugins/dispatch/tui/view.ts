/**
 * The text of everything around the rows: title bar, footer hints, the bottom-line
 * question, the detail view's header and tab bar. Pure, so the components stay thin.
 */
import type { Usage } from "../../../core/events.ts";
import type { RunRow } from "../../../core/ledger.ts";
import { tildePath } from "../../../core/paths.ts";
import { formatCost, formatRunDuration } from "../../../core/run_view.ts";
import { type Segment, statusCell, statusTone } from "./columns.ts";
import { type Filter, formatFilter, isFiltered } from "./filter.ts";
import type { Prompt, Tab } from "./state.ts";
import { TAB_LABELS, TABS } from "./state.ts";
import { clean, displayWidth, truncateStart } from "./text.ts";

export const count = (n: number) => n.toLocaleString("en-US");

export function titleSegments(total: number, filter: Filter, running: number): Segment[] {
  const segs: Segment[] = [{ text: " handoff", tone: "bold" }];
  const what = isFiltered(filter) ? "matching" : "";
  segs.push({ text: ` · ${count(total)} ${what ? what + " " : ""}run${total === 1 ? "" : "s"}` });
  if (isFiltered(filter)) segs.push({ text: ` · /${clean(formatFilter(filter))}`, tone: "yellow" });
  if (running) segs.push({ text: ` · ${running} running`, tone: "cyan" });
  return segs;
}

export const LIST_HINTS =
  "Enter detail  / filter  s status  r resume  o open  k kill  y copy  q quit";
export const DETAIL_HINTS = "Esc back  ←→ tab  ↑↓ scroll  r resume  o open  k kill  y copy  q quit";

/** The line above the list while agents wait for a permission: the oldest, and the keys. */
export function approvalSegments(
  waiting: readonly { summary: string; tab: string | null; agent: string }[],
): Segment[] {
  if (waiting.length === 0) return [];
  const first = waiting[0];
  const more = waiting.length > 1 ? ` (+${waiting.length - 1} more)` : "";
  return [
    { text: " ⚑ ", tone: "yellow" },
    {
      text: `${clean(first.agent)}${first.tab ? ` in ${clean(first.tab)}` : ""} asks: `,
      tone: "bold",
    },
    { text: clean(first.summary) },
    { text: more, tone: "dim" },
    { text: "  a allow · d deny", tone: "dim" },
  ];
}

/** "12/1,234": the cursor's place in the (filtered) list. */
export function positionText(cursor: number, total: number): string {
  return total ? `${count(cursor + 1)}/${count(total)}` : "0/0";
}

/** What is typed shows its end when it is longer than the room left for it. */
export function inputTail(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  const chars = [...text];
  let out = "";
  for (let i = chars.length - 1; i >= 0; i--) {
    if (displayWidth(chars[i] + out) > width - 1) break;
    out = chars[i] + out;
  }
  return "…" + out;
}

/** The bottom line while a question is open; the caret is drawn by the component. */
export function promptSegments(p: Prompt, width: number): { before: Segment[]; after: Segment[] } {
  if (p.kind === "answer") {
    return {
      before: [
        { text: `${p.allow ? "Allow" : "Deny"} ${clean(p.summary)}? `, tone: "yellow" },
        { text: `y = ${p.allow ? "allow" : "deny"}, n = keep it waiting` },
      ],
      after: [],
    };
  }
  if (p.kind === "kill") {
    return {
      before: [
        { text: `Kill ${p.runId}? `, tone: "yellow" },
        { text: "y = kill, n = keep " },
        { text: "(stops its backend, marks it interrupted)", tone: "dim" },
      ],
      after: [],
    };
  }
  const label = p.kind === "filter" ? "/" : `Follow-up for ${p.runId}: `;
  const hint = p.kind === "filter"
    ? "  Enter keep · Esc cancel · words, status:…, backend:…"
    : "  Enter send · Esc cancel";
  const room = Math.max(4, width - displayWidth(label) - displayWidth(hint) - 2);
  return {
    before: [
      { text: label, tone: "bold" },
      { text: inputTail(clean(p.text), room) },
    ],
    after: [{ text: hint, tone: "dim" }],
  };
}

/** Cost as the ledger has it, or, while running, the usage the stream reported so far. */
export function costText(r: RunRow, live: Usage | null): string {
  const fromRow = formatCost(r);
  if (fromRow !== "-" || !live) return fromRow;
  return formatCost({
    ...r,
    cost_usd: live.costUsd,
    input_tokens: live.inputTokens,
    output_tokens: live.outputTokens,
  });
}

/** First line of the detail view: status (spinner), run id, duration, cost. */
export function detailTitle(r: RunRow, now: number, frame: number, live: Usage | null): Segment[] {
  return [
    { text: " " + statusCell(r.status, frame), tone: statusTone(r.status) },
    { text: ` · ${r.run_id}`, tone: "bold" },
    { text: ` · ${formatRunDuration(r, now)} · ${costText(r, live)}` },
  ];
}

/** Second line: how and where it ran (what it continues before the long cwd). */
export function detailInfo(r: RunRow): string {
  const parts = [
    `${r.backend} (${r.backend_type})`,
    r.model ?? "",
    r.parent_run_id ? `follows ${r.parent_run_id}` : "",
    clean(tildePath(r.cwd)),
    r.session_id ? `session ${r.session_id}` : "",
  ].filter(Boolean);
  return " " + parts.join(" · ");
}

/** ` 1 Stream [2 Output] 3 Prompt  4 Result`: brackets mark the active tab without colour. */
export function tabSegments(active: Tab): Segment[] {
  return TABS.map((t, i) => {
    const on = t === active;
    const text = `${on ? "[" : " "}${i + 1} ${TAB_LABELS[t]}${on ? "]" : " "}`;
    return { text, tone: on ? "inverse" : undefined };
  });
}

/** The dim line under the tabs: the file shown and where the view is in it. */
export function tabStatus(
  path: string,
  offset: number,
  height: number,
  lines: number,
  width: number,
): string {
  const below = Math.max(0, lines - offset - height);
  const where = lines <= height ? "" : below ? ` · ${below} more below` : " · end";
  const room = Math.max(8, width - displayWidth(where) - 1);
  return " " + truncateStart(clean(tildePath(path)), room) + where;
}

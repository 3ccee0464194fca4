/**
 * The ink components: the list screen, the detail screen and the bottom line. They only
 * lay out lines whose text comes from the pure modules (columns.ts, view.ts, paint.ts).
 */
import { Box, Text } from "ink";
import type { RunRow } from "../../../core/ledger.ts";
import {
  backendWidth,
  headerLine,
  idWidth,
  layoutColumns,
  rowSegments,
  type Segment,
  SPINNER_MS,
} from "./columns.ts";
import type { RunContent } from "./content.ts";
import { isFiltered } from "./filter.ts";
import { paint } from "./paint.ts";
import type { State } from "./state.ts";
import type { LogLine } from "./stream.ts";
import { fit } from "./text.ts";
import type { Waiting } from "./effects.ts";
import {
  approvalSegments,
  DETAIL_HINTS,
  detailInfo,
  detailTitle,
  LIST_HINTS,
  positionText,
  promptSegments,
  tabSegments,
  tabStatus,
  titleSegments,
} from "./view.ts";
import { textOffset } from "./window.ts";

/** Rows taken by title + header + footer (list) and by the detail view's chrome. */
export const LIST_CHROME = 3;
export const DETAIL_CHROME = 5;

/** One screen line: its segments painted into a single string; it never wraps. */
function Line(
  { segments, color, inverse }: { segments: Segment[]; color: boolean; inverse?: boolean },
) {
  return <Text wrap="truncate-end">{paint(segments, { color, inverse })}</Text>;
}

interface Screen {
  state: State;
  columns: number;
  rows: number;
  now: number;
  color: boolean;
}

export function ListScreen(
  { state, columns, rows: height, now, color, runs, running, backends, waiting }: Screen & {
    runs: RunRow[];
    running: number;
    backends: string[];
    /** Permission requests agents wait on, oldest first (a line above the list). */
    waiting: readonly Waiting[];
  },
) {
  const { view, filter } = state;
  const cols = layoutColumns(columns, backendWidth(backends), idWidth(runs) || 34);
  const frame = Math.floor(now / SPINNER_MS);
  return (
    <Box flexDirection="column" width={columns} height={height}>
      <Line segments={titleSegments(state.total, filter, running)} color={color} />
      {waiting.length > 0 && <Line segments={approvalSegments(waiting)} color={color} />}
      <Line segments={[{ text: headerLine(cols), tone: "bold" }]} color={color} />
      <Box flexDirection="column" height={state.listHeight}>
        {runs.length
          ? runs.map((r, i) => {
            const isSel = view.top + i === view.cursor;
            return (
              <Line
                key={r.id}
                segments={rowSegments(r, cols, now, frame, isSel)}
                color={color}
                inverse={isSel}
              />
            );
          })
          : (
            <Text dimColor>
              {isFiltered(filter)
                ? "  (no runs match the filter; Esc clears it)"
                : "  (no runs yet: start one with handoff run)"}
            </Text>
          )}
      </Box>
      <Footer
        state={state}
        width={columns}
        color={color}
        hints={LIST_HINTS}
        position={positionText(view.cursor, state.total)}
      />
    </Box>
  );
}

export function DetailScreen(
  { state, columns, rows: height, now, color, run, content, lines }: Screen & {
    run: RunRow | null;
    content: RunContent | null;
    lines: LogLine[];
  },
) {
  const detail = state.detail!;
  const footer = <Footer state={state} width={columns} color={color} hints={DETAIL_HINTS} />;
  if (!run) {
    return (
      <Box flexDirection="column" width={columns} height={height}>
        <Text>{` run ${detail.runId} is not in the ledger any more`}</Text>
        <Box flexGrow={1} />
        {footer}
      </Box>
    );
  }
  const tab = detail.tab;
  const paneHeight = Math.max(1, height - DETAIL_CHROME);
  const scroll = detail.scroll[tab];
  const offset = textOffset(scroll.offset, scroll.follow, paneHeight, lines.length);
  const visible = lines.slice(offset, offset + paneHeight);
  const where = tabStatus(content?.path(tab) ?? "", offset, paneHeight, lines.length, columns);
  const frame = Math.floor(now / SPINNER_MS);
  return (
    <Box flexDirection="column" width={columns} height={height}>
      <Line segments={detailTitle(run, now, frame, content?.usage ?? null)} color={color} />
      <Line segments={[{ text: detailInfo(run), tone: "dim" }]} color={color} />
      <Line segments={tabSegments(tab)} color={color} />
      <Line segments={[{ text: where, tone: "dim" }]} color={color} />
      <Box flexDirection="column" height={paneHeight}>
        {visible.length
          ? visible.map((l, i) => <Line key={i} segments={logSegments(l)} color={color} />)
          : <Text dimColor>{emptyTabText(tab, run)}</Text>}
      </Box>
      {footer}
    </Box>
  );
}

function emptyTabText(tab: string, run: RunRow): string {
  if (tab === "result" && run.status === "running") {
    return " (the result is written when the run ends)";
  }
  return " (empty)";
}

/** A detail line: a space, the dim gutter (clock), the text. */
function logSegments(l: LogLine): Segment[] {
  return [{ text: " " }, { text: l.gutter ?? "", tone: "dim" }, { text: l.text, tone: l.tone }];
}

/** The bottom line: an open question, else a toast, else position and key hints. */
function Footer(
  { state, width, color, hints, position }: {
    state: State;
    width: number;
    color: boolean;
    hints: string;
    position?: string;
  },
) {
  if (state.prompt) {
    const { before, after } = promptSegments(state.prompt, width);
    // The caret: an inverse space after what is typed.
    const typing = state.prompt.kind === "filter" || state.prompt.kind === "resume";
    const caret: Segment[] = typing ? [{ text: " ", tone: "inverse" }] : [];
    return <Line segments={[...before, ...caret, ...after]} color={color} />;
  }
  const lead = position ? ` ${position}  ` : " ";
  if (state.toast) {
    const tone = state.toast.tone === "error" ? "red" : "green";
    return <Line segments={[{ text: lead }, { text: state.toast.text, tone }]} color={color} />;
  }
  return <Line segments={[{ text: fit(lead + hints, width), tone: "dim" }]} color={color} />;
}

/**
 * The run list's columns: which ones fit a terminal width, how wide each is, and the
 * text of every cell. Pure: the ink component only paints the segments it gets.
 */
import type { RunRow } from "../../../core/ledger.ts";
import { tildePath } from "../../../core/paths.ts";
import { formatAge, formatCost, formatRunDuration } from "../../../core/run_view.ts";
import { clean, displayWidth, fit } from "./text.ts";

export type Tone = "green" | "red" | "yellow" | "cyan" | "dim" | "bold" | "inverse" | undefined;

/** A piece of a line with an optional colour; colours are dropped under NO_COLOR. */
export interface Segment {
  text: string;
  tone?: Tone;
}

export const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
export const SPINNER_MS = 100;

const GLYPH: Record<string, string> = {
  success: "✓",
  error: "✗",
  lost: "✗",
  interrupted: "■",
  reserved: "·",
};

export function statusTone(status: string): Tone {
  switch (status) {
    case "success":
      return "green";
    case "error":
    case "lost":
      return "red";
    case "running":
      return "cyan";
    case "interrupted":
      return "yellow";
    default:
      return "dim";
  }
}

/** `⠹ running` while running (the frame advances with time), `✓ success` after. */
export function statusCell(status: string, frame: number): string {
  const glyph = status === "running" ? SPINNER[frame % SPINNER.length] : GLYPH[status] ?? "?";
  return `${glyph} ${status}`;
}

export type ColumnKey = "status" | "id" | "backend" | "age" | "time" | "cost" | "cwd" | "title";

export interface Column {
  key: ColumnKey;
  header: string;
  width: number;
  align?: "right";
}

/** Fixed columns never shrink; at narrow widths the least useful are dropped first. */
const FIXED: Record<"status" | "age" | "time" | "cost", Omit<Column, "key">> = {
  status: { header: "STATUS", width: 13 },
  age: { header: "AGE", width: 4, align: "right" },
  time: { header: "TIME", width: 6, align: "right" },
  cost: { header: "COST", width: 8, align: "right" },
};

const MARKER_WIDTH = 2; // "› " in front of the highlighted row
const GAP = 1;

/**
 * Column widths for a terminal `width`. The run id, cwd and prompt share what the fixed
 * columns leave; the prompt gets the rest. `backendWidth` is the longest backend name in
 * view (capped), so short names do not waste space.
 */
export function layoutColumns(width: number, backendWidth = 7, idWidth = 34): Column[] {
  // The whole status ("✓ success") while the run ids fit, at least without their MMDD-
  // prefix; below that its glyph alone, before the ids lose their slug.
  const full = layout(width, backendWidth, idWidth, false);
  const id = full.find((c) => c.key === "id")?.width ?? 0;
  return id >= Math.min(idWidth, 34) - 5 ? full : layout(width, backendWidth, idWidth, true);
}

function layout(
  width: number,
  backendWidth: number,
  idWidth: number,
  compactStatus: boolean,
): Column[] {
  const backend = Math.min(Math.max(backendWidth, 4), 10);
  const wanted: ColumnKey[] = width >= 70
    ? ["status", "id", "backend", "age", "time", "cost", "cwd", "title"]
    : width >= 50
    ? ["status", "id", "age", "time", "title"]
    : ["status", "id", "title"];
  const fixedWidth = (k: ColumnKey) =>
    k === "status" && compactStatus
      ? 1
      : k === "backend"
      ? backend
      : k in FIXED
      ? FIXED[k as keyof typeof FIXED].width
      : 0;
  const used = MARKER_WIDTH + wanted.reduce((n, k) => n + fixedWidth(k) + GAP, 0) - GAP;
  const free = Math.max(0, width - used);
  // The free space: cwd a small share, then the run id (whole when it fits, up to 34
  // cells; a narrow one drops its MMDD- prefix, see rowSegments) as long as 12 cells remain
  // for the prompt, which gets the rest: the slug names the run, the prompt column only
  // starts it.
  const hasCwd = wanted.includes("cwd");
  const cwd = hasCwd ? Math.min(18, Math.max(6, Math.round(free * 0.12))) : 0;
  let id = Math.min(34, Math.max(idWidth, 13), Math.max(13, free - cwd - 12));
  // Too narrow for the whole id: it is shown without its MMDD- prefix, which needs less.
  if (id < idWidth) id = Math.max(13, Math.min(id, idWidth - 5));
  const title = Math.max(0, free - id - cwd);
  const flexible: Record<string, number> = { id, cwd, title };
  return wanted.map((key) => {
    if (key === "backend") {
      return { key, header: backend >= 7 ? "BACKEND" : "BKND", width: backend };
    }
    if (key === "status" && compactStatus) return { key, header: "S", width: 1 };
    if (key in FIXED) return { key, ...FIXED[key as keyof typeof FIXED] };
    const header = key === "id" ? "RUN" : key === "cwd" ? "CWD" : "PROMPT";
    return { key, header, width: flexible[key] };
  }).filter((c) => c.width > 0);
}

/** The raw text of each cell of a row (before fitting to its column). */
export function rowCells(r: RunRow, now: number, frame: number): Record<ColumnKey, string> {
  return {
    status: statusCell(r.status, frame),
    id: r.run_id,
    backend: r.backend,
    age: formatAge(now - r.created_at),
    time: formatRunDuration(r, now),
    cost: formatCost(r),
    cwd: clean(tildePath(r.cwd).split("/").pop() || "/"),
    // A later turn of a conversation sits under it (the list groups chains): marked ↳.
    title: clean((r.parent_run_id ? "↳ " : "") + (r.pro ? "[pro] " : "") + (r.title || r.slug)),
  };
}

/** `1201-ds-03-fix-auth` → `ds-03-fix-auth`: the list's age column already says when. */
export function shortRunId(id: string): string {
  return id.replace(/^\d{4}-/, "");
}

/** One list line: marker, then each column fitted to its width, separated by a space. */
export function rowSegments(
  r: RunRow,
  cols: Column[],
  now: number,
  frame: number,
  selected: boolean,
): Segment[] {
  const cells = rowCells(r, now, frame);
  const idCol = cols.find((c) => c.key === "id");
  if (idCol && displayWidth(cells.id) > idCol.width) cells.id = shortRunId(cells.id);
  const statusCol = cols.find((c) => c.key === "status");
  if (statusCol && statusCol.width < displayWidth(cells.status)) {
    cells.status = cells.status.split(" ")[0];
  }
  const segs: Segment[] = [{ text: selected ? "› " : "  " }];
  cols.forEach((c, i) => {
    const text = fit(cells[c.key], c.width, c.align === "right" ? "right" : "left") +
      (i < cols.length - 1 ? " " : "");
    const tone: Tone = c.key === "status"
      ? statusTone(r.status)
      : c.key === "age" || c.key === "cwd"
      ? "dim"
      : undefined;
    segs.push({ text, tone });
  });
  return segs;
}

export function headerLine(cols: Column[]): string {
  return " ".repeat(MARKER_WIDTH) +
    cols.map((c) => fit(c.header, c.width, c.align === "right" ? "right" : "left")).join(" ");
}

/** The longest run id among `rows`, for layoutColumns. */
export function idWidth(rows: readonly RunRow[]): number {
  return rows.reduce((n, r) => Math.max(n, displayWidth(r.run_id)), 0);
}

/** The longest backend name in the ledger, for layoutColumns (stable while scrolling). */
export function backendWidth(names: string[]): number {
  return names.reduce((n, b) => Math.max(n, displayWidth(b)), 0);
}

/** How a run is shown: the stable JSON shape of `--json` and the cells of tables. */
import type { RunRow } from "./ledger.ts";
import { runFiles } from "./paths.ts";
import { formatDuration } from "./output.ts";

export interface RunJson {
  run_id: string;
  status: string;
  backend: string;
  backend_type: string;
  model: string | null;
  pro: boolean;
  permission_mode: string | null;
  cwd: string;
  title: string;
  slug: string;
  session_id: string | null;
  parent_run_id: string | null;
  exit_code: number | null;
  error: string | null;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  duration_ms: number | null;
  usage: {
    input_tokens: number;
    output_tokens: number;
    cache_read_tokens: number;
    cache_write_tokens: number;
    reasoning_tokens: number;
    turns: number;
    cost_usd: number | null;
    /** cost_usd is the CLI's estimate (list prices of another endpoint), not a bill. */
    cost_estimated: boolean;
  };
  files: { prompt: string; out: string; result: string; raw: string };
}

const iso = (
  ms: number | null,
) => (ms === null ? null : new Date(ms).toISOString());

export function runDurationMs(r: RunRow, now = Date.now()): number | null {
  if (!r.started_at) return null;
  return (r.ended_at ?? (r.status === "running" ? now : r.started_at)) -
    r.started_at;
}

export function runToJson(r: RunRow): RunJson {
  const f = runFiles(r.run_id);
  return {
    run_id: r.run_id,
    status: r.status,
    backend: r.backend,
    backend_type: r.backend_type,
    model: r.model,
    pro: !!r.pro,
    permission_mode: r.permission_mode,
    cwd: r.cwd,
    title: r.title,
    slug: r.slug,
    session_id: r.session_id,
    parent_run_id: r.parent_run_id,
    exit_code: r.exit_code,
    error: r.error,
    created_at: iso(r.created_at)!,
    started_at: iso(r.started_at),
    ended_at: iso(r.ended_at),
    duration_ms: runDurationMs(r),
    usage: {
      input_tokens: r.input_tokens,
      output_tokens: r.output_tokens,
      cache_read_tokens: r.cache_read_tokens,
      cache_write_tokens: r.cache_write_tokens,
      reasoning_tokens: r.reasoning_tokens,
      turns: r.turns,
      cost_usd: r.cost_usd,
      cost_estimated: !!r.cost_estimated,
    },
    files: { prompt: f.prompt, out: f.out, result: f.result, raw: f.raw },
  };
}

/** "3m", "2h", "5d": how long ago a run was created. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** `$0.0123`, `$1.23`: a dollar amount as lists show it. */
export function formatUsd(usd: number): string {
  return `$${usd.toFixed(usd < 1 ? 4 : 2)}`;
}

/** Cost when the backend reports one (`~$…` when it is the CLI's estimate), else tokens. */
export function formatCost(r: RunRow): string {
  if (r.cost_usd !== null && r.cost_usd > 0) {
    // `~`: the CLI's own estimate, not what the endpoint bills (see costTotal).
    return `${r.cost_estimated ? "~" : ""}${formatUsd(r.cost_usd)}`;
  }
  if (r.input_tokens || r.output_tokens) {
    return `${compact(r.input_tokens)}/${compact(r.output_tokens)}`;
  }
  return "-";
}

function compact(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

export function formatRunDuration(r: RunRow, now = Date.now()): string {
  const d = runDurationMs(r, now);
  return d === null ? "-" : formatDuration(d);
}

/** The cost total of some runs: `$1.23`, with `est.` when any part is an estimate. */
export function costTotal(rows: readonly RunRow[]): string | null {
  const priced = rows.filter((r) => r.cost_usd !== null && r.cost_usd > 0);
  if (priced.length === 0) return null;
  const sum = priced.reduce((n, r) => n + r.cost_usd!, 0);
  return `${formatUsd(sum)}${priced.some((r) => r.cost_estimated) ? " est." : ""}`;
}

/** What a finished run's exit code is for `wait`: the same codes `run` itself uses. */
export function exitCodeForStatus(status: string): number {
  switch (status) {
    case "success":
      return 0;
    case "interrupted":
      return 130;
    default:
      return 1;
  }
}

/** Normalized run events: what every backend's stream parser turns its lines into. */

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  turns: number;
  costUsd: number | null;
}

export type RunEvent =
  /** The backend's conversation handle (claude session id, codex thread id). */
  | { kind: "session"; id: string }
  /** Assistant prose. */
  | { kind: "text"; text: string }
  /** One tool call, summarised on one short line (`$ cmd`, `write path`). */
  | { kind: "tool"; name: string; summary: string }
  /**
   * Token usage. `cumulative` usage replaces what was seen before (claude's final
   * result, codex's thread totals); otherwise it is added.
   */
  | { kind: "usage"; usage: Usage; cumulative: boolean }
  /** The final answer, or the backend's own failure report. */
  | { kind: "result"; text: string; isError: boolean }
  /** An error the backend reported while streaming (may be transient). */
  | { kind: "error"; message: string }
  /** A tool call the backend refused for lack of permission. */
  | { kind: "permission_denied"; tool: string; detail: string }
  | { kind: "info"; text: string };

export function emptyUsage(): Usage {
  return {
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    turns: 0,
    costUsd: null,
  };
}

export function addUsage(a: Usage, b: Usage): Usage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cacheReadTokens: a.cacheReadTokens + b.cacheReadTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
    reasoningTokens: a.reasoningTokens + b.reasoningTokens,
    turns: a.turns + b.turns,
    costUsd: a.costUsd === null && b.costUsd === null ? null : (a.costUsd ?? 0) + (b.costUsd ?? 0),
  };
}

/**
 * a − b for token counts, clamped at zero: codex reports thread totals, we want this
 * run's share. Turns are counted per run by the parser already, so a's are kept.
 */
export function subtractUsage(a: Usage, b: Usage): Usage {
  const d = (x: number, y: number) => Math.max(0, x - y);
  return {
    inputTokens: d(a.inputTokens, b.inputTokens),
    outputTokens: d(a.outputTokens, b.outputTokens),
    cacheReadTokens: d(a.cacheReadTokens, b.cacheReadTokens),
    cacheWriteTokens: d(a.cacheWriteTokens, b.cacheWriteTokens),
    reasoningTokens: d(a.reasoningTokens, b.reasoningTokens),
    turns: a.turns,
    costUsd: a.costUsd === null ? null : Math.max(0, a.costUsd - (b.costUsd ?? 0)),
  };
}

/** Collapses whitespace and cuts to `max` characters: a progress line is one line. */
export function oneLine(text: string, max = 200): string {
  const s = text.replace(/\s+/g, " ").trim();
  return s.length > max ? s.slice(0, max - 1) + "…" : s;
}

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

const EVENT_FIELDS: Record<RunEvent["kind"], Record<string, "string" | "boolean" | "object">> = {
  session: { id: "string" },
  text: { text: "string" },
  tool: { name: "string", summary: "string" },
  usage: { usage: "object", cumulative: "boolean" },
  result: { text: "string", isError: "boolean" },
  error: { message: "string" },
  permission_denied: { tool: "string", detail: "string" },
  info: { text: "string" },
};

const USAGE_NUMBERS = [
  "inputTokens",
  "outputTokens",
  "cacheReadTokens",
  "cacheWriteTokens",
  "reasoningTokens",
  "turns",
] as const;

/**
 * Events from a parser handoff did not write (a plugin's): the well-formed ones, and a
 * description of the first one that is not (dropped, so a plugin's slip cannot break a run).
 */
export function checkRunEvents(value: unknown): { events: RunEvent[]; problem: string | null } {
  if (!Array.isArray(value)) return { events: [], problem: "events must be a list" };
  const events: RunEvent[] = [];
  let problem: string | null = null;
  for (const ev of value) {
    const fields = ev && typeof ev === "object" ? EVENT_FIELDS[(ev as RunEvent).kind] : undefined;
    const ok = fields !== undefined &&
      Object.entries(fields).every(([k, t]) =>
        typeof (ev as Record<string, unknown>)[k] === t &&
        (ev as Record<string, unknown>)[k] !== null
      );
    if (ok && (ev as RunEvent).kind === "usage") {
      const u = (ev as { usage: Record<string, unknown> }).usage;
      const numbers = USAGE_NUMBERS.every((k) => typeof u[k] === "number" && u[k] as number >= 0);
      const cost = u.costUsd === null || u.costUsd === undefined || typeof u.costUsd === "number";
      if (numbers && cost) {
        events.push({
          kind: "usage",
          cumulative: (ev as { cumulative: boolean }).cumulative,
          usage: {
            ...Object.fromEntries(USAGE_NUMBERS.map((k) => [k, u[k] as number])) as Omit<
              Usage,
              "costUsd"
            >,
            costUsd: (u.costUsd as number | undefined) ?? null,
          },
        });
        continue;
      }
    } else if (ok) {
      events.push(ev as RunEvent);
      continue;
    }
    problem ??= `dropped a malformed event: ${JSON.stringify(ev)?.slice(0, 120)}`;
  }
  return { events, problem };
}

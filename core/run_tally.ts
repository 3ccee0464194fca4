/**
 * What a run's normalized events add up to: the progress lines a person sees, the usage,
 * the final answer, and the verdict once the backend has exited. Pure: the engine feeds
 * it events and writes what it returns.
 */
import { addUsage, emptyUsage, oneLine, type RunEvent, type Usage } from "./events.ts";
import { formatDuration } from "./output.ts";

export interface RunResult {
  text: string;
  isError: boolean;
}

export class RunTally {
  usage: Usage = emptyUsage();
  result: RunResult | null = null;
  lastError: string | null = null;
  tools = 0;
  /** Assistant text held back one event: the last message usually repeats the answer. */
  private pending: string | null = null;
  private lastLine = "";

  constructor(public sessionId: string | null) {}

  /** Folds one event in; returns the progress lines it produces (no timestamps). */
  apply(ev: RunEvent): string[] {
    switch (ev.kind) {
      case "session":
        this.sessionId = ev.id;
        return [];
      case "usage":
        this.usage = ev.cumulative ? { ...ev.usage } : addUsage(this.usage, ev.usage);
        return [];
      case "text": {
        const out = this.flush();
        this.pending = ev.text;
        return out;
      }
      case "result":
        if (this.pending !== null && this.pending.trim() === ev.text.trim()) this.pending = null;
        this.result = { text: ev.text, isError: ev.isError };
        return this.flush();
      case "tool":
        this.tools++;
        return [...this.flush(), ...this.line(ev.summary)];
      case "error":
        this.lastError = ev.message;
        return [...this.flush(), ...this.line(`error: ${ev.message}`)];
      case "permission_denied":
        return [...this.flush(), ...this.line(`denied: ${ev.detail}`)];
      case "info":
        return [...this.flush(), ...this.line(ev.text)];
    }
  }

  /** The held-back text, if any (at the next event, and at the end of the stream). */
  flush(): string[] {
    const text = this.pending;
    this.pending = null;
    return text === null ? [] : this.line(oneLine(text, 2000));
  }

  /** Backends repeat themselves (codex reports an error, then the failed turn): once is enough. */
  private line(text: string): string[] {
    if (text === this.lastLine) return [];
    this.lastLine = text;
    return [text];
  }
}

export interface BackendExit {
  code: number;
  signal: string | null;
  /** Ctrl-C, SIGTERM, SIGHUP or `handoff kill`. */
  interrupted: boolean;
  /** Set when the run's timeout stopped the backend: how long it was given. */
  timedOutAfterMs?: number | null;
}

export interface Verdict {
  status: "success" | "error" | "interrupted";
  /** The final answer (success only). */
  answer: string | null;
  /** Why it did not succeed, one line each. */
  diagnostic: string[];
  /** What the backend had produced, kept with a failure or an interruption. */
  partial: string | null;
  /** The run's timeout stopped it (an error; `handoff run` exits 124). */
  timedOut?: boolean;
}

/**
 * A run succeeds only when the backend reported a successful result AND exited 0; an
 * interruption wins over everything; anything else is an error with its reasons.
 */
export function verdict(
  t: RunTally,
  exit: BackendExit,
  cli: string,
  why: { hint?: string; stderrTail: string[] },
): Verdict {
  const res = t.result;
  if (exit.interrupted) {
    return {
      status: "interrupted",
      answer: null,
      diagnostic: ["interrupted"],
      partial: res?.text ?? null,
    };
  }
  if (exit.timedOutAfterMs) {
    return {
      status: "error",
      answer: null,
      diagnostic: [
        `timed out after ${formatDuration(exit.timedOutAfterMs)}: the backend was stopped`,
      ],
      partial: res?.text ?? null,
      timedOut: true,
    };
  }
  if (res && !res.isError && exit.code === 0) {
    return { status: "success", answer: res.text, diagnostic: [], partial: null };
  }
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with status ${exit.code}`;
  const diagnostic: string[] = [];
  const reported = res?.isError ? oneLine(res.text, 500) : t.lastError;
  if (reported) diagnostic.push(`the backend reported an error: ${reported}`);
  diagnostic.push(
    res && !res.isError
      ? `${cli} ${how} after its result; treating the run as failed`
      : `no successful result: ${cli} ${how}`,
  );
  if (why.hint) diagnostic.push(`hint: ${why.hint}`);
  if (!reported && why.stderrTail.length) {
    diagnostic.push(
      `last stderr lines:\n${why.stderrTail.slice(-8).map((l) => "  " + l).join("\n")}`,
    );
  }
  return { status: "error", answer: null, diagnostic, partial: res?.text ?? null };
}

/** The line a quiet run prints every minute: `… still running (3 min, 1 tool call)`. */
export function heartbeatText(minutes: number, tools: number): string {
  return `… still running (${minutes} min, ${tools} tool call${tools === 1 ? "" : "s"})`;
}

/**
 * A stream parser whose code loads with its first line. Every command registers the
 * backends but few parse a stream (run, tail, the TUI), so the parsers stay out of
 * start-up. Lines pushed while it loads get their events in the order they were pushed.
 */
import type { RunEvent } from "../core/events.ts";
import type { StreamParser } from "../core/registry.ts";

/** `createParser` for a backend whose parser module is loaded by `load`. */
export function lazyParser(load: () => Promise<() => StreamParser>): () => StreamParser {
  return () => {
    let parser: StreamParser | null = null;
    let loading: Promise<StreamParser> | null = null;
    return {
      push(line: string): RunEvent[] | Promise<RunEvent[]> {
        if (parser) return parser.push(line);
        loading ??= load().then((create) => parser = create());
        return loading.then((p) => p.push(line));
      },
    };
  };
}

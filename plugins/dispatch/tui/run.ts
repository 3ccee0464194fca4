/**
 * The full-screen `handoff list` / `handoff tail` (loaded through tui/mod.ts).
 *
 * It draws in the terminal's alternate screen; `q`, Ctrl-C, SIGINT, SIGTERM and SIGHUP
 * all put the terminal back as it was. `o` leaves the screen first and then opens the
 * backend's interactive CLI in this terminal on the run's conversation (handoff exits
 * with the CLI's status). `r` starts the follow-up as an ordinary background run
 * (`handoff resume`) and shows it live; quitting the TUI leaves it running.
 */
import process from "node:process";
import { render } from "ink";
import { createElement } from "react";
import { colorEnabled } from "../../../core/output.ts";
import type { CommandContext } from "../../../core/registry.ts";
import { selectRun } from "../../../core/select.ts";
import { App, type ExitRequest, listHeightFor } from "./app.tsx";
import { LedgerView } from "./data.ts";
import { realEffects } from "./effects.ts";
import { TerminalInput } from "./input.ts";
import { type Filter, NO_FILTER } from "./filter.ts";
import { detailFor, initialState, isLive, type State } from "./state.ts";
import { settle } from "./window.ts";

export interface ListTuiOptions {
  status?: string;
  backend?: string;
}

/** `handoff list` on a terminal: every run, newest first, optionally pre-filtered. */
export async function listTui(ctx: CommandContext, o: ListTuiOptions = {}): Promise<number> {
  const code = await runTui(ctx, (ledger) => {
    const filter: Filter = { ...NO_FILTER, status: o.status, backend: o.backend };
    return { state: { filter, total: ledger.count(filter) } };
  });
  return code ?? 0;
}

/**
 * `handoff tail <run>` on a terminal: the run's detail view on the Output tab (progress
 * lines, then RESULT=), live, until the run ends; then the screen closes by itself
 * (unless a key was pressed: then `q` does). Null means "print it the plain way": the run
 * has ended (or had already), so the terminal is left with exactly what plain `tail`
 * prints, and its exit status.
 */
export function tailTui(ctx: CommandContext, selector: string): Promise<number | null> {
  return runTui(ctx, (ledger) => {
    const run = selectRun(ledger.db, selector); // a bad selector fails before the screen opens
    if (!isLive(run.status)) return null; // nothing to watch
    const total = ledger.count(NO_FILTER);
    const listHeight = listHeightFor(process.stdout.rows || 24);
    // Esc goes back to the list, with the cursor on this run.
    const view = settle({ cursor: ledger.indexOf(NO_FILTER, run.id), top: 0 }, listHeight, total);
    return {
      state: { total, view, detail: detailFor(run.run_id, "output") },
      tail: run.run_id,
    };
  });
}

/** Signals that end the TUI cleanly, and the exit status then (128 + the signal). */
const SIGNALS: [Deno.Signal, number][] = [["SIGINT", 130], ["SIGTERM", 143], ["SIGHUP", 129]];

async function runTui(
  ctx: CommandContext,
  start: (ledger: LedgerView) => { state: Partial<State>; tail?: string } | null,
): Promise<number | null> {
  const db = await ctx.openStore();
  const input = new TerminalInput();
  let request: ExitRequest = { kind: "quit" };
  let signalled = 0;
  const listeners: [Deno.Signal, () => void][] = [];
  try {
    const ledger = new LedgerView(db);
    ledger.reconcile();
    ledger.changed(); // the current data_version is the baseline
    const begin = start(ledger);
    if (!begin) return null;
    const initial = initialState({
      listHeight: listHeightFor(process.stdout.rows || 24),
      ...begin.state,
    });
    // Raw mode before the first frame, not after it (ink would set it in an effect): keys
    // typed as soon as the list shows would otherwise be echoed by the terminal over it.
    await input.start();
    const app = render(
      createElement(App, {
        ledger,
        registry: ctx.registry,
        effects: realEffects(db),
        initial,
        color: colorEnabled(Deno.stdout),
        closeWhenEnded: begin.tail,
      }),
      {
        stdin: input.stream,
        alternateScreen: true,
        // We checked for a terminal already; ink would turn itself off when CI is set.
        interactive: true,
        exitOnCtrlC: false, // Ctrl-C is a key (quit), handled with the others
        patchConsole: true,
        incrementalRendering: true, // rewrite changed lines only: no flicker
        maxFps: 60, // a key's effect shows within ~16 ms, not ink's default 33
      },
    );
    // Killed or hung up: close the screen and restore the terminal (in `finally`) first.
    for (const [sig, code] of SIGNALS) {
      const on = () => {
        signalled = code;
        app.unmount();
      };
      Deno.addSignalListener(sig, on);
      listeners.push([sig, on]);
    }
    request = (await app.waitUntilExit() as ExitRequest | undefined) ?? { kind: "quit" };
    if (signalled) return signalled;
    if (request.kind === "quit" && begin.tail) {
      const row = ledger.run(begin.tail);
      if (row && !isLive(row.status)) return null; // ended: plain tail prints the record
    }
  } finally {
    for (const [sig, on] of listeners) Deno.removeSignalListener(sig, on);
    await input.stop(); // before `o` hands the terminal to the interactive CLI
    db.close();
  }
  if (request.kind === "open") {
    const { openInteractive } = await import("../../../core/engine.ts");
    return await openInteractive({
      registry: ctx.registry,
      parent: request.run,
      cwd: request.run.cwd,
    });
  }
  return 0;
}

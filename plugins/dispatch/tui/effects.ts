/**
 * What the TUI does to the world: copy (OSC 52), kill (the same code as `handoff kill`),
 * and resume (a `handoff resume` process, so the follow-up is an ordinary background run).
 */
import { lines } from "../../../core/lines.ts";
import process from "node:process";
import { stopRun } from "../kill.ts";
import type { RunRow } from "../../../core/ledger.ts";
import type { Db } from "../../../core/store.ts";
import { osc52 } from "./osc52.ts";
import { selfArgv } from "../../../core/self.ts";
import { kickDeliveryIfSinks } from "../../../core/delivery_kick.ts";
import { paths } from "../../../core/paths.ts";
import { openRequests, resolveRequest } from "../../approvals/requests.ts";
import { pickOption } from "../../approvals/summary.ts";
import { tabText } from "../../approvals/view.ts";
import { insideAgent } from "../../approvals/answer.ts";

/** A permission request an agent waits on, as the list shows it. */
export interface Waiting {
  requestId: string;
  summary: string;
  tab: string | null;
  agent: string;
}

export interface Effects {
  copy(text: string): void;
  kill(run: RunRow): Promise<string>;
  resume(runId: string, prompt: string): Promise<{ runId: string } | { error: string }>;
  /** The permission requests agents wait on, oldest first. */
  waiting(): Waiting[];
  /** Answers one at the desk: the toast to show. */
  answer(requestId: string, allow: boolean): [string, "info" | "error"];
}

export function realEffects(db: Db): Effects {
  return {
    copy(text) {
      process.stdout.write(osc52(text, { tmux: !!Deno.env.get("TMUX") }));
    },
    kill: (run) => stopRun(db, run),
    resume: startResume,
    waiting: () => waitingRequests(db),
    answer: (id, allow) => answerRequest(db, id, allow),
  };
}

function waitingRequests(db: Db): Waiting[] {
  try {
    return openRequests(db, new Date()).map((r) => ({
      requestId: r.requestId,
      summary: r.summary,
      tab: tabText(r) === "-" ? null : tabText(r),
      agent: r.agent,
    }));
  } catch {
    return []; // a home handoff cannot write (its tables not made yet): nothing waits
  }
}

function answerRequest(db: Db, id: string, allow: boolean): [string, "info" | "error"] {
  const agent = insideAgent((n) => Deno.env.get(n));
  if (agent) return [`not answered: this is an agent's shell (${agent} is set)`, "error"];
  const req = openRequests(db, new Date()).find((r) => r.requestId === id);
  const option = req && pickOption(req.options, allow ? "once" : "deny");
  if (!req || !option) return ["that request is no longer waiting", "error"];
  const r = resolveRequest(
    db,
    id,
    { status: allow ? "allowed" : "denied", option, by: "desk" },
    new Date(),
  );
  if (!r.ok) {
    return [`too late: it was ${r.why === "already_decided" ? "answered" : "closed"}`, "error"];
  }
  kickDeliveryIfSinks(paths().home, db);
  return [`${allow ? "allowed" : "denied"}: ${req.summary}`, "info"];
}

/**
 * Starts `handoff resume <run> -` with the follow-up on stdin, in its own process group
 * (so it outlives the TUI and a Ctrl-C here never reaches it), and resolves with the new
 * run's id once it prints `RUN_ID=`, or with the error it printed if it refused to start.
 * Its progress goes to its files as for any run; the pipes are drained and then dropped.
 */
export async function startResume(
  runId: string,
  prompt: string,
): Promise<{ runId: string } | { error: string }> {
  const [program, ...args] = selfArgv();
  const child = new Deno.Command(program, {
    args: [...args, "resume", runId, "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    detached: true,
  }).spawn();
  const stderrTail: string[] = [];
  const drainErr = drain(child.stderr, (line) => {
    stderrTail.push(line);
    if (stderrTail.length > 6) stderrTail.shift();
  });
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(prompt)).catch(() => {});
  await w.close().catch(() => {});
  let newId: string | null = null;
  let resolveId: (id: string | null) => void = () => {};
  const gotId = new Promise<string | null>((r) => (resolveId = r));
  const drainOut = drain(child.stdout, (line) => {
    if (newId === null && line.startsWith("RUN_ID=")) {
      newId = line.slice("RUN_ID=".length);
      resolveId(newId);
    }
  }).then(() => resolveId(null));
  const id = await gotId;
  child.unref(); // the run goes on without us
  if (id) return { runId: id };
  await Promise.all([drainErr, drainOut, child.status]);
  const lines = stderrTail.filter((l) => l.trim());
  const message = lines.findLast((l) => l.startsWith("handoff: ")) ?? lines.at(-1);
  return { error: message?.replace(/^handoff: /, "") ?? "handoff resume failed" };
}

async function drain(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  try {
    for await (const line of lines(stream)) onLine(line);
  } catch { /* the pipe went away */ }
}

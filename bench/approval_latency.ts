/**
 * Phone approvals: from a phone's decision to the waiting PermissionRequest hook's exit
 * (its decision printed), p50/p99 over 50 requests. Measured side by side:
 *   - decision committed in this process → hook exits: the wake-up on the database (a
 *     watch on the WAL) plus printing and exiting;
 *   - `handoff gate <fp>` with `approve <id>` started → hook exits: the phone's side
 *     without ssh (a gate process's start-up included);
 *   - baseline: a waiting `deno` process woken through a pipe → it exits.
 *
 *   deno run -A bench/approval_latency.ts [requests]
 *
 * Target: decision → hook exit within 250 ms. Figures only: nothing fails on a number.
 */
import { join } from "node:path";
import { openDb } from "../core/store.ts";
import { openRequests, resolveRequest } from "../plugins/approvals/requests.ts";
import { pickOption } from "../plugins/approvals/summary.ts";
import { addDevice } from "../tests/helpers/devices.ts";
import { benchDirs, cleanEnv, handoffArgv, ms, percentile, table } from "./lib.ts";

const N = Number(Deno.args[0] ?? 50);
const PAYLOAD = JSON.stringify({
  hook_event_name: "PermissionRequest",
  session_id: "bench",
  cwd: "/tmp",
  tool_name: "Bash",
  tool_input: { command: "touch x", description: "bench" },
});

const d = await benchDirs("handoff-bench-approvals-");
const env = await cleanEnv(d.home, { HANDOFF_HOME: d.handoffHome });
const phone = addDevice(d.handoffHome, "Bench", { sessions: ["*"] });
const dbFile = join(d.handoffHome, "handoff.db");

function startHook(): Deno.ChildProcess {
  const [cmd, ...args] = handoffArgv("approval-hook", "--source", "claude-code", "--wait", "60");
  const child = new Deno.Command(cmd, {
    args,
    env,
    clearEnv: true,
    cwd: d.work,
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const w = child.stdin.getWriter();
  w.write(new TextEncoder().encode(PAYLOAD)).then(() => w.close());
  return child;
}

/** The id of the request the hook just recorded. */
async function waitingRequest(): Promise<string> {
  const db = openDb(dbFile);
  try {
    for (let i = 0; i < 600; i++) {
      const [r] = openRequests(db, new Date());
      if (r) return r.requestId;
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    db.close();
  }
  throw new Error("the hook recorded no request");
}

async function inProcess(): Promise<number> {
  const child = startHook();
  const id = await waitingRequest();
  const db = openDb(dbFile);
  try {
    const t0 = performance.now();
    const req = openRequests(db, new Date()).find((r) => r.requestId === id)!;
    resolveRequest(db, id, {
      status: "allowed",
      option: pickOption(req.options, "once"),
      by: "phone:Bench",
    }, new Date());
    await child.status;
    return performance.now() - t0;
  } finally {
    db.close();
  }
}

async function throughGate(): Promise<number> {
  const child = startHook();
  const id = await waitingRequest();
  const [cmd, ...args] = handoffArgv("gate", phone);
  const t0 = performance.now();
  const gate = new Deno.Command(cmd, {
    args,
    env: { ...env, SSH_ORIGINAL_COMMAND: `approve ${id}` },
    clearEnv: true,
    stdout: "null",
    stderr: "null",
  }).spawn();
  await child.status;
  const t = performance.now() - t0;
  await gate.status;
  return t;
}

async function pipeBaseline(): Promise<number> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "await Deno.stdin.read(new Uint8Array(1))"],
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  await new Promise((r) => setTimeout(r, 300)); // started and waiting
  const w = child.stdin.getWriter();
  const t0 = performance.now();
  await w.write(new Uint8Array([1]));
  await child.status;
  return performance.now() - t0;
}

try {
  const rows: [string, number[]][] = [];
  const sample = async (name: string, n: number, f: () => Promise<number>) => {
    const xs: number[] = [];
    for (let i = 0; i < n; i++) xs.push(await f());
    rows.push([name, xs]);
  };
  await sample("baseline: deno woken by a pipe → exit", N, pipeBaseline);
  await sample("decision committed → hook exits", N, inProcess);
  await sample("gate approve started → hook exits", Math.min(N, 20), throughGate);
  const base = percentile(rows[0][1], 50);
  console.log(`approval latency (${N} requests; gate ${Math.min(N, 20)})`);
  console.log(table([
    ["", "n", "p50", "p90", "p99", "max", "p50 / baseline"],
    ...rows.map(([name, xs]) => [
      name,
      String(xs.length),
      ms(percentile(xs, 50)),
      ms(percentile(xs, 90)),
      ms(percentile(xs, 99)),
      ms(Math.max(...xs)),
      `${(percentile(xs, 50) / base).toFixed(2)}×`,
    ]),
  ]));
} finally {
  await Deno.remove(d.dir, { recursive: true }).catch(() => {});
}

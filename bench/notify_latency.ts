/**
 * Notification latency: from the start of a `handoff notify` process to its event line
 * arriving on an open `ssh … subscribe since=…` stream (a paired device's key, a real sshd
 * on 127.0.0.1, the gate, the event log's WAL watch), p50/p99 over 200 events. Measured on
 * the same events, side by side:
 *   - the same stream read in this process (no ssh, no gate): what the wake-up costs;
 *   - a reader polling the log every 250 ms (the seed's stream helper polled its file so);
 *   - the notify process itself, start to exit.
 *
 *   deno run -A bench/notify_latency.ts [events]
 *
 * Target: ssh stream p50 ≤ 80 ms, p99 ≤ 200 ms on loopback, notify's start-up included.
 * Figures only: nothing fails on a number.
 */
import { join } from "node:path";
import { eventsAfter, lastEventId, streamEvents } from "../core/event_log.ts";
import { openDb } from "../core/store.ts";
import { sshArgs } from "../tests/helpers/sshd.ts";
import { pairPhone, startPhoneWorld } from "../tests/helpers/phone.ts";
import { MAIN } from "../tests/helpers/handoff.ts";
import { ms, percentile, table } from "./lib.ts";

const EVENTS = Number(Deno.args[0] ?? 200);
const POLL_MS = 250;

/** Arrival time (performance.now()) of each bench message, per reader. */
type Arrivals = Map<string, number>;

function watchLines(stream: ReadableStream<Uint8Array>, arrivals: Arrivals): Promise<void> {
  return (async () => {
    let buf = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      const now = performance.now();
      buf += chunk;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const rec = JSON.parse(buf.slice(0, i));
        buf = buf.slice(i + 1);
        if (rec.message) arrivals.set(rec.message, now);
      }
    }
  })();
}

async function until(pred: () => boolean, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!pred()) {
    if (performance.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 1));
  }
  return true;
}

async function main() {
  const w = await startPhoneWorld();
  const stop = new AbortController();
  let ssh: Deno.ChildProcess | null = null;
  try {
    const { phone } = await pairPhone(w, "Bench", ["--sessions", "*"]);
    const dbFile = join(w.home, "handoff.db");
    const db = openDb(dbFile);
    const since = lastEventId(db);

    const viaSsh: Arrivals = new Map();
    ssh = new Deno.Command("ssh", {
      args: [...sshArgs(w.sshd, phone.keyFile), `subscribe since=${since}`],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const sshReading = watchLines(ssh.stdout, viaSsh);

    const local: Arrivals = new Map();
    const localDone = streamEvents({
      db,
      dbFile,
      since,
      follow: true,
      signal: stop.signal,
      write(line) {
        const rec = JSON.parse(line);
        if (rec.message) local.set(rec.message, performance.now());
        return Promise.resolve();
      },
    });

    const polled: Arrivals = new Map();
    let cursor = since;
    const poll = setInterval(() => {
      const now = performance.now();
      for (const ev of eventsAfter(db, cursor)) {
        polled.set(ev.message, now);
        cursor = ev.id;
      }
    }, POLL_MS);

    // Warm up (module cache, sshd, gate) before measuring; wait for `ready`.
    const env = { ...w.env };
    const notify = (message: string) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", MAIN, "notify", "-m", message],
        env,
        clearEnv: true,
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
    for (let i = 0; i < 5; i++) {
      await notify(`warm ${i}`).status;
      await until(() => viaSsh.has(`warm ${i}`), 5000);
    }

    const sent: number[] = [];
    const exits: number[] = [];
    let lost = 0;
    for (let i = 0; i < EVENTS; i++) {
      const message = `bench ${i}`;
      const t0 = performance.now();
      sent.push(t0);
      const child = notify(message);
      await child.status;
      exits.push(performance.now() - t0);
      if (!await until(() => viaSsh.has(message), 5000)) lost++;
      // A random pause, so the 250 ms poll is not phase-locked to the writes.
      await new Promise((r) => setTimeout(r, Math.random() * 40));
    }
    await new Promise((r) => setTimeout(r, POLL_MS + 50));
    clearInterval(poll);

    const lat = (arr: Arrivals) =>
      sent.map((t0, i) => (arr.get(`bench ${i}`) ?? NaN) - t0).filter((x) => !Number.isNaN(x));
    const rows = [["", "p50", "p90", "p99", "max", "n"]];
    const add = (name: string, xs: number[]) =>
      rows.push([
        name,
        ms(percentile(xs, 50)),
        ms(percentile(xs, 90)),
        ms(percentile(xs, 99)),
        ms(Math.max(...xs)),
        String(xs.length),
      ]);
    add("ssh subscribe stream (WAL watch)", lat(viaSsh));
    add("in-process stream (WAL watch)", lat(local));
    add(`in-process poll every ${POLL_MS} ms`, lat(polled));
    add("notify process, start to exit", exits);

    console.log(`# notify_latency: start of \`handoff notify\` → event line on a subscriber

events    ${EVENTS} sequential notifies (plus 5 warm-up), each a new deno process
stream    ssh (real sshd on 127.0.0.1, device key) → handoff gate → subscribe sink
baseline  the same log polled every ${POLL_MS} ms in this process, on the same events
machine   deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} cpus, load ${
      Deno.loadavg().map((x) => x.toFixed(2)).join(" ")
    }
`);
    console.log(table(rows));
    if (lost) console.log(`\n${lost} events did not arrive on the ssh stream within 5 s`);
    console.log("\ntarget: ssh stream p50 ≤ 80 ms, p99 ≤ 200 ms (notify start-up included)");

    stop.abort();
    await localDone;
    db.close();
    ssh.kill("SIGTERM");
    await ssh.status;
    await sshReading.catch(() => {});
    ssh = null;
  } finally {
    stop.abort();
    if (ssh) {
      try {
        ssh.kill("SIGKILL");
      } catch { /* gone */ }
      await ssh.status;
    }
    await w.close();
  }
}

await main();

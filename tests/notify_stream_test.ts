/**
 * The event log and the `subscribe` sink, in process: a fake Subscription collects the
 * records while real writers (this process and `handoff notify` processes) append.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { appendEvent, eventsAfter, type NewEvent } from "../core/event_log.ts";
import { processStartTime } from "../core/proc.ts";
import type { Subscription } from "../core/registry.ts";
import { type Db, openDb, setSetting } from "../core/store.ts";
import { subscribe, type SubscribeTuning } from "../plugins/notify/subscribe.ts";
import { MAIN } from "./helpers/handoff.ts";

interface Rec {
  type: string;
  id?: number;
  last_id?: number;
  from?: number;
  to?: number;
  tmux_session?: string;
  tmux_window?: number;
  tab?: string;
  message?: string;
  suppress?: boolean;
}

async function withHome(fn: (home: string, db: Db, dbFile: string) => Promise<void>) {
  const home = await Deno.makeTempDir({ prefix: "handoff-notify-" });
  const dbFile = join(home, "handoff.db");
  const db = openDb(dbFile);
  try {
    await fn(home, db, dbFile);
  } finally {
    db.close();
    await Deno.remove(home, { recursive: true });
  }
}

function addDevice(db: Db, sessions: string[], softExpiry: string | null = null): number {
  const row = db.prepare(
    `INSERT INTO devices (name, fingerprint, status, sessions, read_only, nonce, created_at, soft_expiry)
     VALUES ('phone', ?, 'active', ?, 0, 'n', '2026-01-01T00:00:00Z', ?) RETURNING id`,
  ).get(`SHA256:${crypto.randomUUID()}`, JSON.stringify(sessions), softExpiry) as { id: number };
  return row.id;
}

/** A subscription whose records land in `records`; `until` waits for one to match. */
function fakeSub(
  deviceId: number,
  sessions: string[],
  since: number,
  types: string[] | null = null,
) {
  const records: Rec[] = [];
  const ctl = new AbortController();
  let failWrites = false;
  let notify = () => {};
  const sub: Subscription = {
    device: { id: deviceId, name: "phone", fingerprint: "fp", sessions, readOnly: false },
    since,
    types,
    signal: ctl.signal,
    write(line) {
      if (failWrites) return Promise.reject(new Error("channel closed"));
      assert.ok(line.endsWith("\n") && !line.slice(0, -1).includes("\n"), "one line per record");
      records.push(JSON.parse(line));
      notify();
      return Promise.resolve();
    },
  };
  const until = async (pred: (r: Rec[]) => boolean, ms = 5000): Promise<void> => {
    const deadline = Date.now() + ms;
    while (!pred(records)) {
      if (Date.now() > deadline) {
        throw new Error(
          `timed out; records so far:\n${records.map((r) => JSON.stringify(r)).join("\n")}`,
        );
      }
      await new Promise<void>((r) => {
        notify = r;
        setTimeout(r, 50);
      });
    }
  };
  return { sub, records, ctl, until, breakPipe: () => failWrites = true };
}

const ev = (message: string, session?: string, window?: number, type = "stop"): NewEvent => ({
  type,
  message,
  session,
  window,
});

Deno.test("event log: gapless ids, bounded size, pruned range reported as a gap", async () => {
  await withHome(async (_home, db, dbFile) => {
    setSetting(db, "events.max", "50");
    for (let i = 1; i <= 120; i++) appendEvent(db, ev(`e${i}`));
    const kept = eventsAfter(db, 0, 1000);
    assert.equal(kept.length, 50);
    assert.deepEqual(kept.map((e) => e.id), Array.from({ length: 50 }, (_, i) => 71 + i));

    const device = addDevice(db, ["*"]);
    const s = fakeSub(device, ["*"], 10);
    const done = subscribe(s.sub, { dbFile });
    await s.until((r) => r.some((x) => x.type === "ready"));
    assert.deepEqual(s.records[0], { ...s.records[0], type: "gap", from: 11, to: 70 });
    assert.equal(s.records[1].id, 71);
    assert.deepEqual(s.records.at(-1), { ...s.records.at(-1), type: "ready", last_id: 120 });
    assert.equal(s.records.length, 52);
    s.ctl.abort();
    assert.equal(await done, 0);
  });
});

Deno.test("subscribe: drain, ready, live events in order, patterns, types, suppression, ping", async () => {
  await withHome(async (home, db, dbFile) => {
    const device = addDevice(db, ["work-*"]);
    // The device is attached (through a live gate process: this one) to work-a window 1.
    db.prepare(
      `INSERT INTO attachments (device_id, session, window, pid, pid_start, started_at)
       VALUES (?, 'work-a', 1, ?, ?, '2026-01-01T00:00:00Z')`,
    ).run(device, Deno.pid, processStartTime(Deno.pid));
    // A stale attachment (dead pid) suppresses nothing.
    db.prepare(
      `INSERT INTO attachments (device_id, session, window, pid, pid_start, started_at)
       VALUES (?, 'work-a', 2, 2147483000, 'x', '2026-01-01T00:00:00Z')`,
    ).run(device);
    appendEvent(db, ev("untagged"));
    appendEvent(db, ev("secret", "secret", 0));
    appendEvent(db, ev("viewed", "work-a", 1));
    appendEvent(db, ev("other tab", "work-a", 2));

    const tune: SubscribeTuning = { dbFile, pingMs: 600 };
    const s = fakeSub(device, ["work-*"], 0);
    const done = subscribe(s.sub, tune);
    await s.until((r) => r.some((x) => x.type === "ready"));
    // The untagged event is for `*` devices only.
    assert.deepEqual(s.records.map((r) => r.message ?? r.type), [
      "viewed",
      "other tab",
      "ready",
    ]);
    assert.equal(s.records[0].suppress, true);
    assert.equal(s.records[0].tab, "work-a:1");
    assert.equal(s.records[1].suppress, undefined);
    assert.equal(s.records[2].last_id, 4);

    // Live: from this process and from `handoff notify` processes, in id order.
    appendEvent(db, ev("live in-process", "work-b", 0));
    await s.until((r) => r.some((x) => x.message === "live in-process"));
    for (const [m, session] of [["hidden", "secret"], ["live cli", "work-c"]]) {
      const r = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--quiet",
          MAIN,
          "notify",
          "-m",
          m,
          "--session",
          session,
          "--window",
          "4",
        ],
        env: { HANDOFF_HOME: home },
        stdin: "null",
      }).output();
      assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
    }
    await s.until((r) => r.some((x) => x.message === "live cli"));
    const live = s.records.filter((r) => r.id && r.id > 4);
    assert.deepEqual(live.map((r) => [r.id, r.message]), [[5, "live in-process"], [7, "live cli"]]);
    assert.deepEqual(s.records.find((r) => r.id === 7)?.tab, "work-c:4");

    // Silence → ping.
    await s.until((r) => r.at(-1)?.type === "ping", 3000);

    // The client goes away: the next write fails and the stream ends quietly.
    s.breakPipe();
    appendEvent(db, ev("after the client left"));
    assert.equal(await done, 0);
  });
});

Deno.test("subscribe: types filter, cursor ahead of the log, soft expiry ends the stream", async () => {
  await withHome(async (_home, db, dbFile) => {
    const device = addDevice(db, ["*"]);
    appendEvent(db, ev("a stop"));
    appendEvent(db, ev("a notify", undefined, undefined, "notify"));

    // A phone whose cursor is ahead (the log was reset) learns the real last id, and the
    // stream still delivers what comes next.
    const s = fakeSub(device, ["*"], 99, ["notify"]);
    const done = subscribe(s.sub, { dbFile });
    await s.until((r) => r.some((x) => x.type === "ready"));
    assert.deepEqual(s.records.map((r) => r.type), ["ready"]);
    assert.equal(s.records[0].last_id, 2);
    appendEvent(db, ev("skipped stop"));
    appendEvent(db, ev("wanted", undefined, undefined, "notify"));
    await s.until((r) => r.some((x) => x.message === "wanted"));
    assert.deepEqual(s.records.map((r) => r.message ?? r.type), ["ready", "wanted"]);

    // Past its soft expiry the device gets nothing more: the stream ends at the next wake.
    db.prepare("UPDATE devices SET soft_expiry = '2020-01-01T00:00:00Z' WHERE id = ?").run(device);
    appendEvent(db, ev("too late", undefined, undefined, "notify"));
    assert.equal(await done, 0);
    assert.equal(s.records.some((r) => r.message === "too late"), false);
  });
});

Deno.test("subscribe: a revoked device's stream ends; abort ends it too", async () => {
  await withHome(async (_home, db, dbFile) => {
    const device = addDevice(db, ["*"]);
    const s = fakeSub(device, ["*"], 0);
    const done = subscribe(s.sub, { dbFile });
    await s.until((r) => r.some((x) => x.type === "ready"));
    db.prepare("UPDATE devices SET status = 'revoked' WHERE id = ?").run(device);
    appendEvent(db, ev("x"));
    assert.equal(await done, 0);

    const t = fakeSub(addDevice(db, ["*"]), ["*"], 0);
    const done2 = subscribe(t.sub, { dbFile, backstopMs: 60_000 });
    await t.until((r) => r.some((x) => x.type === "ready"));
    t.ctl.abort();
    assert.equal(await done2, 0);
  });
});

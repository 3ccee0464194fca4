/**
 * 20 writers × 50 `handoff notify` processes at once: 1,000 events with unique, gapless
 * ids, no torn records, each writer's events in its own order, and a live subscriber that
 * saw every one of them in id order.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { eventsAfter } from "../core/event_log.ts";
import type { Subscription } from "../core/registry.ts";
import { openDb } from "../core/store.ts";
import { subscribe } from "../plugins/notify/subscribe.ts";
import { MAIN } from "./helpers/handoff.ts";

const WRITERS = 20;
const EACH = 50;

Deno.test(`notify: ${WRITERS} concurrent writers × ${EACH} events`, async () => {
  const home = await Deno.makeTempDir({ prefix: "handoff-notify-storm-" });
  const dbFile = join(home, "handoff.db");
  const db = openDb(dbFile);
  const device = db.prepare(
    `INSERT INTO devices (name, fingerprint, status, sessions, read_only, nonce, created_at)
     VALUES ('p', 'fp', 'active', '["*"]', 0, 'n', '2026-01-01T00:00:00Z') RETURNING id`,
  ).get() as { id: number };
  const seen: number[] = [];
  let other = 0;
  const stop = new AbortController();
  const sub: Subscription = {
    device: { id: device.id, name: "p", fingerprint: "fp", sessions: ["*"], readOnly: false },
    since: 0,
    types: null,
    signal: stop.signal,
    write(line) {
      const r = JSON.parse(line);
      if (typeof r.id === "number") seen.push(r.id);
      else if (r.type !== "ready" && r.type !== "ping") other++;
      return Promise.resolve();
    },
  };
  const streaming = subscribe(sub, { dbFile });
  try {
    const writer = async (w: number) => {
      for (let i = 0; i < EACH; i++) {
        const out = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            "--quiet",
            MAIN,
            "notify",
            "-m",
            `writer ${w} event ${i} ${"x".repeat(w * 50)}`,
            "--session",
            `w${w}`,
            "--window",
            String(i),
          ],
          env: { HANDOFF_HOME: home },
          stdin: "null",
        }).output();
        assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));

    const all = eventsAfter(db, 0, 10_000);
    assert.equal(all.length, WRITERS * EACH);
    assert.deepEqual(all.map((e) => e.id), Array.from({ length: WRITERS * EACH }, (_, i) => i + 1));
    const byWriter = new Map<number, number[]>();
    for (const e of all) {
      // Whole records: every field of one notify, nothing of another.
      const m = e.message.match(/^writer (\d+) event (\d+) (x*)$/);
      assert.ok(m, e.message);
      const [w, i] = [Number(m[1]), Number(m[2])];
      assert.equal(m[3].length, w * 50);
      assert.equal(e.tmux_session, `w${w}`);
      assert.equal(e.tmux_window, i);
      assert.equal(e.tab, `w${w}:${i}`);
      byWriter.set(w, [...byWriter.get(w) ?? [], i]);
    }
    for (const [w, order] of byWriter) {
      assert.deepEqual(order, [...Array(EACH).keys()], `writer ${w} in its own order`);
    }

    // The live stream got them all, once each, in order.
    const deadline = Date.now() + 5000;
    while (seen.length < WRITERS * EACH && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(seen, all.map((e) => e.id));
    assert.equal(other, 0, "no gap records");
  } finally {
    stop.abort();
    await streaming;
    db.close();
    await Deno.remove(home, { recursive: true });
  }
});

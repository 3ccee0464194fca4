/**
 * `subscribe` through the real parts: a paired device's key, a real sshd with handoff's
 * forced command, the gate, and `handoff notify` processes as writers. The device receives
 * only what its patterns allow, in order, with `gap` and `ready` as in seed §11.2, and an
 * event for the tab it is attached to is marked `suppress`.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { sshArgs } from "./helpers/sshd.ts";
import { processesWith } from "./helpers/handoff.ts";
import { delay, openStream, pairPhone, startPhoneWorld, type Stream } from "./helpers/phone.ts";
import { startTmux } from "./helpers/tmux.ts";

Deno.test("subscribe over sshd: patterns, order, gap, ready, live events, suppression, quiet exit", async () => {
  const w = await startPhoneWorld();
  const outer = await startTmux();
  // Closed whatever happens: a live ssh client keeps sshd (and so w.close()) waiting.
  const streams: Stream[] = [];
  const open = (command: string, keyFile: string) => {
    const s = openStream(w, keyFile, command);
    streams.push(s);
    return s;
  };
  try {
    await w.desk.newSession("work-a", { cmd: ["/bin/sh", "-i"] });
    await w.desk.tmux("new-window", "-d", "-t", "=work-a:1", "/bin/sh", "-i");
    const { phone, fingerprint } = await pairPhone(w, "Pixel", ["--sessions", "work-*"]);

    // 30 events, of which the log keeps the newest 20 (ids 11–30).
    const notify = async (message: string, tab?: [string, number], type = "stop") => {
      const args = ["notify", "--type", type, "-m", message];
      if (tab) args.push("--session", tab[0], "--window", String(tab[1]));
      const r = await w.handoff(args, { env: { HANDOFF_EVENTS_MAX: "20" } });
      assert.equal(r.code, 0, r.stderr);
    };
    for (let i = 1; i <= 30; i++) {
      await notify(`e${i}`, i % 3 === 0 ? ["secret", 0] : i % 3 === 1 ? ["work-a", 0] : undefined);
    }

    const s = open("subscribe since=3", phone.keyFile);
    await s.until((r) => r.some((x) => x.type === "ready"));
    assert.deepEqual(s.records[0], { ...s.records[0], type: "gap", from: 4, to: 10 });
    const drained = s.records.slice(1, -1);
    // Only work-a's events: "secret" is outside the patterns, and events without a tab are
    // for `*` devices only.
    const expected = Array.from({ length: 20 }, (_, i) => i + 11).filter((i) => i % 3 === 1);
    assert.deepEqual(drained.map((r) => r.id), expected, "pattern-filtered, in id order");
    assert.ok(drained.every((r) => r.tmux_session === "work-a"));
    assert.deepEqual(s.records.at(-1), { ...s.records.at(-1), type: "ready", last_id: 30 });

    // A second, typed subscription from the same phone.
    const typed = open("subscribe since=30 types=notify", phone.keyFile);
    await typed.until((r) => r.some((x) => x.type === "ready"));

    // The phone attaches to work-a window 1 (a real `ssh -tt … attach` in a terminal).
    await outer.newSession("phone", {
      cmd: ["ssh", ...sshArgs(w.sshd, phone.keyFile, { tty: true }), "attach work-a 1"],
      width: 100,
      height: 30,
    });
    await outer.waitFor("=phone", (screen) => screen.includes("[work-a]"), 15_000);
    const attached = w.sql("SELECT session, window FROM attachments WHERE ended_at IS NULL");
    assert.deepEqual(attached, [{ session: "work-a", window: 1 }]);

    // Live: each event once, in order; other sessions' and untagged ones never; the viewed
    // tab suppressed.
    await notify("live hidden", ["secret", 1]);
    await notify("live viewed", ["work-a", 1]);
    await notify("live other", ["work-a", 0], "notify");
    await notify("live untagged");
    await notify("live last", ["work-a", 0]);
    await s.until((r) => r.some((x) => x.message === "live last"));
    const live = s.records.filter((r) => (r.id ?? 0) > 30);
    assert.deepEqual(live.map((r) => [r.id, r.message, r.suppress ?? false]), [
      [32, "live viewed", true],
      [33, "live other", false],
      [35, "live last", false],
    ]);
    await typed.until((r) => r.some((x) => x.message === "live other"));
    assert.deepEqual(typed.records.filter((r) => r.id).map((r) => r.id), [33]);

    // The client goes away: the gate notices at its next write and exits quietly.
    await outer.tmux("kill-session", "-t", "=phone");
    await s.close();
    await typed.close();
    await notify("after the phone left", ["work-a", 0], "notify");
    const deadline = Date.now() + 10_000;
    while (processesWith("gate", fingerprint) > 0 && Date.now() < deadline) await delay(50);
    assert.equal(processesWith("gate", fingerprint), 0, "no gate left streaming to nobody");
    const log = w.accessLog().map((l) => JSON.parse(l));
    assert.ok(
      log.some((e) => e.cmd === "subscribe since=3" && e.result === "ok:subscribe:since=3"),
    );
    assert.ok(!Deno.readTextFileSync(join(w.home, "access.log")).includes("Error"));
  } finally {
    await outer.close();
    for (const s of streams) await s.close();
    await w.close();
  }
});

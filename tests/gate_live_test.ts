// The gate as a hostile phone meets it, through the real parts (sshd on 127.0.0.1, tmux,
// the ssh client holding the device key): targets that tmux would resolve to another
// session, rights that change while a phone is attached or streaming, attaches without
// execve, session hooks that would switch the scope hook off, and resource caps.

import assert from "node:assert/strict";
import {
  delay,
  openStream,
  type Paired,
  pairPhone,
  type PhoneWorld,
  startPhoneWorld,
  type Stream,
} from "./helpers/phone.ts";
import { startTmux, type Tmux } from "./helpers/tmux.ts";
import { sshArgs } from "./helpers/sshd.ts";
import { join } from "node:path";
import { MAIN, processesWith } from "./helpers/handoff.ts";

interface Rig {
  w: PhoneWorld;
  /** Terminals: each session runs one ssh (or desk) client. */
  term: Tmux;
  streams: Stream[];
}

async function withRig(fn: (r: Rig) => Promise<void>): Promise<void> {
  const w = await startPhoneWorld();
  const term = await startTmux();
  const streams: Stream[] = [];
  try {
    await fn({ w, term, streams });
  } finally {
    for (const s of streams) await s.close();
    await term.close();
    await w.close();
  }
}

/** The phone's terminal: `ssh -tt … <command>` in a session of the terminal server. */
async function phoneTerminal(r: Rig, name: string, p: Paired, command: string): Promise<void> {
  await r.term.newSession(name, {
    cmd: p.phone.ttyArgv(command),
    width: 100,
    height: 30,
    remainOnExit: true,
  });
}

async function paneDead(t: Tmux, name: string): Promise<boolean> {
  const r = await t.tmux("display-message", "-p", "-t", `=${name}:`, "#{pane_dead}");
  return r.stdout.trim() === "1";
}

/** Polls until `pred` holds; returns how long it took. */
async function within(ms: number, what: string, pred: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  while (!(await pred())) {
    if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
    await delay(25);
  }
  return Date.now() - t0;
}

function audit(w: PhoneWorld): { cmd: string; result: string; name: string }[] {
  return w.accessLog().map((l) => JSON.parse(l));
}

const isoIn = (ms: number) => new Date(Date.now() + ms).toISOString().replace(/\.\d+Z$/, "Z");

Deno.test("exact targets: a `p*` device cannot reach the session a desk client on pts/N shows", async () => {
  await withRig(async (r) => {
    const { w, term } = r;
    await w.desk.newSession("secret", {
      cmd: ["/bin/sh", "-c", "echo TOPSECRET; exec sleep 600"],
      width: 80,
      height: 24,
    });
    await w.desk.tmux("new-window", "-d", "-t", "=secret:1", "sleep", "600");
    await w.desk.newSession("pmain", { cmd: ["/bin/sh", "-i"] });
    // The desk user, attached to `secret` from a real terminal (a pty).
    await term.newSession("desk", {
      cmd: ["env", "-u", "TMUX", w.desk.bin, "-S", w.desk.socket, "attach", "-t", "=secret"],
      width: 80,
      height: 24,
    });
    let client = "";
    await within(10_000, "desk client", async () => {
      client = (await w.desk.tmux("list-clients", "-F", "#{client_name}")).stdout.trim();
      return client !== "";
    });
    const tty = client.replace(/^\/dev\//, "");
    assert.match(tty, /^pts\/\d+$/);
    const before = await w.desk.tmux("list-windows", "-a", "-F", "#{session_name}:#{window_index}");

    const p = await pairPhone(w, "Pattern phone", ["--sessions", "p*"]);
    for (const cmd of ["windows", "create-window", "kill-session"]) {
      const res = await p.phone.exec(`${cmd} ${tty}`);
      assert.match(res.stdout, /^error:[a-z_]+\n$/, `${cmd} ${tty}`);
    }
    assert.match((await p.phone.exec(`kill-window ${tty} 1`)).stdout, /^error:[a-z_]+\n$/);
    await phoneTerminal(r, "phone", p, `attach ${tty} 0`);
    await term.waitPaneDead("=phone:");
    const screen = (await term.tmux("capture-pane", "-p", "-S", "-", "-t", "=phone:")).stdout;
    assert.match(screen, /^error:[a-z_]+$/m);
    assert.ok(!screen.includes("TOPSECRET"));
    // Nothing changed on the desk, and only the desk's own client is attached.
    const after = await w.desk.tmux("list-windows", "-a", "-F", "#{session_name}:#{window_index}");
    assert.equal(after.stdout, before.stdout);
    assert.equal((await w.desk.tmux("list-clients", "-F", "#{client_name}")).stdout.trim(), client);
    // The allowed session still works, by name, exactly.
    assert.match((await p.phone.exec("windows pmain")).stdout, /^0\|/);
  });
});

Deno.test("live rights: a change of read-only, a revocation or an expiry ends an open attach within 2 s", async () => {
  await withRig(async (r) => {
    const { w } = r;
    await w.desk.newSession("main", { cmd: ["/bin/sh", "-i"], width: 80, height: 24 });
    const p = await pairPhone(w, "Live phone", ["--sessions", "main"]);
    const figures: string[] = [];
    // Each change is made in the database directly, as any tool could: only the guard can
    // notice it. (The CLI's own edit and rm also detach at once.)
    const cases: [string, string, () => void][] = [
      [
        "read-only",
        "ended:rights_changed",
        () => w.sql("UPDATE devices SET read_only = 1 WHERE name = ?", p.name),
      ],
      [
        "patterns",
        "ended:rights_changed",
        () => w.sql("UPDATE devices SET sessions = ? WHERE name = ?", '["main","other"]', p.name),
      ],
      [
        "revoked",
        "ended:revoked",
        () => w.sql("UPDATE devices SET status = 'revoked' WHERE name = ?", p.name),
      ],
    ];
    for (const [label, result, change] of cases) {
      w.sql(
        "UPDATE devices SET status = 'active', read_only = 0, sessions = ? WHERE name = ?",
        '["main"]',
        p.name,
      );
      const session = `phone-${label}`;
      await phoneTerminal(r, session, p, "attach main 0");
      await r.term.waitFor(`=${session}`, (s) => s.includes("[main]"), 15_000);
      await r.term.sendKeys(`=${session}`, "echo still-typing", "Enter");
      await w.desk.waitFor("=main", (s) => s.includes("still-typing"));
      change();
      const ms = await within(2000, `${label}: detached`, () => paneDead(r.term, session));
      figures.push(`${label} ${ms} ms`);
      assert.equal((await w.desk.tmux("list-clients")).stdout, "");
      await within(
        2000,
        `audit ${result}`,
        () =>
          Promise.resolve(audit(w).some((e) => e.cmd === "attach main 0" && e.result === result)),
      );
      await within(
        5000,
        "guard gone",
        () => Promise.resolve(processesWith("attach-guard", w.home) === 0),
      );
    }
    // The soft expiry passing, with no write to wake anyone: the guard's own deadline.
    w.sql(
      "UPDATE devices SET status = 'active', read_only = 0, sessions = ? WHERE name = ?",
      '["main"]',
      p.name,
    );
    await phoneTerminal(r, "phone-expiry", p, "attach main 0");
    await r.term.waitFor("=phone-expiry", (s) => s.includes("[main]"), 15_000);
    const expiry = isoIn(2500);
    const expiresAt = Date.parse(expiry);
    w.sql("UPDATE devices SET soft_expiry = ? WHERE name = ?", expiry, p.name);
    await within(6000, "expiry: detached", () => paneDead(r.term, "phone-expiry"));
    figures.push(`expiry ${Date.now() - expiresAt} ms after the instant`);
    assert.ok(Date.now() - expiresAt < 2000 && Date.now() >= expiresAt, figures.join(", "));
    await within(
      2000,
      "audit ended:soft_expired",
      () => Promise.resolve(audit(w).some((e) => e.result === "ended:soft_expired")),
    );
    // A renewal moves the deadline: the attach stays past the old one.
    w.sql("UPDATE devices SET soft_expiry = ? WHERE name = ?", isoIn(3000), p.name);
    await phoneTerminal(r, "phone-renew", p, "attach main 0");
    await r.term.waitFor("=phone-renew", (s) => s.includes("[main]"), 15_000);
    const renew = await w.handoff(["devices", "renew", p.name, "--expires", "7d"]);
    assert.equal(renew.code, 0, renew.stderr);
    await delay(4000);
    assert.equal(await paneDead(r.term, "phone-renew"), false, "renewed: still attached");
    assert.equal((await w.desk.tmux("list-clients")).stdout.split("\n").length, 2);
    console.error(`  detach latency: ${figures.join(", ")}`);
  });
});

Deno.test("live rights: an open stream takes new patterns at the next event and ends on revocation or expiry", async () => {
  await withRig(async (r) => {
    const { w } = r;
    const p = await pairPhone(w, "Stream phone", ["--sessions", "main"]);
    const notify = async (message: string, session?: string) => {
      const args = ["notify", "-m", message];
      if (session) args.push("--session", session, "--window", "0");
      assert.equal((await w.handoff(args)).code, 0);
    };
    const s = openStream(w, p.phone.keyFile, "subscribe since=0");
    r.streams.push(s);
    await s.until((x) => x.some((e) => e.type === "ready"));
    await notify("m1", "main");
    await s.until((x) => x.some((e) => e.message === "m1"));
    const edit = await w.handoff(["devices", "edit", p.name, "--sessions", "other"]);
    assert.equal(edit.code, 0, edit.stderr);
    await notify("m2", "main");
    await notify("o1", "other");
    await s.until((x) => x.some((e) => e.message === "o1"));
    assert.ok(!s.records.some((e) => e.message === "m2"), "old patterns no longer apply");
    // Revoked (in the database, as any tool could): the stream ends within 2 s.
    w.sql("UPDATE devices SET status = 'revoked' WHERE name = ?", p.name);
    const t0 = Date.now();
    await Promise.race([s.status, delay(2000).then(() => Promise.reject(new Error("still open")))]);
    console.error(`  stream ended ${Date.now() - t0} ms after the revocation`);
    assert.ok(audit(w).some((e) => e.result === "ended:revoked"));

    // Expiry with nothing written: the stream ends at the instant.
    w.sql("UPDATE devices SET status = 'active' WHERE name = ?", p.name);
    const s2 = openStream(w, p.phone.keyFile, "subscribe since=0");
    r.streams.push(s2);
    await s2.until((x) => x.some((e) => e.type === "ready"));
    const expiry = isoIn(2500);
    const expiresAt = Date.parse(expiry);
    w.sql("UPDATE devices SET soft_expiry = ? WHERE name = ?", expiry, p.name);
    await Promise.race([
      s2.status,
      delay(5000).then(() => Promise.reject(new Error("still open"))),
    ]);
    assert.ok(Date.now() - expiresAt < 2000, `${Date.now() - expiresAt} ms after the expiry`);
    assert.ok(audit(w).some((e) => e.result === "ended:soft_expired"));
  });
});

Deno.test("revoke race: an attach racing a revocation never stays attached", async () => {
  await withRig(async (r) => {
    const { w } = r;
    await w.desk.newSession("main", { cmd: ["/bin/sh", "-i"], width: 80, height: 24 });
    const p = await pairPhone(w, "Racer", ["--sessions", "main"]);
    for (let i = 0; i < 6; i++) {
      w.sql("UPDATE devices SET status = 'active' WHERE name = ?", p.name);
      const session = `race-${i}`;
      await phoneTerminal(r, session, p, "attach main 0");
      await delay(i * 120); // before, during and after the gate's decision and exec
      w.sql("UPDATE devices SET status = 'revoked' WHERE name = ?", p.name);
      await within(
        4000,
        `race ${i}: no client`,
        async () =>
          (await paneDead(r.term, session)) && (await w.desk.tmux("list-clients")).stdout === "",
      );
    }
    await within(
      5000,
      "guards gone",
      () => Promise.resolve(processesWith("attach-guard", w.home) === 0),
    );
  });
});

Deno.test("read-only: its own session with no keys: the desk's window is untouched, no switch works, even past blocking desk hooks", async () => {
  await withRig(async (r) => {
    const { w, term } = r;
    await w.desk.newSession("main", { cmd: ["/bin/sh", "-i"], width: 80, height: 24 });
    await w.desk.tmux(
      "new-window",
      "-t",
      "=main:1",
      "/bin/sh",
      "-c",
      "echo WINDOW-ONE; exec sleep 600",
    );
    await w.desk.tmux("select-window", "-t", "=main:=1");
    await w.desk.newSession("production", {
      cmd: ["/bin/sh", "-c", "while :; do echo PRODSECRET-$((40+2)); sleep 0.1; done"],
      width: 80,
      height: 24,
    });
    // A desk hook that blocks (it would delay any switch-back) and a session's own array.
    await w.desk.tmux("set-hook", "-g", "client-session-changed[0]", "run-shell 'sleep 0.3'");
    await w.desk.tmux(
      "set-hook",
      "-t",
      "=production:",
      "client-session-changed[1]",
      "display-message hi",
    );
    const p = await pairPhone(w, "Watcher", ["--sessions", "main", "--read-only"]);
    await phoneTerminal(r, "phone", p, "attach main 0");
    await term.waitFor("=phone", (s) => s.includes("[main]"), 15_000);
    // The phone sees window 0 as it asked; the desk's session still shows window 1.
    const current = await w.desk.tmux("display-message", "-p", "-t", "=main:", "#{window_index}");
    assert.equal(current.stdout.trim(), "1", "the desk's window is unchanged");
    const clients = await w.desk.tmux(
      "list-clients",
      "-F",
      "#{client_readonly} #{session_group} #{window_index}",
    );
    assert.equal(clients.stdout, "1 main 0\n");
    // Record every byte the phone receives while it tries every way out.
    const stream = `${w.dir}/ro-terminal.raw`;
    await term.tmux("pipe-pane", "-t", "=phone:", `cat >> '${stream}'`);
    for (const keys of [[")"], ["("], ["L"], ["s"], ["w"], ["D"], [":"], ["n"], ["1"]]) {
      await term.sendKeys("=phone", "C-b", ...keys);
      await delay(250);
    }
    await term.sendKeys("=phone", "echo typed-by-phone", "Enter");
    await delay(800);
    await term.tmux("pipe-pane", "-t", "=phone:");
    assert.ok(!Deno.readTextFileSync(stream).includes("PRODSECRET"), "another session was drawn");
    assert.equal(
      (await w.desk.tmux("list-clients", "-F", "#{session_group} #{window_index}")).stdout,
      "main 0\n",
      "still watching main, window 0",
    );
    assert.ok(!(await w.desk.capture("=main:0")).includes("typed-by-phone"));
    // Not in listings; gone with the phone.
    assert.equal(
      (await p.phone.exec("list")).stdout,
      "#permissions:read_only=true,sessions=main\nmain:2\n",
    );
    await w.handoff(["devices", "rm", p.name]);
    await term.waitPaneDead("=phone:");
    await within(
      5000,
      "own session gone",
      async () =>
        !(await w.desk.tmux("list-sessions", "-F", "#{session_name}")).stdout.includes(
          "!handoff-ro",
        ),
    );
  });
});

Deno.test("read/write scoped: the scope hook goes into a session's own hook array too, and comes out again", async () => {
  await withRig(async (r) => {
    const { w, term } = r;
    await w.desk.newSession("main", { cmd: ["/bin/sh", "-i"], width: 80, height: 24 });
    await w.desk.newSession("production", {
      cmd: ["/bin/sh", "-c", "echo PRODSECRET-$((40+2)); exec sleep 600"],
      width: 80,
      height: 24,
    });
    // A session-local array of the scope hook's name: tmux then ignores the global one
    // for clients entering that session.
    const local = await w.desk.tmux(
      "set-hook",
      "-t",
      "=production:",
      "client-session-changed[0]",
      "display-message hi",
    );
    assert.equal(local.code, 0, local.stderr);
    const p = await pairPhone(w, "Scoped RW", ["--sessions", "main"]);
    await phoneTerminal(r, "phone", p, "attach main 0");
    await term.waitFor("=phone", (s) => s.includes("[main]"), 15_000);
    const hooks = await w.desk.tmux("show-hooks", "-t", "=production:");
    assert.match(hooks.stdout, /client-session-changed\[4\d{4}\]/, "scope hook in the local array");
    // prefix + ) is switch-client -n: the next session is production.
    for (const keys of [[")"], ["("], [")"], ["L"]]) {
      await term.sendKeys("=phone", "C-b", ...keys);
      await delay(300);
    }
    assert.equal((await w.desk.tmux("list-clients", "-F", "#{session_name}")).stdout, "main\n");
    const seen = (await term.tmux("capture-pane", "-p", "-S", "-", "-t", "=phone:")).stdout;
    assert.ok(!seen.includes("PRODSECRET-42"), seen);
    // Detached: its hooks are gone from both arrays.
    await w.handoff(["devices", "rm", p.name]);
    await term.waitPaneDead("=phone:");
    await within(5000, "hooks removed", async () => {
      const g = await w.desk.tmux("show-hooks", "-g");
      const l = await w.desk.tmux("show-hooks", "-t", "=production:");
      return !/\[4\d{4}\]/.test(g.stdout + l.stdout);
    });
    assert.match((await w.desk.tmux("show-hooks", "-t", "=production:")).stdout, /\[0\]/);
  });
});

Deno.test("the guard fails closed: a change it sees hangs the phone up even while the database stays locked", async () => {
  await withRig(async (r) => {
    const { w } = r;
    await w.desk.newSession("main", { cmd: ["/bin/sh", "-i"], width: 80, height: 24 });
    const p = await pairPhone(w, "Locked out", ["--sessions", "main", "--read-only"]);
    await phoneTerminal(r, "phone", p, "attach main 0");
    await r.term.waitFor("=phone", (s) => s.includes("[main]"), 15_000);
    const { DatabaseSync } = await import("node:sqlite");
    const db = new DatabaseSync(join(w.home, "handoff.db"), { timeout: 5000 });
    try {
      db.exec("UPDATE devices SET read_only = 0");
      db.exec("BEGIN IMMEDIATE"); // and hold the write lock
      const ms = await within(
        3000,
        "hung up under a locked database",
        () => paneDead(r.term, "phone"),
      );
      console.error(`  hung up ${ms} ms after the change, the database still locked`);
    } finally {
      db.exec("ROLLBACK");
      db.close();
    }
  });
});

Deno.test("without execve: scoped and read-only devices are refused; a `*` device attaches and is still guarded", async () => {
  await withRig(async (r) => {
    const { w, term } = r;
    await w.desk.newSession("main", { cmd: ["/bin/sh", "-i"], width: 80, height: 24 });
    const scoped = await pairPhone(w, "Scoped", ["--sessions", "main"]);
    const ro = await pairPhone(w, "RO star", ["--read-only"]);
    const star = await pairPhone(w, "Star", []);
    // FFI denied: the gate cannot execve, as on musl or an unknown libc.
    const gateNoFfi = (fp: string) => [
      Deno.execPath(),
      "run",
      "-A",
      "--deny-ffi",
      "--quiet",
      MAIN,
      "--home",
      w.home,
      "gate",
      fp,
    ];
    for (const d of [scoped, ro]) {
      const out = await new Deno.Command(gateNoFfi(d.fingerprint)[0], {
        args: gateNoFfi(d.fingerprint).slice(1),
        env: { ...w.env, SSH_ORIGINAL_COMMAND: "attach main 0" },
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(new TextDecoder().decode(out.stdout), "error:unsupported\n", d.name);
    }
    assert.ok(audit(w).filter((e) => e.result === "denied:unsupported").length === 2);
    // The `*` read/write device: tmux runs as the gate's child, on the gate's terminal.
    const envArgs = Object.entries({ ...w.env, SSH_ORIGINAL_COMMAND: "attach main 0" })
      .map(([k, v]) => `${k}=${v}`);
    await term.newSession("nofi", {
      cmd: ["env", "-i", ...envArgs, ...gateNoFfi(star.fingerprint)],
      width: 100,
      height: 30,
      remainOnExit: true,
    });
    await term.waitFor("=nofi", (s) => s.includes("[main]"), 20_000);
    const [row] = w.sql(
      "SELECT pid FROM attachments WHERE ended_at IS NULL",
    ) as { pid: number }[];
    assert.match(Deno.readLinkSync(`/proc/${row.pid}/exe`), /tmux$/, "the child is recorded");
    w.sql("UPDATE devices SET status = 'revoked' WHERE name = ?", star.name);
    await within(
      3000,
      "child detached",
      async () => (await w.desk.tmux("list-clients")).stdout === "",
    );
  });
});

Deno.test("caps: a device's fifth stream, or an attach over its limit, ends its oldest one (even a stalled one)", async () => {
  await withRig(async (r) => {
    const { w } = r;
    await w.desk.newSession("main", { cmd: ["/bin/sh", "-i"], width: 80, height: 24 });
    const p = await pairPhone(w, "Greedy", ["--sessions", "main"]);
    const streams: Stream[] = [];
    for (let i = 0; i < 4; i++) {
      const s = openStream(w, p.phone.keyFile, "subscribe since=0");
      r.streams.push(s);
      streams.push(s);
      await s.until((x) => x.some((e) => e.type === "ready"));
    }
    // Phones that vanished without a word (their clients stopped): nothing tells them apart.
    for (const s of streams) s.stop();
    const fifth = openStream(w, p.phone.keyFile, "subscribe since=0");
    r.streams.push(fifth);
    await fifth.until((x) => x.some((e) => e.type === "ready"));
    const open = () => w.sql("SELECT id FROM streams WHERE ended_at IS NULL").length;
    await within(5000, "the oldest stream ended", () => Promise.resolve(open() === 4));
    assert.ok(audit(w).some((e) => e.cmd === "subscribe" && e.result === "ended:replaced"));
    for (const s of streams) s.resume();

    w.sql("INSERT INTO settings (key, value) VALUES ('gate.max_attaches', '1')");
    await phoneTerminal(r, "t1", p, "attach main 0");
    await r.term.waitFor("=t1", (s) => s.includes("[main]"), 15_000);
    await phoneTerminal(r, "t2", p, "attach main 0");
    await r.term.waitFor("=t2", (s) => s.includes("[main]"), 15_000);
    await r.term.waitPaneDead("=t1:");
    assert.ok(audit(w).some((e) => e.cmd === "attach main 0" && e.result === "ended:replaced"));
    assert.equal((await w.desk.tmux("list-clients")).stdout.trim().split("\n").length, 1);
  });
});

Deno.test("a flood of calls is cut off, with one log line per window; a command that is not UTF-8 gets one error line", async () => {
  const w = await startPhoneWorld();
  try {
    const p = await pairPhone(w, "Flooder", ["--sessions", "*"]);
    w.sql("INSERT INTO settings (key, value) VALUES ('gate.max_calls_per_10s', '5')");
    const before = w.accessLog().length;
    // At once, so a slow machine cannot spread them over two 10 s windows.
    const results = (await Promise.all(
      Array.from({ length: 9 }, () => w.gate(p.fingerprint, "list")),
    )).map((r) => r.stdout);
    // The window may still roll over between calls: count refusals, not positions.
    const refused = results.filter((x) => x === "error:too_many\n").length;
    assert.ok(refused >= 3, results.join(""));
    const lines = w.accessLog().slice(before).map((l) => JSON.parse(l));
    const limited = lines.filter((l) => l.result === "denied:rate_limited");
    assert.ok(limited.length >= 1 && limited.length < refused, "one line per window, not per call");
    w.sql("UPDATE settings SET value = '1000' WHERE key = 'gate.max_calls_per_10s'");
    // Through sshd: the bytes \xff reach the gate as SSH_ORIGINAL_COMMAND.
    const ssh = await new Deno.Command("sh", {
      args: [
        "-c",
        `exec ssh ${
          sshArgs(w.sshd, p.phone.keyFile).map((a) => `'${a}'`).join(" ")
        } "$(printf 'list\\377')"`,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(new TextDecoder().decode(ssh.stdout), "error:unknown_command\n");
    assert.doesNotMatch(new TextDecoder().decode(ssh.stderr), /at |InvalidData|\.ts/);
    const last = JSON.parse(w.accessLog().at(-1)!);
    assert.equal(last.result, "denied:unknown_command");
    assert.equal(last.cmd, "list\uFFFD");
  } finally {
    await w.close();
  }
});

Deno.test("a stream whose reader stops reading ends after the write timeout, and at once on revocation", async () => {
  const w = await startPhoneWorld();
  try {
    const p = await pairPhone(w, "Stalled", ["--sessions", "*"]);
    // Enough events to fill any pipe: 400 × 2 KB.
    const msg = "x".repeat(2048);
    w.sql(
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400) " +
        "INSERT INTO events (ts, type, message) SELECT '2026-12-01T00:00:00Z', 'custom', ? FROM n",
      msg,
    );
    const stalled = (timeoutMs: number) => {
      w.sql(
        "INSERT INTO settings (key, value) VALUES ('gate.stream_write_timeout_ms', ?) " +
          "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        String(timeoutMs),
      );
      // stdout piped and never read: the gate blocks on its first big write.
      return new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", MAIN, "gate", p.fingerprint],
        env: { ...w.env, SSH_ORIGINAL_COMMAND: "subscribe since=0" },
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "null",
      }).spawn();
    };
    const a = stalled(1500);
    const t0 = Date.now();
    const status = await Promise.race([a.status, delay(8000).then(() => null)]);
    assert.ok(status, "the stalled stream was not ended");
    console.error(`  stalled stream ended after ${Date.now() - t0} ms (timeout 1500 ms)`);
    assert.ok(w.accessLog().some((l) => l.includes('"ended:write_timeout"')));
    await a.stdout.cancel();

    const b = stalled(600_000);
    await delay(1500); // blocked in a write by now
    w.sql("UPDATE devices SET status = 'revoked' WHERE name = ?", p.name);
    const t1 = Date.now();
    const revoked = await Promise.race([b.status, delay(4000).then(() => null)]);
    if (!revoked) b.kill("SIGKILL");
    assert.ok(revoked, "a blocked stream outlived the revocation");
    console.error(`  blocked stream ended ${Date.now() - t1} ms after the revocation`);
    await b.stdout.cancel();
  } finally {
    await w.close();
  }
});

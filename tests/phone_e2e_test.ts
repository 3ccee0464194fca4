// End to end with the real parts: a real OpenSSH sshd on 127.0.0.1 (own config, port and
// authorized_keys), a real tmux server, the real `ssh` client holding the device key from
// the pairing payload, and `handoff` as a separate process. The phone behaves like the
// Android app (seed §4.4, §5).

import assert from "node:assert/strict";
import { delay, pairPhone, type PhoneWorld, withPhoneWorld } from "./helpers/phone.ts";
import { startTmux, type Tmux } from "./helpers/tmux.ts";

const hasLine = (text: string) => (screen: string) =>
  screen.split("\n").some((l) => l.trimEnd() === text);

/** The phone's terminal: an outer tmux pane running `ssh -tt … attach …`. */
async function withTerminal(fn: (outer: Tmux) => Promise<void>): Promise<void> {
  const outer = await startTmux();
  try {
    await fn(outer);
  } finally {
    await outer.close();
  }
}

function assertAuditLog(w: PhoneWorld): Record<string, unknown>[] {
  return w.accessLog().map((line) => {
    const o = JSON.parse(line); // throws on an invalid line
    assert.deepEqual(Object.keys(o), ["ts", "fp", "name", "cmd", "result"]);
    return o;
  });
}

Deno.test("phone e2e: Android flow — pending, pair, code, approve, list, windows, attach and type", async () => {
  await withPhoneWorld(async (w) => {
    await w.desk.newSession("main", { cmd: ["/bin/sh", "-i"], width: 80, height: 24, cwd: w.dir });
    await w.desk.newSession("work-api", { cmd: ["/bin/sh", "-i"] });
    await w.desk.newSession("private", { cmd: ["/bin/sh", "-i"] });

    const r = await w.handoff([
      "pair",
      "--no-wait",
      "--json",
      ...w.pairFlags,
      "--sessions",
      "main,work-*",
      "--expires",
      "7d",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const pending = JSON.parse(r.stdout);
    assert.equal(pending.status, "pending");
    assert.match(pending.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
    // The v2 payload of seed §4.2, keys in order, a real tmux path, a 12-hex nonce.
    assert.deepEqual(Object.keys(pending.payload), ["v", "i", "u", "k", "t", "n"]);
    assert.equal(pending.payload.v, 2);
    assert.equal(pending.payload.i, "127.0.0.1");
    assert.equal(pending.payload.u, w.sshd.user);
    assert.match(pending.payload.t, /^\/.*\/tmux$/);
    assert.match(pending.payload.n, /^[0-9a-f]{12}$/);
    // One forced-command line, the user's own key kept, nothing private on disk.
    const keys = Deno.readTextFileSync(w.authorizedKeys);
    assert.match(keys, /someone@laptop/);
    const line = keys.split("\n").find((l) => l.includes(pending.fingerprint))!;
    assert.match(
      line,
      /^restrict,pty,expiry-time="\d{12}Z",command="\/\S+ --home \S+ gate SHA256:\S+" ssh-ed25519 /,
    );
    const onDisk = [...Deno.readDirSync(w.home)].map((e) => e.name);
    assert.ok(!onDisk.some((n) => /key|\.png$/i.test(n)), onDisk.join(" "));

    const { phone, code } = await pairPhone(w, "Pixel 7", []); // a second device: flow check
    // The first device: list-first (pending), pair, wrong code refused, right code accepted.
    const { phoneFromPayload } = await import("./helpers/phone.ts");
    const first = await phoneFromPayload(w, pending.payload, "first");
    assert.equal((await first.exec("list")).stdout, "error:pending\n");
    const verify = await first.exec("pair Google Pixel 8");
    assert.match(verify.stdout, /^verify:\d{6}\n$/);
    const firstCode = verify.stdout.slice(7, 13);
    const wrong = String((Number(firstCode) + 1) % 1_000_000).padStart(6, "0");
    const refused = await w.handoff(["devices", "approve", "Google Pixel 8", "--code", wrong]);
    assert.equal(refused.code, 1);
    assert.equal((await first.exec("list")).stdout, "error:pending\n");
    const ok = await w.handoff(["devices", "approve", "Google Pixel 8", "--code", firstCode]);
    assert.equal(ok.code, 0, ok.stderr);
    // A device cannot rename itself once active (seed weakness 14).
    assert.equal((await first.exec("pair Evil")).stdout, "error:denied\n");

    const list = await first.exec("list");
    assert.equal(
      list.stdout,
      "#permissions:read_only=false,sessions=main;work-*\nmain:1\nwork-api:1\n",
    );
    const windows = await first.exec("windows main");
    assert.match(windows.stdout, /^0\|[^|\n]*\|sh\|\/\S+\n$/);
    assert.equal((await first.exec("windows private")).stdout, "error:denied\n");
    assert.equal(code.length, 6);
    assert.match((await phone.exec("list")).stdout, /^#permissions:read_only=false,sessions=\*\n/);

    // attach with a PTY: the tmux client gets the SSH terminal, typing runs in the session.
    await withTerminal(async (outer) => {
      await outer.newSession("phone", {
        cmd: first.ttyArgv("attach main 0"),
        width: 100,
        height: 30,
        remainOnExit: true,
      });
      await outer.waitFor("=phone", (s) => s.includes("[main]"), 15_000);
      const devices = JSON.parse((await w.handoff(["devices", "--json"])).stdout);
      const dev = devices.find((d: { name: string }) => d.name === "Google Pixel 8");
      assert.deepEqual(dev.attached, ["main:0"]);
      await outer.sendKeys("=phone", "echo typed-$((6*7))", "Enter");
      await w.desk.waitFor("=main", hasLine("typed-42"), 10_000);
      // The gate is not in the keystroke path: the client is tmux itself, on the SSH pty.
      const clients = await w.desk.tmux(
        "list-clients",
        "-F",
        "#{client_pid} #{client_tty} #{client_readonly}",
      );
      const [pid, tty, ro] = clients.stdout.trim().split(" ");
      assert.match(tty, /^\/dev\/pts\/\d+$/);
      assert.equal(ro, "0");
      const exe = Deno.readLinkSync(`/proc/${pid}/exe`);
      assert.match(exe, /tmux$/);
    });

    const audit = assertAuditLog(w);
    assert.ok(
      audit.some((e) =>
        e.cmd === "pair Google Pixel 8" && e.name === "Google Pixel 8" && e.result === "ok"
      ),
    );
    assert.ok(audit.some((e) => e.cmd === "attach main 0" && e.result === "ok"));
    assert.ok(
      audit.some((e) => e.cmd === "windows private" && e.result === "denied:session_not_allowed"),
    );
  });
});

Deno.test("phone e2e: read-only device cannot type, and switch-client cannot take it out of its patterns", async () => {
  await withPhoneWorld(async (w) => {
    await w.desk.newSession("main", { cmd: ["/bin/sh", "-i"], width: 80, height: 24 });
    await w.desk.newSession("production-secrets", {
      cmd: ["/bin/sh", "-c", "echo TOPSECRET-$((40+2)); exec sleep 600"],
      width: 80,
      height: 24,
    });
    const { phone } = await pairPhone(w, "Reader", ["--sessions", "main", "--read-only"]);
    assert.equal(
      (await phone.exec("list")).stdout,
      "#permissions:read_only=true,sessions=main\nmain:1\n",
    );
    for (
      const cmd of [
        "create-session x",
        "create-window main",
        "kill-session main",
        "kill-window main 0",
      ]
    ) {
      assert.equal((await phone.exec(cmd)).stdout, "error:read_only\n", cmd);
    }
    assert.equal((await phone.exec("windows production-secrets")).stdout, "error:denied\n");
    assert.equal((await phone.exec("attach production-secrets 0")).stdout, "error:denied\n");

    await withTerminal(async (outer) => {
      await outer.newSession("phone", {
        cmd: phone.ttyArgv("attach main 0"),
        width: 100,
        height: 30,
        remainOnExit: true,
      });
      await outer.waitFor("=phone", (s) => s.includes("[main]"), 15_000);
      // Read-only: a session of its own, in main's group (the same windows).
      const clients = await w.desk.tmux(
        "list-clients",
        "-F",
        "#{client_readonly} #{session_group}",
      );
      assert.equal(clients.stdout, "1 main\n");

      // Keys typed on the phone never reach the session.
      await outer.sendKeys("=phone", "echo typed-by-phone", "Enter");
      await delay(700);
      assert.ok(!(await w.desk.capture("=main")).includes("typed-by-phone"));

      // prefix + ) is switch-client -n, which a read-only client may run: the next session is
      // production-secrets. Record every byte the phone's terminal receives from now on, and
      // watch its screen too.
      const stream = `${w.dir}/phone-terminal.raw`;
      const piped = await outer.tmux("pipe-pane", "-t", "=phone:", `cat >> '${stream}'`);
      assert.equal(piped.code, 0, piped.stderr);
      let sawSecret = false;
      let watching = true;
      const watcher = (async () => {
        while (watching) {
          const s = await outer.tmux("capture-pane", "-p", "-t", "=phone:");
          if (s.stdout.includes("TOPSECRET")) sawSecret = true;
          await delay(5);
        }
      })();
      // ) and ( switch to the next/previous session, L to the last one; s (choose-tree) and
      // : (command prompt) are refused to read-only clients by tmux itself.
      for (
        const keys of [[")"], ["("], ["L"], ["s", "Down", "Enter"], [
          ":",
          "switch-client -n",
          "Enter",
        ], [")"]]
      ) {
        await outer.sendKeys("=phone", "C-b", ...keys);
        await delay(250);
      }
      watching = false;
      await watcher;
      assert.equal(sawSecret, false, "the phone was shown production-secrets");
      // Still where it attached: it has no key that switches.
      const after = await w.desk.tmux("list-clients", "-F", "#{session_group}");
      assert.equal(after.stdout, "main\n");
      const history = await outer.tmux("capture-pane", "-p", "-S", "-", "-t", "=phone:");
      assert.ok(!history.stdout.includes("TOPSECRET"), history.stdout);
      // The desk types in main: the phone's view follows (and the recording shows it).
      await w.desk.sendKeys("=main", "echo recorded-$((40+2))", "Enter");
      await outer.waitFor("=phone", (x) => x.includes("recorded-42"));
      await outer.tmux("pipe-pane", "-t", "=phone:");
      const raw = Deno.readTextFileSync(stream);
      assert.match(raw, /recorded-42/); // the stream was recorded…
      assert.ok(!raw.includes("TOPSECRET"), "the secret session was drawn on the phone"); // …and clean
    });
  });
});

Deno.test("phone e2e: a device allowed `prod` can neither see nor attach `production-secrets`", async () => {
  await withPhoneWorld(async (w) => {
    await w.desk.newSession("production-secrets", {
      cmd: ["/bin/sh", "-c", "echo TOPSECRET; exec sleep 600"],
    });
    const { phone } = await pairPhone(w, "Prod phone", ["--sessions", "prod"]);
    assert.equal((await phone.exec("list")).stdout, "#permissions:read_only=false,sessions=prod\n");
    assert.equal((await phone.exec("windows prod")).stdout, "");
    assert.equal((await phone.exec("kill-session prod")).stdout, "error:failed\n");
    assert.equal((await phone.exec("kill-window prod 0")).stdout, "error:failed\n");
    assert.equal((await phone.exec("create-window prod")).stdout, "error:failed\n");
    await withTerminal(async (outer) => {
      await outer.newSession("phone", {
        cmd: phone.ttyArgv("attach prod 0"),
        width: 100,
        height: 30,
        remainOnExit: true,
      });
      await outer.waitPaneDead("=phone:");
      const screen = (await outer.tmux("capture-pane", "-p", "-S", "-", "-t", "=phone:")).stdout;
      assert.match(screen, /^error:failed$/m);
      assert.ok(!screen.includes("TOPSECRET"));
    });
    const sessions = await w.desk.tmux("list-sessions", "-F", "#{session_name}:#{session_windows}");
    assert.equal(sessions.stdout, "production-secrets:1\n");
  });
});

Deno.test("phone e2e: soft expiry refuses everything but renew; renewal restores access", async () => {
  await withPhoneWorld(async (w) => {
    await w.desk.newSession("main", { cmd: ["/bin/sh", "-i"] });
    const { phone, name } = await pairPhone(w, "Old phone", ["--sessions", "*", "--expires", "7d"]);
    assert.match((await phone.exec("list")).stdout, /^#permissions:/);
    // The soft expiry passed an hour ago (UTC; the hard expiry in sshd is still ahead).
    const past = new Date(Date.now() - 3600_000).toISOString().replace(/\.\d+Z$/, "Z");
    w.sql("UPDATE devices SET soft_expiry = ? WHERE name = ?", past, name);
    assert.equal((await phone.exec("list")).stdout, "error:soft_expired\n");
    assert.equal((await phone.exec("attach main 0")).stdout, "error:soft_expired\n");
    assert.equal((await phone.exec("renew")).stdout, "requested\n");
    const listed = JSON.parse((await w.handoff(["devices", "--json"])).stdout);
    assert.equal(listed[0].status, "expired");
    assert.equal(listed[0].renewal_requested, true);
    const text = await w.handoff(["devices"]);
    assert.match(text.stdout, /↻ Old phone/);

    const renewed = await w.handoff(["devices", "renew", name, "--expires", "never"]);
    assert.equal(renewed.code, 0, renewed.stderr);
    assert.match(
      (await phone.exec("list")).stdout,
      /^#permissions:read_only=false,sessions=\*\nmain:1\n$/,
    );
    // "never" drops sshd's expiry-time too (the seed kept the old one).
    const line = Deno.readTextFileSync(w.authorizedKeys).split("\n").find((l) =>
      l.includes("gate")
    )!;
    assert.ok(!line.includes("expiry-time"), line);
    assert.equal(
      JSON.parse((await w.handoff(["devices", "--json"])).stdout)[0].renewal_requested,
      false,
    );
  });
});

Deno.test("phone e2e: a revoked key is refused by sshd; the gate answers not_found", async () => {
  await withPhoneWorld(async (w) => {
    await w.desk.newSession("main", { cmd: ["/bin/sh", "-i"] });
    const { phone, name, fingerprint } = await pairPhone(w, "Lost phone", ["--sessions", "main"]);
    const other = await pairPhone(w, "Kept phone", ["--sessions", "main"]);
    assert.match((await phone.exec("list")).stdout, /^#permissions:/);
    await withTerminal(async (outer) => {
      // Revocation also ends the device's live tmux client (the seed left it running).
      await outer.newSession("phone", {
        cmd: phone.ttyArgv("attach main 0"),
        width: 100,
        height: 30,
        remainOnExit: true,
      });
      await outer.waitFor("=phone", (s) => s.includes("[main]"), 15_000);
      const hooks = await w.desk.tmux("show-hooks", "-g");
      assert.match(hooks.stdout, /client-session-changed\[4\d{4}\]/);
      const rm = await w.handoff(["devices", "rm", name]);
      assert.equal(rm.code, 0, rm.stderr);
      // rm hangs the client up itself, unless the client's guard saw the revocation first.
      assert.match(rm.stderr, /revoked "Lost phone" \(key removed from authorized_keys/);
      await outer.waitPaneDead("=phone:");
      assert.equal((await w.desk.tmux("list-clients")).stdout, "");
      // Its scope hooks went with it.
      const after = await w.desk.tmux("show-hooks", "-g");
      assert.doesNotMatch(after.stdout, /client-session-changed\[4\d{4}\]/);
    });
    const refused = await phone.exec("list");
    assert.equal(refused.code, 255);
    assert.equal(refused.stdout, "");
    assert.match(refused.stderr, /Permission denied \(publickey\)/);
    // Only its line went: the user's key and the other device stay.
    const keys = Deno.readTextFileSync(w.authorizedKeys);
    assert.match(keys, /someone@laptop/);
    assert.ok(!keys.includes(fingerprint));
    assert.ok(keys.includes(other.fingerprint));
    assert.match((await other.phone.exec("list")).stdout, /^#permissions:/);
    // Were the key still in authorized_keys, the gate would refuse it, like an unknown key.
    const direct = await w.gate(fingerprint, "list");
    assert.equal(direct.stdout, "error:not_found\n");
    assert.equal(direct.code, 1);
    const log = assertAuditLog(w);
    assert.equal(log.at(-1)!.result, "denied:revoked");
    // The revoked device's history stays readable; `devices` no longer lists it.
    const history = await w.handoff(["devices", "log", name, "--json"]);
    assert.equal(history.code, 0, history.stderr);
    assert.ok(history.stdout.trim().split("\n").every((l) => JSON.parse(l).fp === fingerprint));
    const names = JSON.parse((await w.handoff(["devices", "--json"])).stdout).map((
      d: { name: string },
    ) => d.name);
    assert.deepEqual(names, ["Kept phone"]);
    assert.equal((await w.handoff(["devices", "rm", name])).code, 1);
  });
});

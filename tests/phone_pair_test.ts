// `handoff pair` as people run it: the QR on the terminal (decoded with zbarimg, as a phone
// camera would), the wait for the phone, the code, the answer; and every way out that is
// not a confirmation (reject, timeout, Ctrl-C, SIGTERM, SIGHUP) leaves nothing behind.

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  delay,
  type PairPayloadJson,
  phoneFromPayload,
  type PhoneWorld,
  scanQr,
  withPhoneWorld,
} from "./helpers/phone.ts";

/** A running `handoff pair`, its stderr collected as it comes. */
interface Pairing {
  child: Deno.ChildProcess;
  stderr(): string;
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  answer(line: string): Promise<void>;
  done: Promise<{ code: number; stdout: string }>;
}

function startPairing(w: PhoneWorld, flags: string[]): Pairing {
  const child = w.spawn(["pair", ...w.pairFlags, ...flags]);
  let text = "";
  const reading = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) text += chunk;
  })();
  const stdout = new Response(child.stdout).text();
  const writer = child.stdin.getWriter();
  const done = (async () => {
    const status = await child.status;
    await reading;
    await writer.close().catch(() => {});
    return { code: status.code, stdout: await stdout };
  })();
  return {
    child,
    stderr: () => text,
    async waitFor(re, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (true) {
        const m = re.exec(text);
        if (m) return m;
        if (Date.now() > deadline) {
          throw new Error(`pair: no ${re} within ${timeoutMs} ms; stderr:\n${text}`);
        }
        await delay(30);
      }
    },
    async answer(line) {
      await writer.write(new TextEncoder().encode(line + "\n"));
    },
    done,
  };
}

function gateLines(w: PhoneWorld): string[] {
  return Deno.readTextFileSync(w.authorizedKeys).split("\n").filter((l) => l.includes(" gate "));
}

async function devices(w: PhoneWorld): Promise<{ name: string; status: string }[]> {
  const r = await w.handoff(["devices", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** The pending device, once its key line is in place, and the payload scanned off the terminal. */
async function scanned(w: PhoneWorld, p: Pairing): Promise<PairPayloadJson> {
  await p.waitFor(/Waiting for the phone/);
  return JSON.parse(await scanQr(p.stderr(), w.dir));
}

Deno.test("pair: QR on the terminal scans, the phone pairs, the code matches, y confirms", async () => {
  await withPhoneWorld(async (w) => {
    await w.desk.newSession("main", { cmd: ["/bin/sh", "-i"] });
    const p = startPairing(w, ["--sessions", "main", "--expires", "1d", "--wait", "60"]);
    const payload = await scanned(w, p);
    assert.equal(payload.v, 2);
    assert.equal(payload.i, "127.0.0.1");
    const phone = await phoneFromPayload(w, payload, "interactive");
    assert.equal((await phone.exec("list")).stdout, "error:pending\n");
    const verify = await phone.exec("pair Google Pixel 7");
    const code = /^verify:(\d{6})\n$/.exec(verify.stdout)![1];
    const shown = await p.waitFor(/Verification code:\s+(\d{3}) (\d{3})/);
    assert.equal(shown[1] + shown[2], code);
    assert.match(p.stderr(), /asks to pair as Google Pixel 7/);
    assert.match(p.stderr(), /stops waiting about a minute/);
    await p.answer("y");
    const r = await p.done;
    assert.equal(r.code, 0, p.stderr());
    assert.match(p.stderr(), /"Google Pixel 7" paired/);
    assert.match(
      (await phone.exec("list")).stdout,
      /^#permissions:read_only=false,sessions=main\nmain:1\n$/,
    );
    const [line] = gateLines(w);
    assert.match(line, /expiry-time="\d{12}Z"/); // the real hard expiry now, not the pairing window
    assert.deepEqual((await devices(w)).map((d) => [d.name, d.status]), [[
      "Google Pixel 7",
      "active",
    ]]);
    // Nothing private was left on disk, no image anywhere.
    const files: string[] = [];
    for await (const e of Deno.readDir(w.home)) files.push(e.name);
    assert.ok(!files.some((f) => /key|\.png$/i.test(f)), files.join(" "));
  });
});

Deno.test("pair: rejecting the code removes the device and its key; sshd refuses it", async () => {
  await withPhoneWorld(async (w) => {
    const p = startPairing(w, ["--sessions", "*", "--expires", "7d", "--wait", "60"]);
    const phone = await phoneFromPayload(w, await scanned(w, p), "rejected");
    assert.match((await phone.exec("pair Intruder")).stdout, /^verify:\d{6}\n$/);
    await p.waitFor(/Verification code/);
    await p.answer("n");
    const r = await p.done;
    assert.equal(r.code, 1);
    assert.match(p.stderr(), /Pairing rejected/);
    assert.deepEqual(gateLines(w), []);
    assert.deepEqual(await devices(w), []);
    const refused = await phone.exec("list");
    assert.equal(refused.code, 255);
    assert.match(refused.stderr, /Permission denied/);
    assert.match(Deno.readTextFileSync(w.authorizedKeys), /someone@laptop/);
  });
});

Deno.test("pair: Ctrl-C, SIGTERM, SIGHUP and a timeout each remove everything", async () => {
  await withPhoneWorld(async (w) => {
    const runs = (["SIGINT", "SIGTERM", "SIGHUP"] as const).map(async (sig) => {
      const p = startPairing(w, ["--sessions", "main", "--expires", "never", "--wait", "60"]);
      await p.waitFor(/Waiting for the phone/);
      p.child.kill(sig);
      const r = await p.done;
      return { sig, code: r.code, stderr: p.stderr() };
    });
    const timedOut = (async () => {
      const p = startPairing(w, ["--sessions", "main", "--wait", "2"]);
      await p.waitFor(/Waiting for the phone/);
      assert.equal(gateLines(w).length >= 1, true);
      const started = Date.now();
      const r = await p.done;
      return { sig: "timeout", code: r.code, stderr: p.stderr(), ms: Date.now() - started };
    })();
    for (const r of await Promise.all(runs)) {
      assert.equal(r.code, 130, `${r.sig}: ${r.stderr}`);
      assert.match(r.stderr, /Cleaning up/, r.sig);
    }
    const t = await timedOut;
    assert.equal(t.code, 1, t.stderr);
    assert.match(t.stderr, /Pairing timed out/);
    assert.deepEqual(gateLines(w), []);
    assert.deepEqual(await devices(w), []);
    assert.match(Deno.readTextFileSync(w.authorizedKeys), /someone@laptop/);
  });
});

Deno.test("pair: the address comes from Tailscale (fake CLI), or --host; none is a clear error", async () => {
  await withPhoneWorld(async (w) => {
    const flags = [
      "--no-wait",
      "--json",
      "--authorized-keys",
      w.authorizedKeys,
      "--tmux-socket",
      w.desk.socket,
    ];
    const none = await w.handoff(["pair", ...flags]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /pass --host/);

    // Tailscale's network cannot run here: a fake CLI answers what the real one would.
    const bin = join(w.dir, "fakebin");
    await Deno.mkdir(bin);
    await Deno.writeTextFile(
      join(bin, "tailscale"),
      `#!/bin/sh
case "$1" in
  ip) echo 100.101.102.103 ;;
  status) echo '{"BackendState":"Running","Self":{"DNSName":"desk.tail1234.ts.net.","TailscaleIPs":["100.101.102.103","fd7a:115c:a1e0::1"]}}' ;;
  debug) echo '{"RunSSH":true}' ;;
esac
`,
      { mode: 0o755 },
    );
    const env = { PATH: `${bin}:${w.env.PATH}` };
    const r = await w.handoff(["pair", ...flags], { env });
    assert.equal(r.code, 0, r.stderr);
    const device = JSON.parse(r.stdout);
    assert.equal(device.payload.i, "100.101.102.103");
    assert.match(r.stderr, /desk\.tail1234\.ts\.net/);
    assert.match(r.stderr, /Tailscale SSH is on/);
    const line = gateLines(w).find((l) => l.includes(device.fingerprint))!;
    assert.match(line, /from="100\.64\.0\.0\/10,fd7a:115c:a1e0::\/48"/);

    const status = await w.handoff(["--json"], { env });
    assert.equal(status.code, 0, status.stderr);
    const s = JSON.parse(status.stdout);
    assert.equal(s.readiness.address, "100.101.102.103");
    assert.equal(s.readiness.dns_name, "desk.tail1234.ts.net");
    assert.ok(
      s.readiness.checks.some((c: { id: string; status: string }) =>
        c.id === "tailscale-ssh" && c.status === "fail"
      ),
    );
  });
});

Deno.test("pair: the phone's polling never loses an activation (transactions)", async () => {
  await withPhoneWorld(async (w) => {
    await w.desk.newSession("main", { cmd: ["/bin/sh", "-i"] });
    const r = await w.handoff([
      "pair",
      "--no-wait",
      "--json",
      ...w.pairFlags,
      "--sessions",
      "main",
    ]);
    const device = JSON.parse(r.stdout);
    const verify = await w.gate(device.fingerprint, "pair Poller");
    const code = verify.stdout.trim().slice("verify:".length);
    // Four phones' worth of `list` polls, back to back, while the approval lands.
    let polling = true;
    const replies: string[] = [];
    const pollers = Array.from({ length: 4 }, async () => {
      while (polling) replies.push((await w.gate(device.fingerprint, "list")).stdout);
    });
    await delay(300);
    const approve = await w.handoff(["devices", "approve", "Poller", "--code", code]);
    assert.equal(approve.code, 0, approve.stderr);
    await delay(500);
    polling = false;
    await Promise.all(pollers);
    assert.ok(replies.includes("error:pending\n"));
    assert.match(replies.at(-1)!, /^#permissions:/);
    // Once active, never pending again.
    const firstActive = replies.findIndex((x) => x.startsWith("#permissions:"));
    assert.ok(replies.slice(firstActive).every((x) => x.startsWith("#permissions:")));
    const listed = await devices(w);
    assert.deepEqual(listed.map((d) => [d.name, d.status]), [["Poller", "active"]]);
  });
});

Deno.test("setup and doctor: settings recorded, every check with a fix, JSON", async () => {
  await withPhoneWorld(async (w) => {
    const s = await w.handoff([
      "setup",
      "--json",
      "--tmux-socket",
      w.desk.socket,
      "--authorized-keys",
      w.authorizedKeys,
    ]);
    // Nothing answers on port 22 here (the tests' sshd has its own port): setup says so.
    const report = JSON.parse(s.stdout);
    assert.equal(s.code, report.ok ? 0 : 1);
    const ids = report.checks.map((c: { id: string }) => c.id);
    for (const id of ["tmux", "sshd", "sshd-running", "address", "shell", "command", "home"]) {
      assert.ok(ids.includes(id), `${id} in ${ids}`);
    }
    for (const c of report.checks) {
      if (c.status === "fail") assert.ok(c.fix, `${c.id} has a fix`);
    }
    assert.ok(report.checks.some((c: { detail: string }) => c.detail.includes(w.desk.socket)));
    assert.equal((Deno.statSync(w.home).mode ?? 0) & 0o777, 0o700);
    assert.equal((Deno.statSync(join(w.home, "access.log")).mode ?? 0) & 0o777, 0o600);
    const shim = join(w.home, "bin", "handoff");
    assert.equal((Deno.statSync(shim).mode ?? 0) & 0o777, 0o700);
    // The recorded authorized_keys file and tmux server are what pair uses by default.
    const paired = await w.handoff(["pair", "--no-wait", "--json", "--host", "127.0.0.1"]);
    assert.equal(paired.code, 0, paired.stderr);
    assert.equal(JSON.parse(paired.stdout).authorized_keys, w.authorizedKeys);
    assert.equal(gateLines(w).length, 1);
    const doctor = await w.handoff(["doctor", "--json"]);
    assert.deepEqual(
      JSON.parse(doctor.stdout).checks.map((c: { id: string }) => c.id),
      ids,
    );
    const text = await w.handoff(["doctor"]);
    assert.match(text.stdout, /fix: /);
  });
});

Deno.test("devices: edit keeps what is not changed; log shows forged lines and follows", async () => {
  await withPhoneWorld(async (w) => {
    await w.desk.newSession("main", { cmd: ["/bin/sh", "-i"] });
    await w.desk.newSession("work-1", { cmd: ["/bin/sh", "-i"] });
    const r = await w.handoff(["pair", "--no-wait", "--json", ...w.pairFlags, "--read-only"]);
    const { fingerprint } = JSON.parse(r.stdout);
    const code = (await w.gate(fingerprint, "pair Tablet")).stdout.trim().slice(7);
    assert.equal((await w.handoff(["devices", "approve", "Tablet", "--code", code])).code, 0);

    // --sessions alone keeps read-only (the seed's edit silently granted write access).
    const e1 = await w.handoff(["devices", "edit", "Tablet", "--sessions", "work-*"]);
    assert.equal(e1.code, 0, e1.stderr);
    assert.equal(
      (await w.gate(fingerprint, "list")).stdout,
      "#permissions:read_only=true,sessions=work-*\nwork-1:1\n",
    );
    const e2 = await w.handoff([
      "devices",
      "edit",
      "Tablet",
      "--read-write",
      "--name",
      "Big tablet",
    ]);
    assert.equal(e2.code, 0, e2.stderr);
    assert.match(
      (await w.gate(fingerprint, "list")).stdout,
      /^#permissions:read_only=false,sessions=work-\*\n/,
    );
    assert.equal((await w.handoff(["devices", "edit", "Big tablet"])).code, 2); // nothing to change
    assert.equal((await w.handoff(["devices", "edit", "Nobody", "--read-only"])).code, 1);

    // A line that is not JSON (as the seed's printf log could produce) is shown, not skipped.
    Deno.writeTextFileSync(join(w.home, "access.log"), '{"ts":"x","cmd":"list "}"\n', {
      append: true,
    });
    const log = await w.handoff(["devices", "log"]);
    assert.equal(log.code, 0, log.stderr);
    assert.match(log.stdout, /not valid JSON/);
    assert.match(log.stdout, /Big tablet\s+list\s+ok/);
    const json = (await w.handoff(["devices", "log", "--json"])).stdout.trim().split("\n").map((
      l,
    ) => JSON.parse(l));
    assert.equal(json.at(-1).invalid, true);

    const follow = w.spawn(["devices", "log", "Big tablet", "--follow", "--json"]);
    const seen: string[] = [];
    const reading = (async () => {
      for await (const chunk of follow.stdout.pipeThrough(new TextDecoderStream())) {
        seen.push(chunk);
      }
    })();
    await delay(800);
    await w.gate(fingerprint, "windows work-1");
    const deadline = Date.now() + 10_000;
    while (!seen.join("").includes('"cmd":"windows work-1"') && Date.now() < deadline) {
      await delay(50);
    }
    follow.kill("SIGTERM");
    await follow.status;
    await reading;
    await follow.stdin.close().catch(() => {});
    await follow.stderr.cancel();
    assert.match(seen.join(""), /"cmd":"windows work-1","result":"ok"/);
  });
});

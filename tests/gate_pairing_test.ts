// Pairing as an attacker who has seen the QR code would try it: a second phone answering
// from elsewhere, the QR left in a pane's scrollback, a paired phone watching the pane
// where `pair` runs. Real sshd and ssh (a second loopback source address plays the other
// phone), real tmux as the terminal `pair` draws on.

import assert from "node:assert/strict";
import {
  delay,
  type PairPayloadJson,
  pairPhone,
  phoneFromPayload,
  type PhoneWorld,
  scanQr,
  withPhoneWorld,
} from "./helpers/phone.ts";
import { sshExec } from "./helpers/sshd.ts";
import { startTmux, type Tmux } from "./helpers/tmux.ts";
import { MAIN } from "./helpers/handoff.ts";

function gateLines(w: PhoneWorld): string[] {
  return Deno.readTextFileSync(w.authorizedKeys).split("\n").filter((l) => l.includes(" gate "));
}

const QR_ROW = /[▀▄█]{10,}/;

Deno.test("pairing: requests from two addresses abort it; both phones are refused, nothing is paired", async () => {
  await withPhoneWorld(async (w) => {
    const r = await w.handoff(["pair", "--no-wait", "--json", ...w.pairFlags]);
    assert.equal(r.code, 0, r.stderr);
    const pending = JSON.parse(r.stdout);
    assert.equal(pending.pair_source, null);
    const thief = await phoneFromPayload(w, pending.payload, "thief");
    const owner = await phoneFromPayload(w, pending.payload, "owner");
    assert.equal((await thief.exec("list")).stdout, "error:pending\n");
    // The first request, and a retry from the same address, are fine.
    assert.match((await thief.exec("pair Thief Phone")).stdout, /^verify:\d{6}\n$/);
    assert.match((await thief.exec("pair Thief Phone")).stdout, /^verify:\d{6}\n$/);
    const listed = JSON.parse((await w.handoff(["devices", "--json"])).stdout);
    assert.equal(listed[0].pair_source, "127.0.0.1", "the pending device says where it was asked");
    // The owner's phone, elsewhere: the pairing is void for both.
    const second = await sshExec(w.sshd, owner.keyFile, "pair Pixel 7", { bind: "127.0.0.2" });
    assert.equal(second.stdout, "error:denied\n");
    assert.deepEqual(gateLines(w), [], "the key line is gone");
    for (const [phone, bind] of [[thief, undefined], [owner, "127.0.0.2"]] as const) {
      const again = await sshExec(w.sshd, phone.keyFile, "list", { bind });
      assert.equal(again.code, 255, "sshd refuses the key");
    }
    assert.equal((await w.gate(pending.fingerprint, "list")).stdout, "error:not_found\n");
    const all = JSON.parse((await w.handoff(["devices", "--json", "--all"])).stdout);
    assert.equal(all[0].status, "revoked");
    assert.match(all[0].revoked_reason, /^pair_conflict/);
    assert.ok(w.accessLog().some((l) => l.includes('"denied:pair_conflict"')));
    assert.equal(
      (await w.handoff(["devices", "approve", pending.name, "--code", "000000"])).code,
      1,
    );
  });
});

/** `handoff pair` on a real terminal: a session of `term` running it with the world's env. */
async function pairOnTerminal(
  w: PhoneWorld,
  term: Tmux,
  session: string,
  flags: string[],
): Promise<void> {
  const env = Object.entries(w.env).map(([k, v]) => `${k}=${v}`);
  await term.newSession(session, {
    // `env` keeps tmux's own TMUX and TMUX_PANE: pair knows it runs in this pane.
    cmd: [
      "env",
      ...env,
      Deno.execPath(),
      "run",
      "-A",
      "--quiet",
      MAIN,
      "pair",
      ...w.pairFlags,
      ...flags,
    ],
    width: 120,
    height: 60,
    remainOnExit: true,
  });
}

async function alternateOn(term: Tmux, session: string): Promise<boolean> {
  const r = await term.tmux("display-message", "-p", "-t", `=${session}:`, "#{alternate_on}");
  return r.stdout.trim() === "1";
}

async function everything(term: Tmux, session: string): Promise<string> {
  return (await term.tmux("capture-pane", "-p", "-S", "-", "-t", `=${session}:`)).stdout;
}

Deno.test("pairing on a terminal: the QR lives on the alternate screen and leaves no trace; watchers and soft patterns are named", async () => {
  await withPhoneWorld(async (w) => {
    const term = await startTmux();
    try {
      // A paired read-only phone allowed every session: it could watch the pane pair runs in.
      await pairPhone(w, "Watcher", ["--read-only"]);
      await pairOnTerminal(w, term, "pairing", [
        "--sessions",
        "main",
        "--read-write",
        "--expires",
        "1d",
        "--wait",
        "60",
      ]);
      const waiting = await term.waitFor(
        "=pairing",
        (s) => /Waiting for the phone/.test(s),
        20_000,
      );
      assert.ok(await alternateOn(term, "pairing"), "the QR is on the alternate screen");
      const payload: PairPayloadJson = JSON.parse(await scanQr(waiting, w.dir));
      const phone = await phoneFromPayload(w, payload, "pixel");
      assert.equal((await phone.exec("list")).stdout, "error:pending\n");
      const verify = await phone.exec("pair Pixel 7");
      const code = /^verify:(\d{6})\n$/.exec(verify.stdout)![1];
      const asking = await term.waitFor(
        "=pairing",
        (s) => s.includes("Does the phone show"),
        10_000,
      );
      assert.equal(await alternateOn(term, "pairing"), false);
      assert.match(asking, /The phone \("Pixel 7"\) at 127\.0\.0\.1 asks to pair/);
      assert.ok(asking.includes(`${code.slice(0, 3)} ${code.slice(3)}`));
      const all = await everything(term, "pairing");
      assert.doesNotMatch(all, QR_ROW, "no QR in the pane or its history");
      assert.match(all, /"Watcher" may open this tmux session \(pairing\)/);
      assert.match(all, /Read\/write: the session patterns limit what the gate lists/);
      await term.sendKeys("=pairing", "y", "Enter");
      await term.waitPaneDead("=pairing:");
      assert.match(await everything(term, "pairing"), /"Pixel 7" paired/);
      assert.match(
        (await phone.exec("list")).stdout,
        /^#permissions:read_only=false,sessions=main/,
      );

      // A window that keeps no alternate screen: the QR goes to the pane itself, so the
      // pane's history is cleared once the phone has scanned it.
      await term.tmux("set-option", "-g", "alternate-screen", "off");
      await pairOnTerminal(w, term, "plain", [
        "--sessions",
        "*",
        "--read-only",
        "--expires",
        "1d",
        "--wait",
        "60",
      ]);
      const plain = await term.waitFor("=plain", (s) => /Waiting for the phone/.test(s), 20_000);
      const second = await phoneFromPayload(w, JSON.parse(await scanQr(plain, w.dir)), "second");
      assert.match((await second.exec("pair Second")).stdout, /^verify:/);
      await term.waitFor("=plain", (s) => s.includes("Does the phone show"), 10_000);
      assert.doesNotMatch(await everything(term, "plain"), QR_ROW);
      await term.sendKeys("=plain", "n", "Enter");
      await term.waitPaneDead("=plain:");
      await delay(100);
      assert.match(await everything(term, "plain"), /Pairing rejected/);
    } finally {
      await term.close();
    }
  });
});

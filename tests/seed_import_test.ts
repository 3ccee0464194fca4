/**
 * A home made exactly as the original phone tool makes it (devices.json, its keys/ folder,
 * its authorized_keys lines with `command="<bin> gate <fp>",restrict,pty,expiry-time=…`, its
 * access.log) meets handoff: the first gate call from an old phone imports the devices,
 * and the phone gets the same answers through the real sshd, without pairing again.
 * Damaged and partial registries import what they can and say what they skipped.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseSeedRegistry } from "../plugins/gate/seed_devices.ts";
import { generateClientKey, shQuote, sshExec, writeScript } from "./helpers/sshd.ts";
import { MAIN } from "./helpers/handoff.ts";
import { startPhoneWorld } from "./helpers/phone.ts";
import { startTmux } from "./helpers/tmux.ts";

Deno.test("seed registry: partial and malformed entries are named and skipped", () => {
  const fp = (c: string) => `SHA256:${c.repeat(43)}`;
  const r = parseSeedRegistry(JSON.stringify({
    version: 1,
    devices: [
      {
        name: "Google Pixel 7",
        fingerprint: fp("a"),
        status: "active",
        sessions: ["main", "work-*"],
        read_only: false,
        nonce: "0a1b2c3d4e5f",
        created_at: "2026-05-01T10:00:00Z",
        soft_expiry: "",
        hard_expiry: "",
        renewal_requested: false,
        last_seen: null,
        last_command: null,
      },
      { name: "no key", status: "active" },
      { name: "odd", fingerprint: fp("b"), status: "frozen" },
      { name: "bad time", fingerprint: fp("c"), status: "active", soft_expiry: "tomorrow" },
      { name: "bad pattern", fingerprint: fp("d"), status: "active", sessions: ["a;b"] },
      { name: "twice", fingerprint: fp("a"), status: "active" },
      "not an object",
      { name: "expired", fingerprint: fp("e"), status: "soft_expired", sessions: [] },
    ],
  }));
  assert.deepEqual(r.devices.map((d) => [d.name, d.status, d.sessions]), [
    ["Google Pixel 7", "active", ["main", "work-*"]],
    ["expired", "active", []],
  ]);
  assert.deepEqual(r.devices[0].softExpiry, null);
  assert.deepEqual(r.skipped.map((s) => s.entry), [
    "no key",
    "odd",
    "bad time",
    "bad pattern",
    "twice",
    "#7",
  ]);
  assert.match(r.skipped[0].why, /fingerprint/);
  assert.throws(() => parseSeedRegistry("{ nope"), /not JSON/);
  assert.throws(() => parseSeedRegistry('{"version":1}'), /no "devices" list/);
});

/** `YYYYMMDD` a number of days from now (the original tool's expiry-time). */
function day(offsetDays: number): string {
  return new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10).replaceAll(
    "-",
    "",
  );
}

Deno.test("seed home: old phones keep working through the real sshd, without pairing again", async () => {
  const w = await startPhoneWorld();
  const outer = await startTmux();
  try {
    await w.desk.newSession("main", { cmd: ["/bin/sh", "-i"] });
    await w.desk.tmux("new-window", "-d", "-t", "=main:1", "/bin/sh", "-i");
    await w.desk.newSession("secret", { cmd: ["/bin/sh", "-i"] });
    // The handoff binary at the path the old tool wrote into every key line (its home is
    // the default ~/.handoff, which is this world's home).
    const bin = await writeScript(
      join(w.dir, "handoff"),
      `HANDOFF_HOME=${shQuote(w.home)} exec ${shQuote(Deno.execPath())} run -A --quiet ${
        shQuote(MAIN)
      } "$@"`,
    );
    await Deno.mkdir(join(w.home, "keys"), { recursive: true });
    const pixel = await generateClientKey(
      join(w.home, "keys"),
      "device_pending",
      "handoff:device_pending",
    );
    const tablet = await generateClientKey(
      join(w.home, "keys"),
      "device_pending_3fa1",
      "handoff:device_pending_3fa1",
    );
    const half = await generateClientKey(
      join(w.home, "keys"),
      "device_pending_9c2e",
      "handoff:device_pending_9c2e",
    );
    const nokey = await generateClientKey(w.dir, "nokey", "nokey");
    const gone = await generateClientKey(w.dir, "gone", "handoff:gone");
    const line = (k: { fingerprint: string; publicKey: string }, expiry: string | null) =>
      `command="${bin} gate ${k.fingerprint}",restrict,pty${
        expiry ? `,expiry-time="${expiry}"` : ""
      } ${k.publicKey}`;
    const userLines = await Deno.readTextFile(w.authorizedKeys);
    await Deno.writeTextFile(
      w.authorizedKeys,
      userLines +
        [
          line(pixel, null),
          // A line the user limited by hand: its from= must stay.
          line(tablet, day(9)).replace("command=", 'from="127.0.0.1,::1",command='),
          line(half, day(30)),
          line(gone, null),
        ].join("\n") + "\n",
      { mode: 0o600 },
    );
    const soft = new Date(Date.now() + 7 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const registry = {
      version: 1,
      devices: [
        {
          name: "Google Pixel 7",
          fingerprint: pixel.fingerprint,
          key_file: "device_pending",
          status: "active",
          sessions: ["main"],
          read_only: false,
          nonce: "0a1b2c3d4e5f",
          created_at: "2026-05-01T10:00:00Z",
          soft_expiry: "",
          hard_expiry: "",
          renewal_requested: false,
          last_seen: "2026-05-02T08:00:00Z",
          last_command: "list",
        },
        {
          name: "Tablet",
          fingerprint: tablet.fingerprint,
          key_file: "device_pending_3fa1",
          status: "active",
          sessions: ["*"],
          read_only: true,
          nonce: "ffeeddccbbaa",
          created_at: "2026-05-03T10:00:00Z",
          soft_expiry: soft,
          hard_expiry: new Date(Date.parse(soft) + 48 * 3600_000).toISOString().replace(
            /\.\d{3}Z$/,
            "Z",
          ),
          renewal_requested: true,
          last_seen: null,
          last_command: null,
        },
        {
          name: "pending",
          fingerprint: half.fingerprint,
          key_file: "device_pending_9c2e",
          status: "pending",
          sessions: ["*"],
          read_only: false,
          nonce: "112233445566",
          created_at: "2026-05-04T10:00:00Z",
          soft_expiry: "",
          hard_expiry: "",
          renewal_requested: false,
          last_seen: null,
          last_command: null,
        },
        { name: "Lost phone", fingerprint: nokey.fingerprint, status: "active", sessions: ["*"] },
        { name: "Old revoked", fingerprint: gone.fingerprint, status: "revoked", sessions: ["*"] },
        { name: "broken" },
      ],
    };
    const registryText = JSON.stringify(registry, null, 2) + "\n";
    await Deno.writeTextFile(join(w.home, "devices.json"), registryText);
    // Its audit log, with the line the old tool wrote unescaped (not JSON).
    const oldLog = [
      JSON.stringify({
        ts: "2026-05-02T08:00:00Z",
        fp: pixel.fingerprint,
        name: "Google Pixel 7",
        cmd: "list",
        result: "ok",
      }),
      `{"ts":"2026-05-02T08:00:01Z","fp":"${pixel.fingerprint}","name":"Google Pixel 7","cmd":"attach "main" 0","result":"ok"}`,
    ];
    await Deno.writeTextFile(join(w.home, "access.log"), oldLog.join("\n") + "\n");
    // This world's tmux server has a private socket: the gate must be told (a command that
    // touches no device creates the database for that).
    assert.equal((await w.handoff(["events"])).code, 0);
    w.sql("INSERT OR REPLACE INTO settings (key, value) VALUES ('tmux.socket', ?)", w.desk.socket);
    w.sql(
      "INSERT OR REPLACE INTO settings (key, value) VALUES ('sshd.authorized_keys', ?)",
      w.authorizedKeys,
    );

    // The phone's first call after the upgrade: the same answers as with the old tool.
    const list = await sshExec(w.sshd, pixel.keyFile, "list");
    assert.equal(list.stdout, "#permissions:read_only=false,sessions=main\nmain:2\n", list.stderr);
    const windows = await sshExec(w.sshd, pixel.keyFile, "windows main");
    assert.equal(windows.stdout.trim().split("\n").length, 2, windows.stdout);
    assert.equal((await sshExec(w.sshd, pixel.keyFile, "windows secret")).stdout, "error:denied\n");
    const ro = await sshExec(w.sshd, tablet.keyFile, "list");
    assert.match(ro.stdout, /^#permissions:read_only=true,sessions=\*\nmain:2\nsecret:1\n$/);
    assert.equal(
      (await sshExec(w.sshd, tablet.keyFile, "create-session x")).stdout,
      "error:read_only\n",
    );

    // Its key lines now carry handoff's forced command; the key and the user's line stay.
    const keys = await Deno.readTextFile(w.authorizedKeys);
    assert.ok(keys.startsWith(userLines), "the user's own lines are untouched");
    const mine = keys.split("\n").filter((l) => l.includes(pixel.publicKey.split(" ")[1]));
    assert.equal(mine.length, 1);
    assert.match(mine[0], /^restrict,pty,command=".* --home .* gate SHA256:/);
    assert.ok(mine[0].endsWith(pixel.publicKey));
    const tabletLine = keys.split("\n").find((l) => l.includes(tablet.publicKey.split(" ")[1]))!;
    assert.match(tabletLine, /expiry-time="\d{8}/);
    assert.match(tabletLine, /from="127\.0\.0\.1,::1"/, "the line's own limit is kept");
    assert.ok(!keys.includes(gone.publicKey.split(" ")[1]), "a revoked device's line goes");
    assert.equal((await Deno.stat(w.authorizedKeys)).mode! & 0o777, 0o600);
    // The pairing the old tool never finished: its key can no longer log in.
    assert.ok(!keys.includes(half.publicKey.split(" ")[1]));
    assert.notEqual((await sshExec(w.sshd, half.keyFile, "list")).stdout, "error:pending\n");

    // Attach works as before (a real terminal in an outer tmux).
    await outer.newSession("phone", {
      cmd: [
        "ssh",
        ...(await import("./helpers/sshd.ts")).sshArgs(w.sshd, pixel.keyFile, { tty: true }),
        "attach main 1",
      ],
      width: 100,
      height: 30,
    });
    await outer.waitFor("=phone", (s) => s.includes("[main]"), 15_000);

    // The desk: the devices with their rights and history, what was skipped, the old keys.
    const devices = await w.handoff(["devices", "--json"]);
    const byName = Object.fromEntries(
      JSON.parse(devices.stdout).map((d: { name: string }) => [d.name, d]),
    );
    assert.deepEqual(Object.keys(byName).sort(), ["Google Pixel 7", "Tablet"]);
    assert.equal(byName["Tablet"].read_only, true);
    assert.equal(byName["Tablet"].renewal_requested, true);
    assert.match(devices.stderr, /private key file\(s\) on disk/);
    assert.match(devices.stderr, /rm -f .*keys\/device_pending' /);
    const again = await w.handoff(["devices"]);
    assert.doesNotMatch(again.stderr, /private key/, "said once");
    const dry = await w.handoff(["devices", "import-seed", "--dry-run", "--json"]);
    assert.equal(dry.code, 0, dry.stderr);
    const report = JSON.parse(dry.stdout);
    assert.deepEqual(report.imported, []);
    assert.deepEqual(report.skipped.map((s: { entry: string }) => s.entry).sort(), [
      "Google Pixel 7",
      "Lost phone",
      "Old revoked",
      "Tablet",
      "broken",
      "pending",
    ]);
    assert.match(dry.stderr, /"Lost phone": no key line for it/);
    assert.equal(
      await Deno.readTextFile(join(w.home, "devices.json")),
      registryText,
      "kept as it was",
    );

    // The old audit lines stay readable, the unescaped one shown as it is.
    const log = await w.handoff(["logs", "-n", "100"]);
    assert.equal(log.code, 0, log.stderr);
    assert.match(log.stdout, /2026-05-02 08:00:00 +Google Pixel 7 +list +ok/);
    assert.match(log.stdout, /line 2: not valid JSON: \{"ts":"2026-05-02T08:00:01Z"/);
    assert.match(log.stdout, /Google Pixel 7 +windows secret +denied:session_not_allowed/);
  } finally {
    await outer.close();
    await w.close();
  }
});

// Unit tests for the phone half's pure parts (and the small file edits), plus one check
// that the tmux-side scope condition means what our glob means, run by a real tmux.

import assert from "node:assert/strict";
import { join } from "node:path";
import { globMatch, sessionAllowed } from "../plugins/gate/glob.ts";
import {
  idTarget,
  parseSessions,
  parseStatusWindows,
  sessionIdOf,
  windowsReply,
} from "../plugins/tmux/format.ts";
import {
  allowedFormat,
  localHookProbeArgs,
  parseLocalHookProbe,
  scopeHookArgs,
  scopeHookCommands,
  scopeHookNames,
  tmuxSafePattern,
} from "../plugins/tmux/scope.ts";
import { filterLog, parseLog } from "../plugins/phone/log_view.ts";
import { parseIpv4, parseRunSsh, parseStatus } from "../plugins/tailscale/tailscale.ts";
import { codeMatches } from "../plugins/phone/devices_approve.ts";
import { shimScript } from "../core/self.ts";
import { uniqueName } from "../plugins/gate/devices_db.ts";
import { addKeyLine, removeKeyLines, replaceKeyLine } from "../plugins/sshd/keys_file.ts";
import { parseOpenSshVersion, supportsUtcExpiry } from "../plugins/sshd/sshd.ts";
import { startTmux } from "./helpers/tmux.ts";
import {
  checkTmuxReadOnly,
  checkTmuxSocketDir,
  parseTmuxVersion,
} from "../plugins/phone/checks_hardening.ts";
import { acceptEnvOf, wideAcceptEnv } from "../plugins/sshd/checks.ts";
import { openDb, setSetting } from "../core/store.ts";
import { SETTING } from "../plugins/gate/settings.ts";
import { unknownDeviceLogLine } from "../plugins/gate/audit.ts";
import { decide } from "../plugins/gate/policy.ts";
import type { Device } from "../plugins/gate/device.ts";

Deno.test("windowsReply: the phones' 4-field format; `|` in free text cannot shift fields", () => {
  const tmuxOut = "main\t0\tvm\tbash\t/home/u/src\n" +
    "main\t1\tbuild | test\tmake|x\t/home/u/a|b\n" +
    "garbage line\n" +
    "main-2\t5\tother\tsh\t/\n" +
    "mai\t6\tother\tsh\t/\n" +
    "main\t2\t\tvim\t/\n";
  assert.equal(
    windowsReply(tmuxOut, "main"),
    "0|vm|bash|/home/u/src\n1|build ¦ test|make¦x|/home/u/a|b\n2||vim|/\n",
  );
  assert.equal(windowsReply(tmuxOut, "ma"), "");
  assert.equal(windowsReply("", "main"), "");
});

Deno.test("sessionIdOf / idTarget: exact names only, ids as targets", () => {
  const text = "$0\tsecret\n$1\tpts/2\n$2\tmain\n$3\tmain \nnot a line\n";
  assert.equal(sessionIdOf(text, "main"), "$2");
  assert.equal(sessionIdOf(text, "mai"), null);
  assert.equal(sessionIdOf(text, "main "), "$3");
  assert.equal(sessionIdOf(text, "secret"), "$0");
  assert.equal(sessionIdOf(text, ""), null);
  assert.equal(idTarget("$2"), "$2:");
  assert.equal(idTarget("$2", 0), "$2:=0");
  assert.throws(() => idTarget("=main"));
  assert.throws(() => idTarget("pts/2"));
});

Deno.test("parseSessions / parseStatusWindows: names may hold spaces and colons", () => {
  assert.deepEqual(parseSessions("2 main\n1 my work: api\n\nbad\n"), [
    { name: "main", windows: 2 },
    { name: "my work: api", windows: 1 },
  ]);
  const status = parseStatusWindows(
    "0\t1\tbash\t/home/u\t1\tmain\n1\t0\tvim\t/tmp\t1\tmain\n0\t1\tsh\t/\t0\twork\tx\n",
  );
  assert.deepEqual(status, [
    {
      name: "main",
      attached: 1,
      windows: [
        { index: 0, active: true, command: "bash", path: "/home/u" },
        { index: 1, active: false, command: "vim", path: "/tmp" },
      ],
    },
    {
      name: "work\tx",
      attached: 0,
      windows: [{ index: 0, active: true, command: "sh", path: "/" }],
    },
  ]);
});

Deno.test("scope hooks: commands, names, and only patterns tmux reads the same way", () => {
  assert.deepEqual(scopeHookNames(3), [
    "client-session-changed[40006]",
    "client-session-changed[40007]",
  ]);
  assert.equal(allowedFormat([]), "0");
  assert.equal(
    allowedFormat(["main", "work-*"]),
    "#{||:#{m:main,#{client_session}},#{||:#{m:work-*,#{client_session}},0}}",
  );
  for (const p of ["main", "work-*", "[a-c]?x", "[!p]*", "dev env", "ünï"]) {
    assert.ok(tmuxSafePattern(p), p);
  }
  for (const p of ["a#b", "a}", "a,b", "a\\b", "it's", 'q"', "$x", "a:b", "[[:alpha:]]*", "x\ty"]) {
    assert.ok(!tmuxSafePattern(p), p);
  }
  // Unsafe patterns are left out: the check only ever detaches more.
  assert.equal(allowedFormat(["a#b"]), "0");
  const [back, detach] = scopeHookCommands({ pid: 4242, tty: "/dev/pts/7", homeSessionId: "$3" }, [
    "main",
  ]);
  assert.equal(
    back,
    "if-shell -F '#{&&:#{&&:#{==:#{client_pid},4242},#{==:#{client_tty},/dev/pts/7}}," +
      "#{?#{||:#{m:main,#{client_session}},0},0,1}}' " +
      "'switch-client -c /dev/pts/7 -t $3'",
  );
  assert.match(detach, /'detach-client -t \/dev\/pts\/7'$/);
  assert.throws(() =>
    scopeHookCommands({ pid: 1, tty: "/dev/pts/1'; x", homeSessionId: "$1" }, [])
  );
  assert.throws(() => scopeHookCommands({ pid: 1, tty: "/dev/pts/1", homeSessionId: "main" }, []));
  assert.throws(() => scopeHookCommands({ pid: 0, tty: "/dev/pts/1", homeSessionId: "$1" }, []));
  assert.deepEqual(scopeHookArgs(null, [1]), [
    "set-hook",
    "-u",
    "-g",
    "client-session-changed[40002]",
    ";",
    "set-hook",
    "-u",
    "-g",
    "client-session-changed[40003]",
  ]);
  assert.deepEqual(scopeHookArgs({ attachmentId: 2, commands: ["A", "B"] }, []), [
    "set-hook",
    "-g",
    "client-session-changed[40004]",
    "A",
    ";",
    "set-hook",
    "-g",
    "client-session-changed[40005]",
    "B",
  ]);
  // Sessions with their own hook array get the hooks too (and lose them on removal).
  assert.deepEqual(
    scopeHookArgs({ attachmentId: 2, commands: ["A", "B"] }, [1], ["$7"]).join(" "),
    "set-hook -u -g client-session-changed[40002] ; set-hook -u -t $7 client-session-changed[40002] ; " +
      "set-hook -u -g client-session-changed[40003] ; set-hook -u -t $7 client-session-changed[40003] ; " +
      "set-hook -g client-session-changed[40004] A ; set-hook -g client-session-changed[40005] B ; " +
      "set-hook -t $7 client-session-changed[40004] A ; set-hook -t $7 client-session-changed[40005] B",
  );
  assert.throws(() => scopeHookArgs(null, [1], ["main"]));
  assert.deepEqual(
    parseLocalHookProbe(
      "@@handoff-session $0\n@@handoff-session $1\nclient-session-changed[5] run-shell x\n" +
        "@@handoff-session $2\n",
    ),
    ["$1"],
  );
  assert.equal(
    localHookProbeArgs(["$0", "$1"]).join(" "),
    "display-message -p @@handoff-session $0 ; show-hooks -t $0 client-session-changed ; " +
      "display-message -p @@handoff-session $1 ; show-hooks -t $1 client-session-changed",
  );
});

Deno.test("scope hooks: tmux's #{m:} agrees with our glob on every safe pattern", async () => {
  const t = await startTmux();
  try {
    const names = [
      "main",
      "work-api",
      "work-",
      "prod",
      "production-secrets",
      "dev env",
      "a1x",
      "ünï",
      "p",
      "[x]",
    ];
    const patterns = [
      "main",
      "work-*",
      "prod",
      "prod*",
      "[a-c]?x",
      "[!p]*",
      "dev env",
      "ünï",
      "?",
      "*s",
      "[x]",
    ];
    await t.newSession("probe", { cmd: ["/bin/sh", "-c", "exec sleep 60"] });
    for (const p of patterns) {
      assert.ok(tmuxSafePattern(p), p);
      // The format sees the name through #{client_session} in the hook; here a user
      // option stands in for it, set to each name in turn.
      const fmt = allowedFormat([p]).replaceAll("#{client_session}", "#{@probe_name}");
      for (const name of names) {
        await t.tmux("set-option", "-g", "@probe_name", name);
        const r = await t.tmux("display-message", "-p", "-t", "=probe:", fmt);
        assert.equal(r.stdout.trim() === "1", globMatch(p, name), `${p} vs ${name}`);
      }
    }
    const all = allowedFormat(["main", "work-*"]).replaceAll("#{client_session}", "#{@probe_name}");
    for (const name of names) {
      await t.tmux("set-option", "-g", "@probe_name", name);
      const r = await t.tmux("display-message", "-p", "-t", "=probe:", all);
      assert.equal(r.stdout.trim() === "1", sessionAllowed(name, ["main", "work-*"]), name);
    }
  } finally {
    await t.close();
  }
});

Deno.test("access log view: invalid lines are reported, never skipped", () => {
  const text = [
    JSON.stringify({
      ts: "2026-01-01T00:00:00Z",
      fp: "SHA256:a",
      name: "A",
      cmd: "list",
      result: "ok",
    }),
    '{"ts":"2026-01-01T00:00:01Z","fp":"SHA256:b","name":"B","cmd":"list "}"',
    JSON.stringify({
      ts: "2026-01-01T00:00:02Z",
      fp: "SHA256:b",
      name: null,
      cmd: "x",
      result: "denied:not_found",
    }),
    "[1,2]",
    "",
  ].join("\n");
  const entries = parseLog(text);
  assert.equal(entries.length, 4);
  assert.equal(
    entries[1].invalid,
    '{"ts":"2026-01-01T00:00:01Z","fp":"SHA256:b","name":"B","cmd":"list "}"',
  );
  assert.equal(entries[3].invalid, "[1,2]");
  assert.equal(entries[2].name, null);
  const onlyA = filterLog(entries, new Set(["SHA256:a"]));
  assert.deepEqual(onlyA.map((e) => e.line), [1, 2, 4]);
  const line = unknownDeviceLogLine("SHA256:" + "x".repeat(600), "list", new Date(0));
  const o = JSON.parse(line);
  assert.equal(o.result, "denied:not_found");
  assert.equal(o.name, null);
  assert.ok(Array.from(o.fp as string).length <= 513);
});

Deno.test("tailscale: the bits of its CLI output we read", () => {
  assert.equal(parseIpv4("100.64.1.2\n"), "100.64.1.2");
  assert.equal(parseIpv4("garbage\n"), null);
  assert.deepEqual(
    parseStatus(
      '{"BackendState":"Running","Self":{"DNSName":"desk.tail.ts.net.","TailscaleIPs":["100.1.2.3"]}}',
    ),
    { state: "Running", dnsName: "desk.tail.ts.net", ips: ["100.1.2.3"] },
  );
  assert.deepEqual(parseStatus("not json"), { state: null, dnsName: null, ips: [] });
  assert.equal(parseRunSsh('{"RunSSH":true}'), true);
  assert.equal(parseRunSsh('{"RunSSH":false}'), false);
  assert.equal(parseRunSsh("{}"), null);
});

Deno.test("approve: code comparison", () => {
  assert.ok(codeMatches("071706", "071706"));
  assert.ok(codeMatches("071706", "071 706"));
  assert.ok(!codeMatches("071706", "071707"));
  assert.ok(!codeMatches("071706", "07170"));
  assert.ok(!codeMatches("071706", "0717060"));
  assert.ok(!codeMatches("071706", ""));
});

Deno.test("shim, unique names, OpenSSH versions", () => {
  const shim = shimScript("/opt/deno it's/deno", "/src/main.ts");
  assert.match(shim, /^#!\/bin\/sh\n/);
  assert.match(
    shim,
    /exec '\/opt\/deno it'\\''s\/deno' run -A --quiet --unstable-lazy-dynamic-imports --v8-flags=--min-semi-space-size=8 '\/src\/main.ts' "\$@"\n$/,
  );
  assert.equal(uniqueName("Pixel 7", new Set()), "Pixel 7");
  assert.equal(uniqueName("Pixel 7", new Set(["Pixel 7", "Pixel 7 (2)"])), "Pixel 7 (3)");
  assert.deepEqual(parseOpenSshVersion("OpenSSH_9.2p1 Debian-2+deb12u3, OpenSSL 3.0"), [9, 2]);
  assert.equal(parseOpenSshVersion("nope"), null);
  assert.equal(supportsUtcExpiry([9, 1]), true);
  assert.equal(supportsUtcExpiry([9, 0]), false);
  assert.equal(supportsUtcExpiry(null), false);
});

Deno.test("policy: a pending device past its pairing window is void", () => {
  const base: Device = {
    id: 1,
    name: "p",
    fingerprint: "SHA256:p",
    status: "pending",
    sessions: ["*"],
    readOnly: false,
    nonce: "n",
    createdAt: "2026-01-01T00:00:00Z",
    softExpiry: null,
    hardExpiry: null,
    renewalRequested: false,
    lastSeen: null,
    lastCommand: null,
    pendingUntil: "2026-01-01T00:05:00Z",
  };
  const pair = { verb: "pair" as const, name: "x" };
  assert.deepEqual(decide(base, pair, new Date("2026-01-01T00:04:59Z")), { allow: true });
  assert.deepEqual(decide(base, pair, new Date("2026-01-01T00:05:01Z")), {
    allow: false,
    reply: "error:not_found",
    result: "denied:pending_expired",
  });
});

Deno.test("authorized_keys file: atomic edits keep every other line, 0600, through a symlink", async () => {
  const dir = await Deno.makeTempDir({ prefix: "handoff-ak-" });
  try {
    const real = join(dir, "real_keys");
    const link = join(dir, "ssh", "authorized_keys");
    await Deno.mkdir(join(dir, "ssh"), { mode: 0o755 });
    await Deno.writeTextFile(real, "# mine\nssh-ed25519 AAAA me@x"); // no trailing newline
    await Deno.symlink(real, link);
    const fp = "SHA256:" + "Q".repeat(43);
    const line = (v: string) =>
      `restrict,pty,command="/bin/handoff gate ${fp}" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ${v}`;
    addKeyLine(link, line("one"));
    assert.equal(Deno.lstatSync(link).isSymlink, true);
    assert.equal(await Deno.readTextFile(real), `# mine\nssh-ed25519 AAAA me@x\n${line("one")}\n`);
    assert.equal((Deno.statSync(real).mode ?? 0) & 0o777, 0o600);
    assert.equal((Deno.statSync(join(dir, "ssh")).mode ?? 0) & 0o777, 0o700);
    replaceKeyLine(link, fp, line("two"));
    assert.equal(await Deno.readTextFile(real), `# mine\nssh-ed25519 AAAA me@x\n${line("two")}\n`);
    assert.equal(removeKeyLines(link, fp), 1);
    assert.equal(await Deno.readTextFile(real), "# mine\nssh-ed25519 AAAA me@x\n");
    assert.equal(removeKeyLines(link, fp), 0);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["real_keys", "ssh"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("doctor hardening: AcceptEnv, tmux's read-only copy mode, the tmux socket's directory", async () => {
  assert.deepEqual(
    acceptEnvOf("# AcceptEnv EVIL\nAcceptEnv LANG LC_*\n  acceptenv  PATH TMUX_TMPDIR # comment\n"),
    ["LANG", "LC_*", "PATH", "TMUX_TMPDIR"],
  );
  assert.deepEqual(wideAcceptEnv(["LANG", "LC_*", "LC_ALL", "PATH", "*", "LD_PRELOAD"]), [
    "PATH",
    "*",
    "LD_PRELOAD",
  ]);
  assert.deepEqual(wideAcceptEnv(["LANG", "LC_*"]), []);
  assert.deepEqual(parseTmuxVersion("tmux 3.3a"), [3, 3]);
  assert.deepEqual(parseTmuxVersion("tmux next-3.8"), [3, 8]);
  assert.equal(parseTmuxVersion("screen"), null);
  assert.equal(checkTmuxReadOnly("tmux 3.3a").status, "ok");
  assert.equal(checkTmuxReadOnly("tmux 3.7b").status, "warn");
  assert.match(checkTmuxReadOnly("tmux 3.7b").detail, /copy mode/);
  assert.equal(checkTmuxReadOnly("tmux 4.0").status, "warn");

  const dir = await Deno.makeTempDir({ prefix: "handoff-doctor-" });
  const db = openDb(join(dir, "home", "handoff.db"));
  try {
    assert.equal(checkTmuxSocketDir(db), null, "no socket set: the default server");
    const open = join(dir, "open");
    await Deno.mkdir(open, { mode: 0o777 });
    await Deno.chmod(open, 0o777);
    setSetting(db, SETTING.tmuxSocket, join(open, "sock"));
    assert.equal(checkTmuxSocketDir(db)?.status, "warn");
    await Deno.chmod(open, 0o700);
    assert.equal(checkTmuxSocketDir(db)?.status, "ok");
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("guard placement: where tmux says a client is, and when that is out of bounds", async () => {
  const { parsePlacement, placementVerdict } = await import("../plugins/gate/guard.ts");
  const { clientAddress } = await import("../plugins/gate/gate.ts");
  const text =
    "C\t/dev/pts/3\t$5\nC\t/dev/pts/4\t$1\nS\t$1\tmain\nS\t$2\tsecret\nS\t$5\t!handoff-ro-9\n";
  const ro = parsePlacement(text, "/dev/pts/3", "$1");
  assert.deepEqual(ro, {
    clientSessionId: "$5",
    clientSessionName: "!handoff-ro-9",
    watchedName: "main",
  });
  const base = {
    id: 9,
    deviceId: 1,
    session: "main",
    window: 0,
    pid: 1,
    pidStart: null,
    tty: "/dev/pts/3",
    readOnly: true,
    startedAt: "t",
    endedAt: null,
  };
  const roAtt = { ...base, sessionId: "$1", ownSessionId: "$5", sessions: ["main"] };
  assert.equal(placementVerdict(roAtt, ro), null);
  assert.equal(placementVerdict(roAtt, { ...ro, clientSessionId: "$2" }), "out_of_scope");
  assert.equal(placementVerdict(roAtt, { ...ro, watchedName: null }), "session_gone");
  assert.equal(placementVerdict(roAtt, { ...ro, watchedName: "renamed" }), "out_of_scope");
  const rw = { ...base, readOnly: false, sessionId: "$1", ownSessionId: null, sessions: ["main"] };
  const there = parsePlacement(text, "/dev/pts/4", "$1");
  assert.equal(placementVerdict(rw, there), null);
  assert.equal(
    placementVerdict(
      rw,
      parsePlacement(text.replace("pts/4\t$1", "pts/4\t$2"), "/dev/pts/4", "$1"),
    ),
    "out_of_scope",
  );
  assert.equal(
    placementVerdict({ ...rw, sessions: ["*"] }, { ...there, clientSessionName: "x" }),
    null,
  );
  assert.equal(clientAddress("100.64.0.7 51234 100.64.0.1 22"), "100.64.0.7");
  assert.equal(clientAddress("fe80::1%eth0 51234 fe80::2%eth0 22"), "fe80::1%eth0");
  assert.equal(clientAddress("$(id) 1 2 3"), null);
  assert.equal(clientAddress(undefined), null);
});

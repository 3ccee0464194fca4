import { unless } from "./helpers/skip.ts";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { authorizedKeysExpiry } from "../plugins/sshd/expiry_time.ts";
import { generateDeviceKey } from "../plugins/sshd/sshkey.ts";
import {
  authorizedKeysLine,
  forcedCommandOf,
  hasGateLine,
  removeGateLines,
  shellQuote,
  shellSplit,
} from "../plugins/sshd/authorized_keys.ts";

const KEY = generateDeviceKey("handoff:device_3fa1");
const FP = KEY.fingerprint;

// Arguments that must reach the forced command unchanged through sshd and sh.
const AWKWARD_ARGS = [
  "",
  "plain",
  "two words",
  "it's",
  'say "hi"',
  "back\\slash",
  "ends with \\",
  'back\\"quote',
  "$HOME",
  "$(id)",
  "`id`",
  "~",
  "*",
  "a=b",
  "!x",
  "#x",
  "semi;colon|pipe&amp",
  "漢字 é",
];

Deno.test("shellQuote: quotes only when needed", () => {
  const cases: Array<[string, string]> = [
    ["/usr/local/bin/handoff", "/usr/local/bin/handoff"],
    ["gate", "gate"],
    ["--home", "--home"],
    ["SHA256:ab+/Cd", "SHA256:ab+/Cd"],
    ["", "''"],
    ["a b", "'a b'"],
    ["it's", "'it'\\''s'"],
    ["a=b", "'a=b'"],
    ["~", "'~'"],
    ["$x", "'$x'"],
  ];
  for (const [arg, quoted] of cases) assert.equal(shellQuote(arg), quoted, arg);
});

Deno.test("authorizedKeysLine: options, order and quoting", () => {
  const line = authorizedKeysLine({
    command: ["/usr/local/bin/handoff", "gate", "--home", "/Users/a b/.handoff", FP],
    publicKeyLine: KEY.publicKeyLine,
    expiryTime: "202701031200Z",
    from: "100.64.0.0/10",
  });
  assert.equal(
    line,
    `restrict,pty,expiry-time="202701031200Z",from="100.64.0.0/10",` +
      `command="/usr/local/bin/handoff gate --home '/Users/a b/.handoff' ${FP}" ` +
      KEY.publicKeyLine,
  );
  assert.equal(
    authorizedKeysLine({ command: ["/h", "gate", FP], publicKeyLine: KEY.publicKeyLine }),
    `restrict,pty,command="/h gate ${FP}" ${KEY.publicKeyLine}`,
  );
  // Only `"` is escaped for sshd; backslashes pass through untouched.
  const quoted = authorizedKeysLine({
    command: ['/a"b\\c', "gate", FP],
    publicKeyLine: KEY.publicKeyLine,
  });
  assert.ok(quoted.includes(`command="'/a\\"b\\c' gate ${FP}"`), quoted);
});

Deno.test("authorizedKeysLine: refuses what would break the line", () => {
  const ok = { command: ["/h", "gate", FP], publicKeyLine: KEY.publicKeyLine };
  const bad: Array<[Partial<typeof ok & { expiryTime: string; from: string }>, RegExp]> = [
    [{ command: [] }, /empty command/],
    [{ command: ["/h", "gate\nrm -rf /", FP] }, /newlines/],
    [{ command: ["/h", "gate", `${FP}\0`] }, /newlines/],
    [{ command: ["/h\r", "gate", FP] }, /newlines/],
    [{ command: ["/h", "\x1b[2J", FP] }, /control/],
    [{ publicKeyLine: `${KEY.publicKeyLine}\nssh-ed25519 AAAA evil` }, /newlines/],
    [{ publicKeyLine: "not a key" }, /not an OpenSSH/],
    [{ expiryTime: '2027" ,command="sh' }, /invalid expiry-time/],
    [{ expiryTime: "2027-01-03" }, /invalid expiry-time/],
    [{ from: '1.2.3.4",command="sh' }, /invalid from/],
    [{ from: "1.2.3.4 x" }, /invalid from/],
  ];
  for (const [change, message] of bad) {
    assert.throws(() => authorizedKeysLine({ ...ok, ...change }), message);
  }
});

Deno.test("authorizedKeysLine: argv survives the round trip through both quoting layers", () => {
  for (const arg of AWKWARD_ARGS) {
    const argv = ["/opt/handoff dir/handoff", "gate", arg, FP];
    const line = authorizedKeysLine({ command: argv, publicKeyLine: KEY.publicKeyLine });
    assert.deepEqual(shellSplit(forcedCommandOf(line)!), argv, JSON.stringify(arg));
  }
});

Deno.test("removeGateLines: exactly this fingerprint's gate lines, the rest byte for byte", () => {
  const other = generateDeviceKey("handoff:other");
  const prefixFp = `${FP.slice(0, -1)}`;
  const longerFp = `${FP}x`;
  const ours = authorizedKeysLine({
    command: ["/usr/local/bin/handoff", "gate", "--home", "/x y", FP],
    publicKeyLine: KEY.publicKeyLine,
  });
  const kept = [
    "# handoff keys below",
    "",
    other.publicKeyLine, // a legacy unrestricted key line
    `# removed: command="/usr/local/bin/handoff gate ${FP}"`,
    authorizedKeysLine({
      command: ["/usr/local/bin/handoff", "gate", other.fingerprint],
      publicKeyLine: other.publicKeyLine,
    }),
    `restrict,command="/h gate ${longerFp}" ${other.publicKeyLine}`,
    `restrict,command="/h gate ${prefixFp}" ${other.publicKeyLine}`,
    `restrict,command="/bin/echo ${FP} gate" ${other.publicKeyLine}`,
    `restrict,command="/bin/echo ${FP}" ${other.publicKeyLine}`,
    `${other.publicKeyLine} mentions ${FP} gate`,
    `  \t`,
  ];
  const removed = [
    ours,
    `${ours}\r`,
    // The seed's format: command first, expiry date only.
    `command="/usr/local/bin/handoff gate ${FP}",restrict,pty,expiry-time="20270103" ${KEY.publicKeyLine}`,
    `  COMMAND="/opt/x/handoff gate ${FP}",restrict ${KEY.publicKeyLine}`,
  ];
  const text = [kept[0], removed[0], ...kept.slice(1, 5), removed[1], removed[2]]
    .concat(kept.slice(5), removed[3], "").join("\n");
  const result = removeGateLines(text, FP);
  assert.equal(result.removed, removed.length);
  assert.equal(result.text, [...kept, ""].join("\n"));
  assert.equal(hasGateLine(text, FP), true);
  assert.equal(hasGateLine(result.text, FP), false);
  assert.equal(hasGateLine(result.text, other.fingerprint), true);
  assert.deepEqual(removeGateLines(result.text, FP), { text: result.text, removed: 0 });
  assert.throws(() => removeGateLines(text, ""), /empty fingerprint/);
});

Deno.test("forcedCommandOf / shellSplit: malformed input is not a gate line", () => {
  assert.equal(forcedCommandOf(`command="/h gate ${FP} ${KEY.publicKeyLine}`), null);
  assert.equal(forcedCommandOf(KEY.publicKeyLine), null);
  assert.equal(forcedCommandOf('# command="x" ssh-ed25519 AAAA'), null);
  assert.equal(shellSplit("'unterminated"), null);
  assert.equal(shellSplit('"unterminated'), null);
  assert.deepEqual(shellSplit(`a\\ b "c \\"d\\" \\$e" 'f\\g'`), ["a b", 'c "d" $e', "f\\g"]);
});

// The real thing: sshd parses the line, the login shell runs the forced command.
const SSHD = "/usr/sbin/sshd";
/** Why sshd cannot run here (it wants root and its privilege-separation directory). */
const noSshd = (() => {
  if (Deno.uid() !== 0) return "sshd's privilege separation needs root";
  try {
    if (!statSync(SSHD).isFile()) return `${SSHD} is not a file`;
  } catch {
    return `no ${SSHD} (install openssh-server)`;
  }
  // Debian makes it when the service first starts; a fresh machine has none yet.
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  return null;
})();

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error("sshd did not start");
}

Deno.test(unless(noSshd, {
  name: "real sshd: forced command argv, original command and expiry-time",
  async fn() {
    const dir = mkdtempSync(join(tmpdir(), "handoff-gate-sshd-"));
    let sshd: Deno.ChildProcess | undefined;
    try {
      const binDir = join(dir, `bin dir 'q" $x \\ \`y\``);
      mkdirSync(binDir);
      const script = join(binDir, "print args");
      writeFileSync(
        script,
        `#!/bin/sh\nfor a in "$@"; do printf '[%s]\\n' "$a"; done\n` +
          `printf 'CMD=[%s]\\n' "$SSH_ORIGINAL_COMMAND"\n`,
        { mode: 0o755 },
      );
      const live = generateDeviceKey("handoff:live");
      const dead = generateDeviceKey("handoff:dead");
      writeFileSync(join(dir, "live"), live.privateKeyPem, { mode: 0o600 });
      writeFileSync(join(dir, "dead"), dead.privateKeyPem, { mode: 0o600 });
      const argv = [script, "gate", ...AWKWARD_ARGS, live.fingerprint];
      const soon = new Date(Date.now() + 3_600_000).toISOString();
      const past = new Date(Date.now() - 120_000).toISOString();
      writeFileSync(
        join(dir, "authorized_keys"),
        [
          authorizedKeysLine({
            command: argv,
            publicKeyLine: live.publicKeyLine,
            expiryTime: authorizedKeysExpiry(soon, { utcSuffix: false }),
            from: "127.0.0.1",
          }),
          authorizedKeysLine({
            command: [script, "gate", dead.fingerprint],
            publicKeyLine: dead.publicKeyLine,
            expiryTime: authorizedKeysExpiry(past, { utcSuffix: false }),
          }),
          "",
        ].join("\n"),
        { mode: 0o600 },
      );
      const hostKey = join(dir, "host_key");
      writeFileSync(hostKey, generateDeviceKey("host").privateKeyPem, { mode: 0o600 });
      const port = freePort();
      writeFileSync(
        join(dir, "sshd_config"),
        [
          `Port ${port}`,
          "ListenAddress 127.0.0.1",
          `HostKey ${hostKey}`,
          `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
          "StrictModes no",
          "UsePAM no",
          "PasswordAuthentication no",
          "KbdInteractiveAuthentication no",
          `PidFile ${join(dir, "sshd.pid")}`,
          "",
        ].join("\n"),
      );
      // `timeout` makes sure sshd goes away even if this test process dies.
      sshd = new Deno.Command("timeout", {
        args: ["60", SSHD, "-D", "-f", join(dir, "sshd_config")],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      await waitForPort(port);

      const ssh = async (identity: string, command: string) => {
        const out = await new Deno.Command("ssh", {
          args: [
            "-F",
            "/dev/null",
            "-i",
            join(dir, identity),
            "-p",
            String(port),
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            `${userInfo().username}@127.0.0.1`,
            command,
          ],
          stdin: "null",
          stdout: "piped",
          stderr: "null",
        }).output();
        return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
      };

      const request = `windows it's $(id) \`id\` "q"`;
      const live1 = await ssh("live", request);
      assert.equal(live1.code, 0);
      assert.equal(
        live1.stdout,
        argv.slice(1).map((a) => `[${a}]\n`).join("") + `CMD=[${request}]\n`,
      );
      assert.equal((await ssh("dead", "list")).code, 255, "expired key refused");
    } finally {
      sshd?.kill("SIGTERM");
      await sshd?.status;
      rmSync(dir, { recursive: true, force: true });
    }
  },
}));

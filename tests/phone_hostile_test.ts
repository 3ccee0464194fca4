// Hostile input through the real gate process (SSH_ORIGINAL_COMMAND, as sshd sets it): each
// input gets exactly one `error:` line, no tmux command runs (a wrapper configured as the
// tmux binary logs every invocation, and the private server's sessions are unchanged), and
// every audit line is valid JSON.

import assert from "node:assert/strict";
import { join } from "node:path";
import { pairPhone, startPhoneWorld } from "./helpers/phone.ts";

const BIG = "x".repeat(10 * 1024);

// Session arguments that must never reach tmux for a device allowed only `main`.
const TARGETS = [
  "main; rm -rf /",
  "main && id",
  "$(touch /tmp/handoff-pwned)",
  "`touch /tmp/handoff-pwned`",
  "'main'",
  '"main"',
  "main\nlist",
  "main\r",
  "main\x1b[2J\x1b]52;c;aGk=\x07",
  "\x01\x02\x7f",
  BIG,
  "måin",
  "main\u202e",
  "ｍａｉｎ",
  "-t main",
  "--help",
  "-",
  "=main",
  ":main",
  "main:0",
  "main:",
  "main.0",
  "$0",
  "@0",
  "%0",
  "#{session_name}",
  "#(touch /tmp/handoff-pwned)",
  "main ",
  " main",
  "*",
  "ma*",
  "[m]ain",
  "~root",
  "main\\",
  "production-secrets",
  // Client ttys: tmux reads them as "the session that client shows".
  "pts/0",
  "pts/1",
  "/dev/pts/0",
  "ttys003",
  "p/",
];

function hostileCommands(): string[] {
  const cmds: string[] = [];
  // Each target through the argument shapes: whole rest, session + window, a new name.
  for (const t of TARGETS) {
    cmds.push(`windows ${t}`, `attach ${t} 0`, `kill-window ${t} 0`, `create-session ${t}`);
  }
  // Hostile verbs and window indexes.
  cmds.push(
    // (`list <anything>` is `list`: the seed ignores list's arguments, and nothing is run.)
    "list; id",
    "list\nattach main 0",
    " list",
    "LIST",
    "ls -la",
    "rm -rf /",
    "bash",
    "sh -c id",
    "scp -t /tmp",
    "internal-sftp",
    "rsync --server . /tmp",
    "tmux kill-server",
    "attach main -1",
    "attach main 99999999",
    "attach main 0x1",
    "attach main 1e3",
    "kill-window main",
    "kill-window main x",
    "kill-window main 99999999",
    "kill-window",
    "windows",
    "attach",
    "create-session",
    "pair Evil Twin",
    "pair \x1b]0;pwned\x07",
    `pair ${BIG}`,
    "subscribe",
    "subscribe since=abc",
    "subscribe since=1 types=a;b",
    BIG,
    "\x00".replace("\x00", "nul") + "\x1b",
    "日本語",
    // Answers to permission requests: ids that are not ids, arguments that are not options,
    // messages that are not one printable line (none of them names an open request).
    "approve",
    "approve ",
    "deny",
    `approve ${"A".repeat(22)}`,
    `approve ${"A".repeat(22)} always`,
    `approve ${"A".repeat(21)}`,
    `approve ${"A".repeat(23)}`,
    "approve ../../../etc/passwd",
    "approve ' OR '1'='1",
    "approve %00",
    `approve ${BIG}`,
    `approve ${"A".repeat(22)} forever`,
    `approve ${"A".repeat(22)} once; id`,
    `deny ${"A".repeat(22)} \x1b]52;c;aGk=\x07`,
    `deny ${"A".repeat(22)} two\nlines`,
    `deny ${"A".repeat(22)} ${BIG}`,
    `deny ${"A".repeat(22)} \u202eevil`,
    "APPROVE x",
    "RO approve x",
    `RO approve ${"A".repeat(22)}`,
    `RO deny ${"A".repeat(22)} no`,
    // The read-only device, on real and hostile targets alike.
    "RO create-session x",
    "RO create-session $(id)",
    "RO create-window main",
    "RO kill-session main",
    "RO kill-window main 0",
    "RO kill-window main; id",
  );
  return cmds;
}

async function tmuxLog(file: string): Promise<string> {
  try {
    return await Deno.readTextFile(file);
  } catch {
    return "";
  }
}

Deno.test("hostile input: one error line each, no tmux command, valid JSON audit", async () => {
  const w = await startPhoneWorld();
  try {
    await w.desk.newSession("main", { cmd: ["/bin/sh", "-i"] });
    await w.desk.newSession("production-secrets", { cmd: ["/bin/sh", "-c", "exec sleep 600"] });
    const rw = await pairPhone(w, "Hostile RW", ["--sessions", "main"]);
    const ro = await pairPhone(w, "Hostile RO", ["--sessions", "main", "--read-only"]);

    // From now on tmux is a wrapper that logs every call, then runs the real one.
    const log = join(w.dir, "tmux-calls.log");
    const wrapper = join(w.dir, "tmux-wrapper");
    await Deno.writeTextFile(
      wrapper,
      `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${w.desk.bin}' "$@"\n`,
      { mode: 0o755 },
    );
    w.sql("UPDATE settings SET value = ? WHERE key = 'tmux.path'", wrapper);
    // This suite checks every input, not the rate limit (tested on its own).
    w.sql("INSERT INTO settings (key, value) VALUES ('gate.max_calls_per_10s', '100000')");
    const before = await w.desk.tmux("list-sessions", "-F", "#{session_name}:#{session_windows}");
    const auditBefore = w.accessLog().length;

    // The wrapper is live: a legitimate request goes through it.
    assert.match((await w.gate(rw.fingerprint, "list")).stdout, /^#permissions:.*\nmain:1\n$/);
    assert.match(await tmuxLog(log), /list-sessions/);
    await Deno.remove(log);

    const cmds = hostileCommands();
    const failures: string[] = [];
    // A few at a time: each is a separate gate process.
    for (let i = 0; i < cmds.length; i += 6) {
      const batch = cmds.slice(i, i + 6);
      const results = await Promise.all(batch.map(async (cmd) => {
        const fp = cmd.startsWith("RO ") ? ro.fingerprint : rw.fingerprint;
        return { cmd, fp, r: await w.gate(fp, cmd.replace(/^RO /, "")) };
      }));
      for (const { cmd, fp, r } of results) {
        // A read-only device is refused as such, before its arguments are even looked at.
        const ok = /^error:[a-z_]+\n$/.test(r.stdout) && r.code === 1 &&
          (fp !== ro.fingerprint || r.stdout === "error:read_only\n");
        if (!ok) {
          failures.push(
            `${JSON.stringify(cmd.slice(0, 60))} → ${
              JSON.stringify(r.stdout.slice(0, 80))
            } (${r.code})`,
          );
        }
      }
    }
    assert.deepEqual(failures, []);
    assert.equal(await tmuxLog(log), "", "a hostile request ran tmux");
    const after = await w.desk.tmux("list-sessions", "-F", "#{session_name}:#{session_windows}");
    assert.equal(after.stdout, before.stdout);
    const pwned = await Deno.stat("/tmp/handoff-pwned").then(() => true, () => false);
    assert.equal(pwned, false);

    // One audit line per call, each valid JSON with capped fields.
    const lines = w.accessLog();
    assert.equal(lines.length, auditBefore + 1 + cmds.length);
    for (const line of lines) {
      const o = JSON.parse(line);
      assert.ok(Array.from(o.cmd).length <= 513, "cmd is capped");
      assert.ok(!line.includes("\n"));
      assert.match(o.result, /^(ok|denied:|failed)/);
    }
    // Names the phone chose are kept out of the terminal: pairing names are validated.
    const listed = await w.handoff(["devices"]);
    // deno-lint-ignore no-control-regex
    assert.doesNotMatch(listed.stdout, /[\x00-\x08\x0b-\x1f\x7f]/);
    // Unknown and malformed fingerprints: not found, logged, no tmux.
    for (const fp of ["SHA256:" + "A".repeat(43), "not-a-fingerprint", "SHA256:$(id)"]) {
      const r = await w.gate(fp, "list");
      assert.equal(r.stdout, "error:not_found\n");
    }
    assert.equal(await tmuxLog(log), "");
    assert.equal(w.accessLog().at(-1)!.includes('"result":"denied:not_found"'), true);
  } finally {
    await w.close();
  }
});

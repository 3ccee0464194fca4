// Proves tests/helpers/sshd.ts drives a real sshd the way phones reach the
// machine (seed-phone-spec §3, §5): forced command per key, the request in
// SSH_ORIGINAL_COMMAND, expiry-time, and a PTY for attach.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import {
  type ExecResult,
  generateClientKey,
  shQuote,
  sshArgs,
  type Sshd,
  sshExec,
  startSshd,
  writeAuthorizedKeys,
  writeScript,
} from "./helpers/sshd.ts";
import { startTmux } from "./helpers/tmux.ts";

/** `ssh -tt` without a local terminal, asking for the phone's terminal type. */
async function sshTty(
  sshd: Sshd,
  keyFile: string,
  command: string,
): Promise<ExecResult> {
  const out = await new Deno.Command("ssh", {
    args: [...sshArgs(sshd, keyFile, { tty: true }), command],
    env: { TERM: "xterm-256color" }, // ssh sends its TERM with the PTY request
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** `env` output → Map (multi-line values are not expected here). */
function parseEnv(text: string): Map<string, string> {
  const pairs = text.split("\n").map((line) => line.match(/^(\w+)=(.*)$/))
    .filter((m) => m !== null).map((m) => [m[1], m[2]] as const);
  return new Map(pairs);
}

Deno.test("sshd: forced command runs instead of the client's command", async () => {
  const sshd = await startSshd();
  try {
    const key = await generateClientKey(sshd.dir);
    const marker = join(sshd.dir, "client-command-ran");
    await writeAuthorizedKeys(sshd, [
      `restrict,pty,command="/bin/echo forced" ${key.publicKey}`,
    ]);

    const r = await sshExec(sshd, key.keyFile, `touch ${marker}`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "forced\n");
    assert.equal(existsSync(marker), false);
  } finally {
    await sshd.close();
  }
});

Deno.test("sshd: sshExec passes stdin and enforces its timeout", async () => {
  const sshd = await startSshd();
  try {
    const key = await generateClientKey(sshd.dir);
    await writeAuthorizedKeys(sshd, [
      `restrict,command="/bin/cat" ${key.publicKey}`,
    ]);
    const r = await sshExec(sshd, key.keyFile, "x", { stdin: "piped-in\n" });
    assert.equal(r.stdout, "piped-in\n");

    await writeAuthorizedKeys(sshd, [
      `restrict,command="/bin/sleep 2" ${key.publicKey}`,
    ]);
    await assert.rejects(
      sshExec(sshd, key.keyFile, "x", { timeoutMs: 300 }),
      /timed out after 300 ms/,
    );
  } finally {
    await sshd.close();
  }
});

Deno.test("sshd: the client's request arrives verbatim in SSH_ORIGINAL_COMMAND", async () => {
  const sshd = await startSshd();
  try {
    const key = await generateClientKey(sshd.dir);
    const script = await writeScript(
      join(sshd.dir, "echo-request.sh"),
      `printf '%s\\n' "\${SSH_ORIGINAL_COMMAND-<unset>}"`,
    );
    await writeAuthorizedKeys(sshd, [
      `restrict,pty,command="${script}" ${key.publicKey}`,
    ]);

    for (
      const request of [
        "list",
        "windows my session",
        "attach main 1",
        `x; rm -rf / $(id) "q" 'q'`,
      ]
    ) {
      const r = await sshExec(sshd, key.keyFile, request);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, request + "\n");
    }
    // No command at all is a shell request: the variable is not set.
    const shell = await sshExec(sshd, key.keyFile, "");
    assert.equal(shell.stdout, "<unset>\n");
  } finally {
    await sshd.close();
  }
});

Deno.test("sshd: forced command environment", async () => {
  // A variable in the environment of whoever starts sshd must not leak in.
  Deno.env.set("HANDOFF_TEST_LEAK", "1");
  let sshd: Sshd;
  try {
    sshd = await startSshd();
  } finally {
    Deno.env.delete("HANDOFF_TEST_LEAK");
  }
  try {
    const key = await generateClientKey(sshd.dir);
    const script = await writeScript(join(sshd.dir, "env.sh"), "env");
    await writeAuthorizedKeys(sshd, [
      `restrict,pty,command="${script}" ${key.publicKey}`,
    ]);

    const r = await sshExec(sshd, key.keyFile, "list");
    assert.equal(r.code, 0, r.stderr);
    const env = parseEnv(r.stdout);
    const me = userInfo();

    assert.equal(env.get("PWD"), me.homedir); // the command starts in HOME
    assert.equal(env.get("HOME"), me.homedir);
    assert.equal(env.get("USER"), me.username);
    assert.equal(env.get("LOGNAME"), me.username);
    assert.equal(env.get("SHELL"), me.shell);
    assert.equal(env.get("SSH_ORIGINAL_COMMAND"), "list");
    assert.match(
      env.get("SSH_CONNECTION") ?? "",
      /^127\.0\.0\.1 \d+ 127\.0\.0\.1 \d+$/,
    );
    assert.ok(
      env.get("PATH")?.split(":").includes("/usr/bin"),
      env.get("PATH"),
    );
    // No PTY: no SSH_TTY, no TERM. No locale unless the client sends one.
    for (
      const name of [
        "SSH_TTY",
        "TERM",
        "LANG",
        "HANDOFF_TEST_LEAK",
        "TMUX",
        "SSH_AUTH_SOCK",
        "DISPLAY",
      ]
    ) {
      assert.equal(env.has(name), false, `${name} should be absent`);
    }

    // sshd runs the forced command as `$SHELL -c "<command>"`, not as a login shell.
    const shellName = me.shell?.split("/").pop();
    await writeAuthorizedKeys(sshd, [
      `restrict,pty,command="echo $0" ${key.publicKey}`,
    ]);
    const viaShell = await sshExec(sshd, key.keyFile, "list");
    assert.equal(viaShell.stdout.trimEnd().split("\n").pop(), `${shellName}`);
  } finally {
    await sshd.close();
  }
});

Deno.test("sshd: expiry-time in the past refuses the key, in the future accepts it", async () => {
  const sshd = await startSshd();
  try {
    const key = await generateClientKey(sshd.dir);

    await writeAuthorizedKeys(sshd, [
      `restrict,pty,expiry-time="20200101",command="/bin/echo ok" ${key.publicKey}`,
    ]);
    const expired = await sshExec(sshd, key.keyFile, "list");
    assert.equal(expired.code, 255);
    assert.equal(expired.stdout, "");
    assert.match(expired.stderr, /Permission denied \(publickey\)/);
    assert.match(sshd.logs(), /Refused by key options/);

    await writeAuthorizedKeys(sshd, [
      `restrict,pty,expiry-time="29991231",command="/bin/echo ok" ${key.publicKey}`,
    ]);
    const valid = await sshExec(sshd, key.keyFile, "list");
    assert.equal(valid.code, 0, valid.stderr);
    assert.equal(valid.stdout, "ok\n");
  } finally {
    await sshd.close();
  }
});

Deno.test("sshd: a key that is not in authorized_keys is refused", async () => {
  const sshd = await startSshd();
  try {
    const known = await generateClientKey(sshd.dir, "known");
    const stranger = await generateClientKey(sshd.dir, "stranger");
    await writeAuthorizedKeys(sshd, [
      `restrict,pty,command="/bin/echo ok" ${known.publicKey}`,
    ]);

    const r = await sshExec(sshd, stranger.keyFile, "list");
    assert.equal(r.code, 255);
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /Permission denied \(publickey\)/);
    assert.ok(
      sshd.logs().includes(`Failed publickey for ${sshd.user}`),
      sshd.logs(),
    );
    assert.equal((await sshExec(sshd, known.keyFile, "list")).stdout, "ok\n");
  } finally {
    await sshd.close();
  }
});

Deno.test("sshd: -tt gets a PTY only when the key allows `pty`", async () => {
  const sshd = await startSshd();
  try {
    const key = await generateClientKey(sshd.dir);
    // `tty` exits 1 without a terminal; keep going so stty runs too.
    const script = await writeScript(
      join(sshd.dir, "tty.sh"),
      `tty; stty size; echo "TERM=$TERM"`,
    );

    await writeAuthorizedKeys(sshd, [
      `restrict,pty,command="${script}" ${key.publicKey}`,
    ]);
    const withPty = await sshTty(sshd, key.keyFile, "attach main");
    assert.equal(withPty.code, 0, withPty.stderr);
    // Output comes through the PTY, so lines end in \r\n.
    const lines = withPty.stdout.split("\r\n");
    assert.match(lines[0], /^\/dev\/pts\/\d+$/);
    assert.match(lines[1], /^\d+ \d+$/); // 0 0 here: the local side has no terminal
    assert.equal(lines[2], "TERM=xterm-256color");

    const exec = await sshExec(sshd, key.keyFile, "list");
    assert.match(exec.stdout, /^not a tty\n/);

    // `restrict` alone turns PTY allocation off, and -tt then fails outright:
    // ssh exits 255 without any output from the command.
    await writeAuthorizedKeys(sshd, [
      `restrict,command="${script}" ${key.publicKey}`,
    ]);
    const noPty = await sshTty(sshd, key.keyFile, "attach main");
    assert.equal(noPty.code, 255);
    assert.equal(noPty.stdout, "");
    assert.match(noPty.stderr, /PTY allocation request failed/);
  } finally {
    await sshd.close();
  }
});

Deno.test("sshd: custom authorized_keys path; close() stops sshd and removes its dir", async () => {
  const keysDir = await mkdtemp(join(tmpdir(), "handoff-keys-"));
  try {
    const authorizedKeysFile = join(keysDir, "authorized_keys");
    const key = await generateClientKey(keysDir);
    await Deno.writeTextFile(
      authorizedKeysFile,
      `restrict,command="/bin/echo custom" ${key.publicKey}\n`,
    );

    const sshd = await startSshd({ authorizedKeysFile });
    let closed = false;
    try {
      assert.equal(sshd.authorizedKeysFile, authorizedKeysFile);
      assert.equal(
        (await sshExec(sshd, key.keyFile, "list")).stdout,
        "custom\n",
      );
      await sshd.close();
      closed = true;
      assert.equal(existsSync(sshd.dir), false);
      await assert.rejects(
        Deno.connect({ hostname: "127.0.0.1", port: sshd.port }),
      );
      assert.equal(existsSync(authorizedKeysFile), true); // not ours to delete
    } finally {
      if (!closed) await sshd.close();
    }
  } finally {
    await rm(keysDir, { recursive: true, force: true });
  }
});

Deno.test("sshd + tmux: ssh -tt from a real terminal attaches to a tmux session", async () => {
  const sshd = await startSshd();
  try {
    const inner = await startTmux(); // the machine's tmux, what the phone attaches to
    try {
      const outer = await startTmux(); // the phone's terminal: gives ssh a real tty
      try {
        await inner.newSession("inner", {
          cmd: ["/bin/sh", "-i"],
          width: 80,
          height: 24,
        });
        const key = await generateClientKey(sshd.dir);
        const attach = await writeScript(
          join(sshd.dir, "attach.sh"),
          `exec ${shQuote(inner.bin)} -S ${shQuote(inner.socket)} attach -t '=inner'`,
        );
        await writeAuthorizedKeys(sshd, [
          `restrict,pty,command="${attach}" ${key.publicKey}`,
        ]);

        await outer.newSession("phone", {
          cmd: [
            "ssh",
            ...sshArgs(sshd, key.keyFile, { tty: true }),
            "attach inner 0",
          ],
          width: 100,
          height: 30,
          remainOnExit: true, // keep ssh's error on screen if it fails
        });
        // The inner tmux's status line shows up in the outer pane once attached.
        await outer.waitFor("=phone", (s) => s.includes("[inner]"), 10_000);

        // The inner server sees one client, on a PTY, sized like the outer pane.
        const clients = await inner.tmux(
          "list-clients",
          "-F",
          "#{client_tty} #{client_width}x#{client_height}",
        );
        const paneSize = await outer.tmux(
          "display-message",
          "-p",
          "-t",
          "=phone:",
          "#{pane_width}x#{pane_height}",
        );
        assert.match(
          clients.stdout,
          new RegExp(`^/dev/pts/\\d+ ${paneSize.stdout.trim()}\\n$`),
        );

        await outer.sendKeys("=phone", "echo hello-from-phone", "Enter");
        const screen = await inner.waitFor(
          "=inner",
          (s) => s.split("\n").some((line) => line.trimEnd() === "hello-from-phone"),
        );
        assert.match(screen, /echo hello-from-phone/);
      } finally {
        await outer.close();
      }
    } finally {
      await inner.close();
    }
  } finally {
    await sshd.close();
  }
});

Deno.test("sshd: the user's shell startup files are skipped unless asked for", async () => {
  // bash sources ~/.bashrc under sshd only when it is a top-level shell (SHLVL 1).
  for (const userShellStartup of [false, true]) {
    const sshd = await startSshd({ userShellStartup });
    try {
      const key = await generateClientKey(sshd.dir);
      await writeAuthorizedKeys(sshd, [`restrict,command="echo $SHLVL" ${key.publicKey}`]);
      // With its startup files the user's real ~/.bashrc runs (here: `pyenv rehash`, which
      // takes a lock and can be slow on a loaded machine). A timeout that kills it while it
      // holds the lock would hang every later shell: it gets time to finish.
      const r = await sshExec(sshd, key.keyFile, "x", {
        timeoutMs: userShellStartup ? 90_000 : 10_000,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trimEnd().split("\n").pop(), userShellStartup ? "1" : "2");
    } finally {
      await sshd.close();
    }
  }
});

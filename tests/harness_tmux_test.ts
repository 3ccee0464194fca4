// Proves tests/helpers/tmux.ts runs a private, real tmux server: sessions,
// keys in, screens out, exact targets, and a clean shutdown.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { paneTarget, startTmux } from "./helpers/tmux.ts";

const hasLine = (text: string) => (screen: string) =>
  screen.split("\n").some((l) => l.trimEnd() === text);

Deno.test("tmux: private server on its own socket, absolute tmux path", async () => {
  const a = await startTmux();
  try {
    const b = await startTmux();
    try {
      assert.ok(
        a.socket.startsWith("/") && a.socket.endsWith("/sock"),
        a.socket,
      );
      assert.ok(a.bin.startsWith("/"), a.bin);
      assert.notEqual(a.socket, b.socket);

      await a.newSession("only-in-a", { cmd: ["/bin/sh"] });
      const inA = await a.tmux("list-sessions", "-F", "#{session_name}");
      assert.equal(inA.stdout, "only-in-a\n");
      const socketPath = await a.tmux(
        "display-message",
        "-p",
        "-t",
        "=only-in-a:",
        "#{socket_path}",
      );
      assert.equal(socketPath.stdout.trim(), a.socket);

      // b has no server yet: nothing leaks between servers.
      const inB = await b.tmux("list-sessions");
      assert.notEqual(inB.code, 0);
    } finally {
      await b.close();
    }
  } finally {
    await a.close();
  }
});

Deno.test("tmux: newSession size and cwd; sendKeys and waitFor see the shell", async () => {
  const t = await startTmux();
  const cwd = await realpath(await mkdtemp(join(tmpdir(), "handoff-cwd-")));
  try {
    await t.newSession("work", {
      cmd: ["/bin/sh", "-i"],
      width: 90,
      height: 20,
      cwd,
    });
    const size = await t.tmux(
      "display-message",
      "-p",
      "-t",
      "=work:",
      "#{window_width}x#{window_height}",
    );
    assert.equal(size.stdout.trim(), "90x20");

    // Type only once the shell shows its prompt: keys typed earlier are echoed before it.
    await t.waitFor("=work", (s) => s.trim().length > 0);
    await t.sendKeys("=work", "pwd; echo done-$((40+2))", "Enter");
    const screen = await t.waitFor("=work", hasLine("done-42"));
    assert.ok(hasLine(cwd)(screen), screen);
    assert.equal(await t.capture("=work"), screen); // nothing changed since
  } finally {
    await t.close();
    await rm(cwd, { recursive: true, force: true });
  }
});

Deno.test("tmux: targets are exact", async () => {
  const t = await startTmux();
  try {
    assert.equal(paneTarget("=work"), "=work:");
    assert.equal(paneTarget("=work:1"), "=work:1");
    assert.equal(paneTarget("%3"), "%3");

    await t.newSession("work-long", { cmd: ["/bin/sh"] });
    // A prefix of a session name must not match.
    await assert.rejects(t.capture("=work"), /can't find/);
    await assert.rejects(t.sendKeys("=work", "x"), /can't find/);
    const r = await t.tmux("has-session", "-t", "=work");
    assert.notEqual(r.code, 0);
  } finally {
    await t.close();
  }
});

Deno.test("tmux: remainOnExit keeps a finished command's screen", async () => {
  const t = await startTmux();
  try {
    // (The short sleep: under heavy load tmux 3.3a can reap a child that exits at once
    // before it has read the child's last output from the pty, and then draws nothing.)
    await t.newSession("once", {
      cmd: ["/bin/sh", "-c", "echo bye-now; sleep 0.3"],
      remainOnExit: true,
    });
    await t.waitPaneDead("=once", 5000);
    // tmux's "Pane is dead" line can scroll the top line into the history, so
    // look at the scrollback too, not just the visible screen.
    const all = await t.tmux("capture-pane", "-p", "-S", "-", "-t", "=once:");
    assert.ok(hasLine("bye-now")(all.stdout), all.stdout);
  } finally {
    await t.close();
  }
});

Deno.test("tmux: waitFor times out with the last screen in the error", async () => {
  const t = await startTmux();
  try {
    await t.newSession("idle", {
      cmd: ["/bin/sh", "-c", "echo still-waiting; exec sleep 60"],
    });
    await t.waitFor("=idle", hasLine("still-waiting"));
    const start = Date.now();
    await assert.rejects(
      t.waitFor("=idle", () => false, 300),
      (err: Error) =>
        /timed out after 300 ms/.test(err.message) &&
        /still-waiting/.test(err.message),
    );
    assert.ok(Date.now() - start < 2000);
    // A missing session also times out, naming tmux's complaint.
    await assert.rejects(t.waitFor("=nope", () => true, 200), /can't find/);
  } finally {
    await t.close();
  }
});

Deno.test("tmux: close() kills the server and its panes and removes the socket dir", async () => {
  const t = await startTmux();
  let closed = false;
  try {
    await t.newSession("victim", { cmd: ["/bin/sh", "-c", "exec sleep 60"] });
    const pid = Number(
      (await t.tmux("display-message", "-p", "-t", "=victim:", "#{pane_pid}"))
        .stdout,
    );
    assert.ok(pid > 0);
    await t.close();
    closed = true;
    assert.equal(existsSync(t.socket), false);

    // The pane's process gets SIGHUP from the dying server.
    const deadline = Date.now() + 3000;
    while (isAlive(pid)) {
      assert.ok(Date.now() < deadline, `pane process ${pid} still alive`);
      await new Promise((r) => setTimeout(r, 20));
    }
    // close() without any session is fine too.
    const empty = await startTmux();
    await empty.close();
  } finally {
    if (!closed) await t.close();
  }
});

function isAlive(pid: number): boolean {
  try {
    // Orphaned panes are reparented to pid 1, which may be slow to reap them:
    // on Linux a zombie ("Z") counts as dead.
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    try {
      Deno.kill(pid, "SIGCONT"); // no /proc: harmless probe, throws once the process is gone
      return true;
    } catch {
      return false;
    }
  }
}

/**
 * The real Claude Code CLI in a real tmux pane, against the fake model server: with the
 * hooks `handoff init --hooks` installed (and then with the handoff-notify plugin instead)
 * its Stop hook records an event for the right tmux session and window.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type EventRecord, eventsAfter } from "../core/event_log.ts";
import { openDb } from "../core/store.ts";
import { CLAUDE_BIN, claudeEnv } from "./helpers/agents.ts";
import { MAIN, startWorld, type World } from "./helpers/handoff.ts";
import { shQuote, writeScript } from "./helpers/sshd.ts";
import { startTmux, type Tmux } from "./helpers/tmux.ts";

const PLUGIN_DIR = fileURLToPath(
  new URL("../skills/claude-plugin/handoff-notify", import.meta.url),
);

async function waitForEvent(w: World, pred: (e: EventRecord) => boolean, tmux: Tmux, pane: string) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const db = openDb(join(w.home, "handoff.db"));
    try {
      const hit = eventsAfter(db, 0, 1000).find(pred);
      if (hit) return hit;
    } finally {
      db.close();
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const screen = (await tmux.tmux("capture-pane", "-p", "-S", "-", "-t", pane)).stdout.trim();
  throw new Error(`no matching event; the pane shows:\n${screen}`);
}

/** `claude -p` in a new window of session `proj`, with the world's environment. */
async function claudeInWindow(w: World, tmux: Tmux, window: number, extra: string[], env = {}) {
  const claude = claudeEnv({ baseUrl: w.anthropic.url, home: w.env.HOME });
  const vars = Object.entries({ ...claude, HANDOFF_HOME: w.home, NO_COLOR: "1", ...env })
    .map(([k, v]) => `${k}=${v}`);
  const r = await tmux.tmux(
    "new-window",
    "-d",
    "-t",
    `=proj:${window}`,
    "-c",
    w.work,
    "--",
    // env(1) keeps what tmux put there (TMUX, TMUX_PANE) and adds the world's variables.
    "env",
    ...vars,
    CLAUDE_BIN,
    "-p",
    "FAKE_REPLY: finished in tmux",
    "--model",
    "fake-model",
    ...extra,
  );
  assert.equal(r.code, 0, r.stderr);
  await tmux.tmux("set-option", "-w", "-t", `=proj:${window}`, "remain-on-exit", "on");
}

Deno.test("claude in tmux: the Stop hook records the pane's session and window", async () => {
  const w = await startWorld();
  const tmux = await startTmux();
  try {
    const init = await w.handoff(["init", "--hooks", "--no-skills"]);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stderr, /Claude Code hooks \(Notification, Stop, PermissionRequest\)/);
    const settings = JSON.parse(
      await Deno.readTextFile(join(w.env.CLAUDE_CONFIG_DIR, "settings.json")),
    );
    assert.match(
      settings.hooks.Stop[0].hooks[0].command,
      /notify --source claude-code # handoff-notify$/,
    );

    await tmux.newSession("proj", { cwd: w.work });
    await claudeInWindow(w, tmux, 3, []);
    const stop = await waitForEvent(w, (e) => e.type === "stop", tmux, "=proj:3");
    assert.equal(stop.source, "claude-code");
    assert.equal(stop.tmux_session, "proj");
    assert.equal(stop.tmux_window, 3);
    assert.equal(stop.tab, "proj:3");
    assert.equal(stop.title, "Claude finished");
    assert.equal(await Deno.realPath(stop.cwd!), await Deno.realPath(w.work));
    assert.match(stop.claude_session_id ?? "", /^[0-9a-f-]{36}$/);

    // The plugin instead of settings.json: same event, handoff found through $HANDOFF_BIN.
    const removed = await w.handoff(["init", "--remove-hooks"]);
    assert.equal(removed.code, 0, removed.stderr);
    const bin = await writeScript(
      join(w.dir, "handoff"),
      `exec ${shQuote(Deno.execPath())} run -A --quiet ${shQuote(MAIN)} "$@"`,
    );
    await claudeInWindow(w, tmux, 5, ["--plugin-dir", PLUGIN_DIR], { HANDOFF_BIN: bin });
    const viaPlugin = await waitForEvent(
      w,
      (e) => e.type === "stop" && e.id > stop.id,
      tmux,
      "=proj:5",
    );
    assert.equal(viaPlugin.tab, "proj:5");
    assert.equal(viaPlugin.source, "claude-code");
  } finally {
    await tmux.close();
    await w.close();
  }
});

/**
 * `handoff notify` and `handoff events` as separate processes, and run events from the run
 * engine (real claude against the fake server) and from the ledger's reconcile.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { lastEventId } from "../core/event_log.ts";
import { insertRun, reconcile } from "../core/ledger.ts";
import { openDb } from "../core/store.ts";
import { defaultConfig, MAIN, startWorld, type World } from "./helpers/handoff.ts";

async function withWorld(fn: (w: World) => Promise<void>) {
  const w = await startWorld({
    // A backend that may not run tools: its Bash call is denied.
    config: (w) =>
      defaultConfig(w) + `  strict:
    type: claude
    model: fake-model
    permission_mode: default
    env:
      ANTHROPIC_BASE_URL: ${w.anthropic.url}
      ANTHROPIC_AUTH_TOKEN: dummy
`,
  });
  try {
    await fn(w);
  } finally {
    await w.close();
  }
}

type Rec = Record<string, unknown>;

async function events(w: World): Promise<Rec[]> {
  const r = await w.handoff(["events", "--json", "--since", "0"]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split("\n").filter((l) => l).map((l) => JSON.parse(l));
}

Deno.test("notify: hook payloads, flags, the Codex argument; events prints them", async () => {
  await withWorld(async (w) => {
    const stop = JSON.stringify({
      hook_event_name: "Stop",
      session_id: "sess-1",
      cwd: "/proj",
      last_assistant_message: "All done.",
    });
    let r = await w.handoff(["notify", "--source", "claude-code"], { stdin: stop });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "", "nothing on stdout: Claude Code would read it");
    r = await w.handoff([
      "notify",
      "--type",
      "custom",
      "--title",
      "Build",
      "-m",
      "green",
      "--json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).id, 2);
    const codex = JSON.stringify({
      type: "agent-turn-complete",
      "thread-id": "th-1",
      cwd: "/cx",
      "last-assistant-message": "Patched it",
    });
    r = await w.handoff(["notify", "--source", "codex", codex]);
    assert.equal(r.code, 0, r.stderr);

    const all = await events(w);
    assert.deepEqual(all.map((e) => [e.id, e.type, e.title, e.message, e.source]), [
      [1, "stop", "Claude finished", "All done.", "claude-code"],
      [2, "custom", "Build", "green", "cli"],
      [3, "stop", "Codex finished", "Patched it", "codex"],
    ]);
    assert.equal(all[0].claude_session_id, "sess-1");
    assert.equal(all[0].cwd, "/proj");
    assert.equal(all[2].agent_session_id, "th-1");
    assert.match(all[1].ts as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

    const human = await w.handoff(["events"]);
    assert.match(human.stdout, /^\s+1 \d\d:\d\d:\d\d stop\s+-\s+Claude finished — All done\.$/m);
    const typed = await w.handoff(["events", "--json", "--since", "0", "--types", "custom"]);
    assert.deepEqual(typed.stdout.trim().split("\n").map((l) => JSON.parse(l).id), [2]);
  });
});

Deno.test("notify fails open as a hook: broken store, silent stdin, inside a run", async () => {
  await withWorld(async (w) => {
    // A store that cannot open: HANDOFF_HOME is a file.
    const notADir = join(w.dir, "not-a-dir");
    await Deno.writeTextFile(notADir, "x");
    const hook = '{"hook_event_name":"Notification","message":"waiting"}';
    let r = await w.handoff(["notify"], { stdin: hook, env: { HANDOFF_HOME: notADir } });
    assert.equal(r.code, 0);
    assert.match(r.stderr, /^handoff notify: could not record the event: /);
    r = await w.handoff(["notify", "-m", "x"], { env: { HANDOFF_HOME: notADir } });
    assert.equal(r.code, 1, "from a script or a terminal the failure shows in the status");
    r = await w.handoff(["notify", "--bogus"], { stdin: hook });
    assert.equal(r.code, 0, "never 2 (Claude Code's 'block') as a hook");
    r = await w.handoff(["notify", "--bogus"]);
    assert.equal(r.code, 2);

    // stdin open but silent (a runner that never writes or closes it): no hang.
    const t0 = Date.now();
    const child = w.spawn(["notify", "-m", "silent stdin"], { stdin: "" });
    const out = await child.output(); // stdin stays open: output() does not close it
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);

    // A hook inside a dispatched run: the engine reports the run itself.
    r = await w.handoff(["notify"], { stdin: hook, env: { HANDOFF_RUN_ID: "1123-fa-01-x" } });
    assert.equal(r.code, 0);
    const all = await events(w);
    assert.deepEqual(all.map((e) => e.message), ["waiting", "silent stdin"]);
  });
});

Deno.test("run events: success, permission denial, lost", async () => {
  await withWorld(async (w) => {
    // With handoff's hooks installed, the dispatched claude's own Stop hook fires too; it
    // knows its run (HANDOFF_RUN_ID) and stays quiet: one event per run, not two.
    const init = await w.handoff(["init", "--hooks", "--no-skills"]);
    assert.equal(init.code, 0, init.stderr);
    let r = await w.handoff(["run", "--slug", "ok", "-"], {
      stdin: "FAKE_REPLY: the answer",
    });
    assert.equal(r.code, 0, r.stderr);
    const okId = r.stdout.split("\n")[0].slice("RUN_ID=".length);
    r = await w.handoff(["run", "--backend", "strict", "--slug", "denied", "-"], {
      stdin: "FAKE_BASH: echo hi > x.txt\nFAKE_REPLY: could not",
    });
    const deniedId = r.stdout.split("\n")[0].slice("RUN_ID=".length);

    // A run whose supervising handoff died: reconcile marks it lost, exactly once.
    const db = openDb(join(w.home, "handoff.db"));
    try {
      const row = insertRun(db, {
        backend: "fake",
        backendType: "claude",
        slug: "orphan",
        cwd: w.work,
        title: "t",
        status: "running",
        ownerPid: 2147483000,
        ownerStart: "gone",
      });
      const before = lastEventId(db);
      assert.deepEqual(reconcile(db), [row.run_id]);
      assert.deepEqual(reconcile(db), []);
      assert.equal(lastEventId(db), before + 1);
    } finally {
      db.close();
    }

    const all = await events(w);
    const ok = all.find((e) => e.run_id === okId && e.type === "run-success");
    assert.ok(ok, JSON.stringify(all));
    assert.equal(ok.backend, "fake");
    assert.equal(ok.title, "fake run finished");
    assert.equal(ok.message, "the answer");
    assert.equal(ok.source, "handoff");
    const denied = all.find((e) => e.run_id === deniedId && e.type === "run-denied");
    assert.ok(denied, JSON.stringify(all));
    assert.match(denied.message as string, /echo hi/);
    assert.ok(all.some((e) => e.run_id === deniedId && String(e.type).startsWith("run-")));
    assert.equal(all.filter((e) => e.type === "stop").length, 0, JSON.stringify(all));
    const lost = all.find((e) => e.type === "run-lost");
    assert.ok(lost);
    assert.equal(lost.title, "fake run lost");
  });
});

Deno.test("notify --help and the command list", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", MAIN, "notify", "--help"],
    stdin: "null",
  }).output();
  assert.equal(out.code, 0);
  assert.match(new TextDecoder().decode(out.stdout), /^Usage: handoff notify/);
});

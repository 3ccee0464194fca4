// Run events are scoped like any other event: a run remembers the tmux tab it was started
// from (`$TMUX_PANE` when `handoff run` starts), and its end (or its loss) reaches only the
// devices allowed that session. Events with no tab go to `*` devices only. Real claude CLI
// against the fake Anthropic server, real tmux, real sshd.

import assert from "node:assert/strict";
import { join } from "node:path";
import { startFakeAnthropic } from "./fakes/fake_anthropic.ts";
import { delay, openStream, pairPhone, startPhoneWorld } from "./helpers/phone.ts";
import { MAIN } from "./helpers/handoff.ts";

Deno.test("run events: a run started in `secret` reaches `*` devices only; untagged events too", async () => {
  const w = await startPhoneWorld();
  const anthropic = await startFakeAnthropic();
  const streams: ReturnType<typeof openStream>[] = [];
  try {
    await Deno.mkdir(w.home, { recursive: true, mode: 0o700 });
    await Deno.writeTextFile(
      join(w.home, "config.yaml"),
      `backends:
  fake:
    type: claude
    model: fake-model
    env:
      ANTHROPIC_BASE_URL: ${anthropic.url}
      ANTHROPIC_AUTH_TOKEN: dummy
      ANTHROPIC_SMALL_FAST_MODEL: fake-model
`,
    );
    const runEnv = {
      ...w.env,
      CLAUDE_CONFIG_DIR: join(w.dir, "home", ".claude"),
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      DISABLE_AUTOUPDATER: "1",
      DISABLE_TELEMETRY: "1",
      CLAUDE_CODE_MAX_RETRIES: "0",
      CLAUDE_CODE_TMPDIR: join(w.dir, "home", "tmp"),
      IS_SANDBOX: "1",
    };
    const envArgs = Object.entries(runEnv).map(([k, v]) => `${k}=${v}`);
    const inPane = (session: string, prompt: string) =>
      w.desk.newSession(session, {
        // `env` keeps the pane's TMUX and TMUX_PANE: the run knows its tab.
        cmd: ["env", ...envArgs, Deno.execPath(), "run", "-A", "--quiet", MAIN, "run", prompt],
        remainOnExit: true,
      });
    const limited = await pairPhone(w, "Main only", ["--sessions", "main"]);
    const everything = await pairPhone(w, "Everything", ["--sessions", "*"]);
    const sMain = openStream(w, limited.phone.keyFile, "subscribe since=0");
    const sAll = openStream(w, everything.phone.keyFile, "subscribe since=0");
    streams.push(sMain, sAll);
    await sMain.until((r) => r.some((e) => e.type === "ready"));
    await sAll.until((r) => r.some((e) => e.type === "ready"));

    // A finished run in `secret`, a lost one there too, and one started outside tmux.
    await inPane("secret", "FAKE_REPLY: the secret answer");
    await w.desk.waitPaneDead("=secret:", 60_000);
    await w.desk.newSession("main", { cmd: ["/bin/sh", "-i"] });
    await inPane("doomed", "FAKE_BASH: sleep 45 # scope-doomed");
    // Killed once its backend is busy in the tool call.
    const doomed = await (async () => {
      for (let i = 0; i < 400; i++) {
        const [row] = w.sql("SELECT run_id, owner_pid FROM runs WHERE status = 'running'") as {
          run_id: string;
          owner_pid: number;
        }[];
        const out = row && await Deno.readTextFile(join(w.home, "tasks", `${row.run_id}.out.txt`))
          .catch(() => "");
        if (out && out.includes("sleep 45")) return row;
        await delay(100);
      }
      throw new Error("the doomed run did not start");
    })();
    Deno.kill(doomed.owner_pid, "SIGKILL");
    await w.desk.waitPaneDead("=doomed:", 20_000);
    const outside = await w.handoff(["run", "FAKE_REPLY: outside tmux"], { env: runEnv });
    assert.equal(outside.code, 0, outside.stderr);
    // `list` notices the lost run (the handoff that supervised it is gone).
    assert.equal((await w.handoff(["list", "--json"], { env: runEnv })).code, 0);
    const notify = await w.handoff([
      "notify",
      "-m",
      "marker",
      "--session",
      "main",
      "--window",
      "0",
    ]);
    assert.equal(notify.code, 0, notify.stderr);

    await sAll.until((r) => r.some((e) => e.message === "marker"), 20_000);
    await sMain.until((r) => r.some((e) => e.message === "marker"), 20_000);
    const runEvents = sAll.records.filter((e) => String(e.type).startsWith("run-"));
    assert.deepEqual(
      runEvents.map((e) => [e.type, e.tmux_session ?? null]).sort(),
      [["run-lost", "doomed"], ["run-success", "secret"], ["run-success", null]].sort(),
    );
    assert.equal(runEvents.find((e) => e.tmux_session === "secret")?.tmux_window, 0);
    assert.ok(runEvents.some((e) => String(e.message).includes("the secret answer")));
    // The device limited to `main` saw the marker and nothing of the runs.
    assert.deepEqual(
      sMain.records.filter((e) => e.id !== undefined).map((e) => e.message),
      ["marker"],
    );
  } finally {
    for (const s of streams) await s.close();
    await anthropic.close();
    await w.close();
  }
});

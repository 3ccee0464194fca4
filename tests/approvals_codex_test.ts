/**
 * Phone approvals with the real Codex, interactive in a real tmux pane, against the fake
 * OpenAI server: `handoff init --hooks --approvals` puts the PermissionRequest hook into
 * $CODEX_HOME/hooks.json; the model asks to run a command outside the read-only sandbox,
 * Codex asks the hook, a paired device approves (the command runs) or denies with a
 * reason (Codex shows it); with no answer in the wait, Codex's own prompt asks. Codex runs a new hook only after it was reviewed in its own
 * interface: the test passes `--dangerously-bypass-hook-trust` in place of that review.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { CODEX_BIN } from "./helpers/agents.ts";
import { addDevice } from "./helpers/devices.ts";
import { runHandoff, startWorld } from "./helpers/handoff.ts";
import { startTmux } from "./helpers/tmux.ts";

Deno.test("codex in tmux: a phone approves and denies its permission requests", async () => {
  const w = await startWorld();
  const tmux = await startTmux();
  try {
    const codexHome = join(w.dir, "codex-home");
    const work = await Deno.realPath(w.work);
    // Codex's first-run questions (trust this folder, try a new model) answered beforehand.
    await Deno.writeTextFile(
      join(codexHome, "config.toml"),
      `\n[projects.${JSON.stringify(work)}]\ntrust_level = "trusted"\n\n` +
        `[notice.model_migrations]\n"gpt-5.5" = "gpt-6-sol"\n\n` +
        `[tui.model_availability_nux]\n"gpt-6.1-sol" = 1\n`,
      { append: true },
    );
    const init = await w.handoff(
      ["init", "--hooks", "--approvals", "--approval-wait", "20", "--no-skills"],
      { env: { CODEX_HOME: codexHome } },
    );
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stderr, /Codex PermissionRequest hook: .*hooks\.json/);
    const hooks = JSON.parse(await Deno.readTextFile(join(codexHome, "hooks.json")));
    const hook = hooks.hooks.PermissionRequest[0].hooks[0];
    assert.match(hook.command, /approval-hook --source codex --wait 20 # handoff-notify$/);
    assert.equal(hook.timeout, 50);
    const phone = addDevice(w.home, "Pixel", { sessions: ["*"] });

    // The model asks for a command outside the sandbox (Codex then asks for approval).
    const escalated = (file: string) => ({
      tool: {
        name: "exec_command",
        input: {
          cmd: `touch ${join(work, file)}`,
          sandbox_permissions: "require_escalated",
          justification: `make ${file}`,
        },
      },
    });
    w.openai.setScript({
      rules: [
        { match: "first", steps: [escalated("approved.txt"), { text: "made it" }] },
        { match: "second", steps: [escalated("denied.txt"), { text: "could not" }] },
        { match: "third", steps: [escalated("nobody.txt"), { text: "asked" }] },
      ],
    });
    const vars = Object.entries({ ...w.env, CODEX_HOME: codexHome, FAKE_OPENAI_KEY: "dummy" })
      .map(([k, v]) => `${k}=${v}`);
    const codex = [
      "env",
      ...vars,
      "TERM=xterm-256color",
      CODEX_BIN,
      "--dangerously-bypass-hook-trust",
      "-a",
      "on-request",
      "-s",
      "read-only",
    ];
    await tmux.newSession("proj", { cmd: codex, cwd: work, width: 150, height: 45 });
    await tmux.waitFor("=proj", (s) => s.includes("Ask Codex to do anything"), 60_000);
    const waitingRequest = async () => {
      for (let i = 0; i < 300; i++) {
        const open = JSON.parse((await w.handoff(["approvals", "--json"])).stdout || "[]");
        if (open.length) return open[0];
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no request; the pane shows:\n${await tmux.capture("=proj")}`);
    };
    const say = async (text: string, target = "=proj") => {
      await tmux.sendKeys(target, text);
      await new Promise((r) => setTimeout(r, 300));
      await tmux.sendKeys(target, "Enter");
    };
    const gate = (cmd: string) =>
      runHandoff(["gate", phone], { env: { ...w.env, SSH_ORIGINAL_COMMAND: cmd }, cwd: w.dir });

    await say("first");
    const first = await waitingRequest();
    assert.equal(first.agent, "codex");
    assert.equal(first.tab, "proj:0");
    assert.equal(first.summary, `Bash: touch ${join(work, "approved.txt")}`);
    assert.deepEqual(first.options.map((o: { id: string }) => o.id), ["once", "deny"]);
    assert.equal((await gate(`approve ${first.request_id} always`)).stdout, "error:denied\n");
    assert.equal((await gate(`approve ${first.request_id}`)).stdout, "ok\n");
    await tmux.waitFor("=proj", (s) => s.includes("made it"), 30_000);
    assert.ok((await Deno.stat(join(work, "approved.txt"))).isFile);

    await say("second");
    const second = await waitingRequest();
    assert.equal((await gate(`deny ${second.request_id} not on a Friday`)).stdout, "ok\n");
    const screen = await tmux.waitFor("=proj", (s) => s.includes("not on a Friday"), 30_000);
    assert.match(screen, /Blocked by hook/);
    await assert.rejects(Deno.stat(join(work, "denied.txt")));

    // No answer within the wait: Codex's own prompt asks at the desk, as without handoff.
    assert.equal(
      (await w.handoff(
        ["init", "--hooks", "--approvals", "--approval-wait", "5", "--no-skills"],
        { env: { CODEX_HOME: codexHome } },
      )).code,
      0,
    );
    const r = await tmux.tmux("new-window", "-d", "-t", "=proj:1", "-c", work, "--", ...codex);
    assert.equal(r.code, 0, r.stderr);
    await tmux.waitFor("=proj:1", (s) => s.includes("Ask Codex to do anything"), 60_000);
    await say("third", "=proj:1");
    const third = await waitingRequest();
    await tmux.waitFor(
      "=proj:1",
      (s) => s.includes("Would you like to run the following command?"),
      30_000,
    );
    const after = JSON.parse((await w.handoff(["approvals", "--all", "--json"])).stdout);
    assert.equal(
      after.find((x: { request_id: string }) => x.request_id === third.request_id).status,
      "expired",
    );
    await assert.rejects(Deno.stat(join(work, "nobody.txt")));
    await tmux.sendKeys("=proj:1", "Escape");

    const removed = await w.handoff(["init", "--remove-hooks"], { env: { CODEX_HOME: codexHome } });
    assert.equal(removed.code, 0, removed.stderr);
    assert.doesNotMatch(await Deno.readTextFile(join(codexHome, "hooks.json")), /handoff/);
  } finally {
    await tmux.close();
    await w.close();
  }
});

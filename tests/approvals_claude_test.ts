/**
 * Phone approvals through the real parts: Claude Code, interactive, in a real tmux pane
 * of the desk, in its default permission mode, against the fake model server, with the
 * hooks `handoff init --hooks --approvals` installs; a phone paired through the real sshd
 * subscribes to events and answers with `approve` / `deny` over ssh. Then no answer
 * (Claude Code's own dialog decides), and an answer given in that dialog at the desk.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { CLAUDE_BIN, claudeEnv } from "./helpers/agents.ts";
import { startFakeAnthropic } from "./fakes/fake_anthropic.ts";
import { openStream, pairPhone, type Rec, startPhoneWorld, type Stream } from "./helpers/phone.ts";

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

/** Claude Code's first-run screens (theme, trust) are answered in its config beforehand. */
async function skipOnboarding(configDir: string, work: string): Promise<void> {
  await Deno.mkdir(configDir, { recursive: true });
  await Deno.writeTextFile(
    join(configDir, ".claude.json"),
    JSON.stringify({
      hasCompletedOnboarding: true,
      theme: "dark",
      numStartups: 1,
      projects: { [work]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true } },
    }),
  );
}

Deno.test("claude in tmux: a phone approves and denies its permission prompts over sshd", async () => {
  const w = await startPhoneWorld();
  const fake = await startFakeAnthropic();
  const streams: Stream[] = [];
  try {
    const work = await Deno.realPath(await Deno.makeTempDir({ dir: w.dir, prefix: "work-" }));
    const claude = claudeEnv({ baseUrl: fake.url, home: w.env.HOME });
    await skipOnboarding(claude.CLAUDE_CONFIG_DIR, work);
    const { phone } = await pairPhone(w, "Pixel", ["--sessions", "proj"]);
    const init = (wait: number) =>
      w.handoff(
        ["init", "--hooks", "--approvals", "--approval-wait", String(wait), "--no-skills"],
        {
          env: { CLAUDE_CONFIG_DIR: claude.CLAUDE_CONFIG_DIR },
        },
      );
    const installed = await init(15);
    assert.equal(installed.code, 0, installed.stderr);
    assert.match(installed.stderr, /phone approvals: a permission prompt waits up to 15 s/);
    const settings = JSON.parse(
      await Deno.readTextFile(join(claude.CLAUDE_CONFIG_DIR, "settings.json")),
    );
    const hook = settings.hooks.PermissionRequest[0].hooks[0];
    assert.match(hook.command, /approval-hook --source claude-code --wait 15 # handoff-notify$/);
    assert.equal(hook.timeout, 45, "the agent's timeout is longer than the wait");

    const stream = openStream(w, phone.keyFile, "subscribe since=0");
    streams.push(stream);
    await stream.until((r) => r.some((x) => x.type === "ready"));

    /** Claude Code in window `n` of session proj (the desk's tmux, so $TMUX_PANE is set). */
    const startClaude = async (window: number) => {
      const vars = Object.entries({ ...claude, HANDOFF_HOME: w.home, NO_COLOR: "1" })
        .map(([k, v]) => `${k}=${v}`);
      const argv = ["env", ...vars, CLAUDE_BIN, "--model", "fake-model"];
      if (window === 0) {
        await w.desk.newSession("proj", { cmd: argv, cwd: work, width: 150, height: 45 });
      } else {
        const r = await w.desk.tmux(
          "new-window",
          "-d",
          "-t",
          `=proj:${window}`,
          "-c",
          work,
          "--",
          ...argv,
        );
        assert.equal(r.code, 0, r.stderr);
      }
      const target = `=proj:${window}`;
      await w.desk.waitFor(target, (s) => s.includes("? for shortcuts"), 60_000);
      return target;
    };
    /**
     * Claude Code takes a moment to act on a decision after the phones hear it: keys typed
     * while its dialog or its turn is still on screen would be read by the dialog.
     */
    const idle = (target: string) =>
      w.desk.waitFor(
        target,
        (s) => !s.includes("Do you want to proceed?") && !s.includes("esc to interrupt"),
        30_000,
      );
    const ask = async (target: string, file: string): Promise<Rec> => {
      await idle(target);
      const before = stream.records.length;
      await w.desk.sendKeys(target, `FAKE_BASH: touch ${join(work, file)}`);
      await new Promise((r) => setTimeout(r, 300));
      await w.desk.sendKeys(target, "Enter");
      await stream.until((r) => r.slice(before).some((x) => x.type === "permission"), 60_000);
      return stream.records.slice(before).find((x) => x.type === "permission")!;
    };
    const resolved = async (id: string) => {
      await stream.until(
        (r) => r.some((x) => x.type === "permission-resolved" && x.request_id === id),
        60_000,
      );
      return stream.records.find((x) => x.type === "permission-resolved" && x.request_id === id)!;
    };

    // 1. Approved from the phone: the command runs.
    const desk = await startClaude(0);
    const first = await ask(desk, "approved.txt");
    assert.equal(first.tab, "proj:0");
    assert.equal(first.message, `Bash: touch ${join(work, "approved.txt")}`);
    assert.match(String(first.request_id), /^[A-Za-z0-9_-]{22}$/);
    assert.deepEqual((first.options as { id: string }[]).map((o) => o.id), [
      "once",
      "always",
      "deny",
    ]);
    assert.equal((await phone.exec(`approve ${first.request_id}`)).stdout, "ok\n");
    const ok = await resolved(String(first.request_id));
    assert.deepEqual([ok.outcome, ok.option, ok.decided_by], ["allowed", "once", "phone:Pixel"]);
    await w.desk.waitFor(desk, (s) => s.includes("Allowed by PermissionRequest hook"), 30_000);
    assert.ok((await Deno.stat(join(work, "approved.txt"))).isFile);
    assert.equal((await phone.exec(`deny ${first.request_id}`)).stdout, "error:already_decided\n");

    // 2. Denied from the phone, with a reason Claude Code is given.
    const second = await ask(desk, "denied.txt");
    assert.equal(
      (await phone.exec(`deny ${second.request_id} not on the release branch`)).stdout,
      "ok\n",
    );
    assert.equal((await resolved(String(second.request_id))).outcome, "denied");
    const screen = await w.desk.waitFor(
      desk,
      (s) => s.includes("not on the release branch"),
      30_000,
    );
    assert.match(screen, /Denied by PermissionRequest hook/);
    await assert.rejects(Deno.stat(join(work, "denied.txt")));

    // 3. Answered in Claude Code's own dialog at the desk: the phones are told.
    const third = await ask(desk, "at-desk.txt");
    await w.desk.waitFor(desk, (s) => s.includes("Do you want to proceed?"), 30_000);
    await w.desk.sendKeys(desk, "1");
    const elsewhere = await resolved(String(third.request_id));
    assert.deepEqual([elsewhere.outcome, elsewhere.decided_by], ["elsewhere", "agent"]);
    assert.ok((await Deno.stat(join(work, "at-desk.txt"))).isFile);
    assert.equal(
      (await phone.exec(`approve ${third.request_id}`)).stdout,
      "error:already_decided\n",
    );

    // 4. "always": Claude Code keeps the rule it suggested, and the next such call runs
    // without asking anyone.
    const fourth = await ask(desk, "always.txt");
    assert.equal((await phone.exec(`approve ${fourth.request_id} always`)).stdout, "ok\n");
    assert.equal((await resolved(String(fourth.request_id))).option, "always");
    const asked = stream.records.filter((x) => x.type === "permission").length;
    await idle(desk);
    await w.desk.sendKeys(desk, `FAKE_BASH: touch ${join(work, "unasked.txt")}`);
    await new Promise((r) => setTimeout(r, 300));
    await w.desk.sendKeys(desk, "Enter");
    for (let i = 0; i < 300 && !(await exists(join(work, "unasked.txt"))); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(await exists(join(work, "unasked.txt")), await w.desk.capture(desk));
    assert.equal(stream.records.filter((x) => x.type === "permission").length, asked);

    // 5. No answer within the wait: the dialog is still there, the request expires.
    assert.equal((await init(5)).code, 0);
    const late = await startClaude(1);
    const fifth = await ask(late, "nobody.txt");
    const expired = await resolved(String(fifth.request_id));
    assert.deepEqual([expired.outcome, expired.decided_by], ["expired", "timeout"]);
    const dialog = await w.desk.capture(late);
    assert.match(dialog, /Do you want to proceed\?/);
    await assert.rejects(Deno.stat(join(work, "nobody.txt")));
    assert.equal((await phone.exec(`approve ${fifth.request_id}`)).stdout, "error:not_found\n");
    await w.desk.sendKeys(late, "Escape");

    // Every decision is in the audit log.
    const decisions = w.accessLog().map((l) => JSON.parse(l)).filter((l) =>
      /^(approve|deny) /.test(l.cmd)
    )
      .map((l) => l.result);
    assert.deepEqual(decisions, [
      "ok:allowed:once",
      "denied:already_decided",
      "ok:denied",
      "denied:already_decided",
      "ok:allowed:always",
      "denied:not_found",
    ]);
  } finally {
    for (const s of streams) await s.close();
    await fake.close();
    await w.close();
  }
});

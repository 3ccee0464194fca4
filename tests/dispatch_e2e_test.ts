/**
 * End to end: handoff as a separate process, the real claude and codex CLIs, fake model
 * servers on 127.0.0.1. Each test builds its own world and tears it down.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { lastLine, listRuns, runIdOf, waitFor, withWorld } from "./helpers/handoff.ts";

Deno.test("claude run: tool call writes a file; RUN_ID first, RESULT last; files and ledger", async () => {
  await withWorld(async (w) => {
    const target = join(w.work, "hello.txt");
    const prompt = `--looks-like-a-flag "quotes" $(not a subshell) \`tick\` ~tilde\n` +
      `FAKE_WRITE: ${target} :: hello from the fake\nFAKE_REPLY: I wrote hello.txt`;
    const r = await w.handoff(["run", "--slug", "write hello file", "-"], { stdin: prompt });
    assert.equal(r.code, 0, r.stderr);
    const runId = runIdOf(r.stdout);
    assert.match(runId, /-fa-01-write-hello-file$/);
    assert.equal(r.stdout, `RUN_ID=${runId}\nI wrote hello.txt\n`);
    const resultPath = join(w.home, "tasks", `${runId}.result.md`);
    assert.equal(lastLine(r.stderr), `RESULT=${resultPath}`);
    assert.match(r.stderr, new RegExp(`write ${target}`), "tool call shown as progress");
    assert.equal((await Deno.readTextFile(target)).trim(), "hello from the fake");
    assert.equal(await Deno.readTextFile(resultPath), "I wrote hello.txt");
    assert.equal(await Deno.readTextFile(join(w.home, "tasks", `${runId}.prompt.md`)), prompt);
    const out = await Deno.readTextFile(join(w.home, "tasks", `${runId}.out.txt`));
    assert.match(out, /write .*hello\.txt/);
    assert.equal(lastLine(out), `RESULT=${resultPath}`);
    const raw = await Deno.readTextFile(join(w.home, "runs", `${runId}.jsonl`));
    assert.match(raw.split("\n")[0], /"type":"system","subtype":"init"/);

    // The prompt reached the model intact (stdin, not argv), and inherited ANTHROPIC_* did not leak.
    const req = w.anthropic.requests.find((q) => q.path.startsWith("/v1/messages"));
    assert.ok(req, "the fake saw a request");
    assert.ok(
      JSON.stringify(req.body).includes('--looks-like-a-flag \\"quotes\\" $(not a subshell)'),
    );
    assert.equal((req.body as { model: string }).model, "fake-model");

    const [row] = await listRuns(w);
    assert.equal(row.run_id, runId);
    assert.equal(row.status, "success");
    assert.equal(row.exit_code, 0);
    assert.equal(row.backend_type, "claude");
    assert.equal(row.permission_mode, "bypassPermissions");
    assert.equal(row.model, "fake-model");
    const usage = row.usage as Record<string, number>;
    assert.ok(
      usage.input_tokens > 0 && usage.output_tokens > 0 && usage.turns === 2,
      JSON.stringify(usage),
    );
    assert.ok((usage.cost_usd ?? 0) > 0);
    assert.match(String(row.session_id), /^[0-9a-f-]{36}$/);
  });
});

Deno.test("claude resume: a new linked run whose request carries the earlier conversation", async () => {
  await withWorld(async (w) => {
    const first = await w.handoff([
      "run",
      "--slug",
      "remember",
      "The secret word is PAPAYA. FAKE_REPLY: noted",
    ]);
    assert.equal(first.code, 0, first.stderr);
    const parent = runIdOf(first.stdout);
    const before = w.anthropic.requests.length;
    const resultPath = join(w.home, "tasks", `${parent}.result.md`);
    // Resume by RESULT path, the way a skill would after reading it.
    const r = await w.handoff(["resume", resultPath, "-"], {
      stdin: "What was the word? FAKE_REPLY: PAPAYA",
    });
    assert.equal(r.code, 0, r.stderr);
    const child = runIdOf(r.stdout);
    assert.notEqual(child, parent);
    assert.match(r.stderr, /resume\tSESSION=/);
    const later = w.anthropic.requests.slice(before).filter((q) =>
      q.path.startsWith("/v1/messages")
    );
    assert.ok(
      later.some((q) => JSON.stringify(q.body).includes("The secret word is PAPAYA")),
      "history sent",
    );
    const runs = await listRuns(w);
    const c = runs.find((x) => x.run_id === child)!;
    const p = runs.find((x) => x.run_id === parent)!;
    assert.equal(c.parent_run_id, parent);
    assert.equal(c.session_id, p.session_id);
    assert.equal(c.slug, "remember");
  });
});

Deno.test("codex run and resume: thread id captured, file written, per-run usage", async () => {
  await withWorld(async (w) => {
    const r = await w.handoff(["run", "-b", "cx", "--slug", "codex file", `-`], {
      stdin: "FAKE_BASH: echo made-by-codex > codex.txt\nFAKE_REPLY: made codex.txt",
    });
    assert.equal(r.code, 0, r.stderr);
    const runId = runIdOf(r.stdout);
    assert.match(runId, /-cx-01-codex-file$/);
    assert.equal(r.stdout.split("\n")[1], "made codex.txt");
    assert.match(r.stderr, /\$ echo made-by-codex > codex\.txt/);
    assert.equal((await Deno.readTextFile(join(w.work, "codex.txt"))).trim(), "made-by-codex");
    const again = await w.handoff(["resume", runId, "follow up please FAKE_REPLY: second"]);
    assert.equal(again.code, 0, again.stderr);
    const runs = await listRuns(w);
    const [second, first] = runs;
    assert.equal(first.session_id, second.session_id, "same codex thread");
    assert.match(String(first.session_id), /^[0-9a-f-]{36}$/);
    const lastReq = w.openai.requests.filter((q) => q.path === "/v1/responses").at(-1)!;
    assert.ok(JSON.stringify(lastReq.body).includes("made-by-codex"), "history carried");
    // Codex reports thread totals; each run records only its own share.
    const u1 = first.usage as Record<string, number>;
    const u2 = second.usage as Record<string, number>;
    assert.ok(u1.input_tokens > 0 && u2.input_tokens > 0);
    assert.ok(u2.input_tokens < u1.input_tokens + u2.input_tokens);
    assert.equal(second.permission_mode, "workspace-write");
  });
});

Deno.test("backend errors: HTTP 500 gives exit 1, a clear message, and an error row", async () => {
  await withWorld(async (w) => {
    w.anthropic.setScript({
      rules: [{ match: "explode", steps: [{ error: { status: 500, message: "fake overload" } }] }],
    });
    w.openai.setScript({
      rules: [{ match: "explode", steps: [{ error: { status: 500, message: "fake overload" } }] }],
    });
    for (const backend of ["fake", "cx"]) {
      const r = await w.handoff(["run", "-b", backend, "please explode"]);
      assert.equal(r.code, 1, `${backend}: ${r.stderr}`);
      const runId = runIdOf(r.stdout);
      assert.equal(r.stdout, `RUN_ID=${runId}\n`, "nothing but RUN_ID on stdout");
      assert.match(r.stderr, /handoff run: the backend reported an error: .+/);
      assert.match(lastLine(r.stderr), /^RESULT=.*\.result\.md$/);
      const result = await Deno.readTextFile(lastLine(r.stderr).slice(7));
      assert.match(result, /the backend reported an error/);
      assert.match(result, /JSONL=/);
      const row = (await listRuns(w)).find((x) => x.run_id === runId)!;
      assert.equal(row.status, "error");
      assert.equal(row.exit_code, 1);
    }
  });
});

Deno.test("SIGKILL of handoff mid-run: the run shows as lost, its backend is stopped", async () => {
  await withWorld(async (w) => {
    const child = w.spawn(["run", "--slug", "doomed", `FAKE_BASH: sleep 45 # ${marker("doomed")}`]);
    const reader = child.stdout.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const runId = runIdOf(first);
    // Wait until the backend is busy in its tool call.
    await waitFor(async () =>
      (await Deno.readTextFile(join(w.home, "tasks", `${runId}.out.txt`))).includes("sleep 45")
    );
    child.kill("SIGKILL");
    await child.status;
    reader.releaseLock();
    await child.stdout.cancel();
    await child.stderr.cancel();
    const row = (await listRuns(w)).find((x) => x.run_id === runId)!;
    assert.equal(row.status, "lost");
    await waitFor(async () => !(await pgrep(marker("doomed"))));
    // Reading again does not change it.
    assert.equal((await listRuns(w)).find((x) => x.run_id === runId)!.status, "lost");
  });
});

Deno.test("kill: stops the backend and its tools, marks the run interrupted, run exits 130", async () => {
  await withWorld(async (w) => {
    const child = w.spawn(["run", "--slug", "long job", `FAKE_BASH: sleep 44 # ${marker("kill")}`]);
    const runId = runIdOf(new TextDecoder().decode((await child.stdout.getReader().read()).value));
    await waitFor(async () =>
      (await Deno.readTextFile(join(w.home, "tasks", `${runId}.out.txt`))).includes("sleep 44")
    );
    const k = await w.handoff(["kill", runId]);
    assert.equal(k.code, 0, k.stderr);
    const status = await child.status;
    await child.stderr.cancel();
    assert.equal(status.code, 130);
    const row = (await listRuns(w)).find((x) => x.run_id === runId)!;
    assert.equal(row.status, "interrupted");
    assert.match(
      await Deno.readTextFile(String((row.files as Record<string, string>).result)),
      /^INTERRUPTED\n/,
    );
    assert.match(
      await Deno.readTextFile(String((row.files as Record<string, string>).out)),
      /sleep 44/,
      "partial output kept",
    );
    await waitFor(async () => !(await pgrep(marker("kill"))), 10_000); // died with its CLI
    const again = await w.handoff(["kill", runId]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /not running \(interrupted\)/);
  });
});

Deno.test("SIGHUP to handoff (terminal closed): the run goes on, finishes and records its end", async () => {
  await withWorld(async (w) => {
    const child = w.spawn([
      "run",
      "--slug",
      "hangup",
      `FAKE_BASH: sleep 3 # ${marker("hup")}\nFAKE_REPLY: finished after the hang-up`,
    ]);
    const runId = runIdOf(new TextDecoder().decode((await child.stdout.getReader().read()).value));
    await waitFor(async () =>
      (await Deno.readTextFile(join(w.home, "tasks", `${runId}.out.txt`))).includes("sleep 3")
    );
    child.kill("SIGHUP");
    const status = await child.status;
    await child.stderr.cancel();
    assert.equal(status.code, 0);
    const row = (await listRuns(w)).find((x) => x.run_id === runId)!;
    assert.equal(row.status, "success");
    const out = await Deno.readTextFile(join(w.home, "tasks", `${runId}.out.txt`));
    assert.match(out, /the terminal hung up: the run goes on/);
    assert.equal(
      await Deno.readTextFile(join(w.home, "tasks", `${runId}.result.md`)),
      "finished after the hang-up",
    );
  });
});

Deno.test("a backend killed mid-run: the run ends error, exit 1, partial output kept", async () => {
  await withWorld(async (w) => {
    const child = w.spawn(["run", "--slug", "victim", `FAKE_BASH: sleep 42 # ${marker("victim")}`]);
    const runId = runIdOf(new TextDecoder().decode((await child.stdout.getReader().read()).value));
    await waitFor(async () =>
      (await Deno.readTextFile(join(w.home, "tasks", `${runId}.out.txt`))).includes("sleep 42")
    );
    const running = (await listRuns(w)).find((x) => x.run_id === runId)!;
    assert.equal(running.status, "running");
    await new Promise((r) => setTimeout(r, 1500)); // handoff notes the tool's process
    // Someone kills the agent CLI itself (not handoff): handoff must notice and finish.
    const db = new (await import("node:sqlite")).DatabaseSync(join(w.home, "handoff.db"));
    const { pid } = db.prepare("SELECT pid FROM runs WHERE run_id = ?").get(runId) as {
      pid: number;
    };
    db.close();
    Deno.kill(pid, "SIGKILL");
    const status = await child.status;
    const stderr = await new Response(child.stderr).text();
    assert.equal(status.code, 1, stderr);
    assert.match(stderr, /was killed by SIGKILL/);
    assert.match(lastLine(stderr), /^RESULT=/);
    const row = (await listRuns(w)).find((x) => x.run_id === runId)!;
    assert.equal(row.status, "error");
    const files = row.files as Record<string, string>;
    assert.match(await Deno.readTextFile(files.out), /sleep 42/, "partial progress kept");
    assert.match(await Deno.readTextFile(files.raw), /"type":"system"/, "raw stream kept");
    assert.match(await Deno.readTextFile(files.result), /killed by SIGKILL/);
    await waitFor(async () => !(await pgrep(marker("victim"))), 10_000);
  });
});

Deno.test("--timeout: the backend and its tools are stopped; error, exit 124, output kept", async () => {
  await withWorld(async (w) => {
    const r = await w.handoff([
      "run",
      "--timeout",
      "6s",
      "--slug",
      "slow",
      `FAKE_BASH: sleep 41 # ${marker("slow")}`,
    ]);
    assert.equal(r.code, 124, r.stderr);
    assert.match(r.stderr, /timed out after 6\.0s: stopping the backend/);
    assert.match(r.stderr, /handoff run: timed out after 6\.0s: the backend was stopped/);
    assert.match(lastLine(r.stderr), /^RESULT=/);
    const row = (await listRuns(w)).find((x) => x.run_id === runIdOf(r.stdout))!;
    assert.equal(row.status, "error");
    assert.match(String(row.error), /timed out after 6\.0s/);
    const files = row.files as Record<string, string>;
    assert.match(await Deno.readTextFile(files.result), /timed out after 6\.0s/);
    const out = await Deno.readTextFile(files.out);
    assert.match(out, /\$ sleep 41/, "the tool had started: partial progress kept");
    assert.match(out, /timed out after 6\.0s/);
    await waitFor(async () => !(await pgrep(marker("slow"))), 10_000);

    // A run that ends in time is not touched by its timeout.
    const quick = await w.handoff(["run", "-t", "5m", "FAKE_REPLY: in time"]);
    assert.equal(quick.code, 0, quick.stderr);
    assert.match(quick.stdout, /in time/);

    const bad = await w.handoff(["run", "--timeout", "soon", "hi"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--timeout takes a duration such as 90s, 30m or 2h, got "soon"/);
  });
});

Deno.test("twenty runs started at once each get their own id; no database is locked", async () => {
  await withWorld(async (w) => {
    const results = await Promise.all(
      Array.from(
        { length: 20 },
        (_, i) =>
          w.handoff(["run", "--slug", "crowd", `job ${i} FAKE_REPLY: done ${i}`], {
            timeoutMs: 120_000,
          }),
      ),
    );
    const ids = results.map((r) => runIdOf(r.stdout));
    for (const [i, r] of results.entries()) {
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stderr, /locked/i);
      assert.equal(r.stdout.split("\n")[1], `done ${i}`);
    }
    assert.equal(new Set(ids).size, 20);
    const seqs = ids.map((id) => id.split("-")[2]).sort();
    assert.deepEqual(seqs, Array.from({ length: 20 }, (_, i) => String(i + 1).padStart(2, "0")));
    const runs = await listRuns(w);
    assert.equal(runs.filter((r) => r.status === "success").length, 20);
  });
});

Deno.test("new + run: a reserved id is adopted once; a second dispatch is rejected", async () => {
  await withWorld(async (w) => {
    const n = await w.handoff(["new", "--slug", "codex flow", "--write"], {
      stdin: "FAKE_REPLY: adopted",
    });
    assert.equal(n.code, 0, n.stderr);
    const file = n.stdout.trim();
    assert.match(file, /tasks\/\d{4}-fa-01-codex-flow\.prompt\.md$/);
    assert.equal((await listRuns(w))[0].status, "reserved");
    const r = await w.handoff(["run", file]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(runIdOf(r.stdout), file.split("/").pop()!.replace(".prompt.md", ""));
    const dup = await w.handoff(["run", file]);
    assert.equal(dup.code, 2);
    assert.match(dup.stderr, /duplicate dispatch rejected/);
    const runs = await listRuns(w);
    assert.equal(runs.length, 1);
    assert.equal(runs[0].status, "success");
  });
});

Deno.test("wait and tail on a finished run; tail --json gives normalized events", async () => {
  await withWorld(async (w) => {
    const r = await w.handoff(["run", "FAKE_BASH: true\nFAKE_REPLY: all good"]);
    const runId = runIdOf(r.stdout);
    const wait = await w.handoff(["wait", runId]);
    assert.equal(wait.code, 0);
    assert.match(lastLine(wait.stderr), /^RESULT=/);
    assert.equal(wait.stdout, "all good\n", "wait prints the answer, as run does");
    // tail prints as run does: progress on stderr, the answer on stdout, RESULT= last.
    const tail = await w.handoff(["tail", runId]);
    assert.equal(tail.code, 0);
    assert.match(tail.stderr, /\$ true/);
    assert.equal(tail.stdout, "all good\n");
    assert.match(lastLine(tail.stderr), /^RESULT=/);
    const json = await w.handoff(["tail", runId, "--json"]);
    const events = json.stdout.trim().split("\n").map((l) => JSON.parse(l));
    const shown = events.map((e) => e.kind).filter((k) => !["info", "text", "usage"].includes(k));
    assert.deepEqual(shown, ["session", "tool", "result", "end"]);
    assert.ok(events.some((e) => e.kind === "usage" && e.cumulative), "the final totals");
    assert.equal(events.at(-1).run.status, "success");
  });
});

Deno.test("bad input: clear errors, exit 2, nothing recorded", async () => {
  await withWorld(async (w) => {
    let r = await w.handoff(["run", "-b", "nope", "hi"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown backend "nope"\. Available: fake, cx/);

    r = await w.handoff(["run", "--cwd", join(w.dir, "missing"), "hi"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /working directory not found/);

    r = await w.handoff(["run", "  "]);
    assert.equal(r.code, 2);

    r = await w.handoff(["resume", "0101-zz-99-nothing", "hi"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no run found/);

    r = await w.handoff(["run", "--bogus-flag", "x"]);
    assert.equal(r.code, 2);

    await Deno.writeTextFile(
      w.configFile,
      "backends:\n  fake:\n    type: claude\n    model: [unclosed\n",
    );
    r = await w.handoff(["run", "hi"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /config\.yaml:\d+:\d+: .*sequence/);

    await Deno.writeTextFile(
      w.configFile,
      "backends:\n  fake:\n    type: claude\n    model: m\n    env:\n      ANTHROPIC_AUTH_TOKEN: ${UNSET_TOKEN_VAR}\n",
    );
    r = await w.handoff(["run", "hi"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /UNSET_TOKEN_VAR is not set/);

    await Deno.writeTextFile(
      w.configFile,
      "backends:\n  fake:\n    type: claude\n    model: m\n    command: /nonexistent/claude\n",
    );
    r = await w.handoff(["run", "hi"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /\/nonexistent\/claude not found/);

    await Deno.writeTextFile(w.configFile, "backends:\n  fake:\n    type: gemini\n    model: m\n");
    r = await w.handoff(["run", "hi"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /config\.yaml:3:\d+: backend "fake" has unknown type "gemini"/);

    assert.deepEqual(await listRuns(w), [], "no row was left behind");
  });
});

Deno.test("resume refuses to switch backend type", async () => {
  await withWorld(async (w) => {
    const r = await w.handoff(["run", "FAKE_REPLY: one"]);
    const runId = runIdOf(r.stdout);
    const x = await w.handoff(["resume", runId, "-b", "cx", "two"]);
    assert.equal(x.code, 2);
    assert.match(x.stderr, /is a claude conversation .* cannot continue on "cx" \(type codex\)/);
  });
});

/** A process marker unique to this test process, so concurrent runs never see each other. */
const RUN_TAG = crypto.randomUUID().slice(0, 8);
function marker(name: string): string {
  return `${name}-marker-${RUN_TAG}`;
}

async function pgrep(pattern: string): Promise<boolean> {
  const out = await new Deno.Command("pgrep", {
    args: ["-f", pattern],
    stdout: "null",
    stderr: "null",
  }).output();
  return out.code === 0;
}

/**
 * Dispatch when things go wrong, with the real claude CLI against the fake server: a
 * ledger emptied, corrupted, on a read-only or full disk; runs whose supervisor died; a
 * terminal that hangs up; names that match several runs; reservations; hooks fed garbage.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { lastLine, listRuns, runIdOf, waitFor, withWorld, type World } from "./helpers/handoff.ts";
import { startTmux } from "./helpers/tmux.ts";
import { insertRun } from "../core/ledger.ts";
import { openDb } from "../core/store.ts";

const TAG = crypto.randomUUID().slice(0, 8);
const marker = (name: string) => `${name}-dmg-${TAG}`;

function files(w: World, runId: string) {
  return {
    prompt: join(w.home, "tasks", `${runId}.prompt.md`),
    out: join(w.home, "tasks", `${runId}.out.txt`),
    result: join(w.home, "tasks", `${runId}.result.md`),
    raw: join(w.home, "runs", `${runId}.jsonl`),
  };
}

/** Starts a run that sits in a tool call until killed; resolves once it is running. */
async function busyRun(w: World, slug: string, seconds = 40) {
  const child = w.spawn(["run", "--slug", slug, `FAKE_BASH: sleep ${seconds} # ${marker(slug)}`]);
  const reader = child.stdout.getReader();
  const runId = runIdOf(new TextDecoder().decode((await reader.read()).value));
  reader.releaseLock();
  await waitFor(async () => (await Deno.readTextFile(files(w, runId).out)).includes("sleep"));
  return { child, runId };
}

async function drop(child: Deno.ChildProcess) {
  try {
    child.kill("SIGKILL");
  } catch { /* gone */ }
  await child.status;
  await child.stdout.cancel().catch(() => {});
  await child.stderr.cancel().catch(() => {});
}

Deno.test("an emptied ledger is rebuilt from the run files; no id (and no file) is handed out twice", async () => {
  await withWorld(async (w) => {
    const a = await w.handoff(["run", "-s", "first-try", "FAKE_REPLY: answer one"]);
    const b = await w.handoff(["run", "-s", "second", "FAKE_REPLY: answer two"]);
    const idA = runIdOf(a.stdout);
    const idB = runIdOf(b.stdout);
    const killed = await busyRun(w, "doomed");
    await drop(killed.child); // its supervisor dies: no result file
    const before = await Deno.readFile(files(w, idA).prompt);
    const resultBefore = await Deno.readTextFile(files(w, idA).result);
    // The obvious "fix" for a corrupt file.
    await Deno.truncate(join(w.home, "handoff.db"), 0);
    for (const f of ["-wal", "-shm"]) {
      await Deno.remove(join(w.home, `handoff.db${f}`)).catch(() => {});
    }

    const list = await w.handoff(["list", "--json"]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stderr, /rebuilt them/);
    const rows = JSON.parse(list.stdout) as Record<string, string>[];
    const status = Object.fromEntries(rows.map((r) => [r.run_id, r.status]));
    assert.equal(status[idA], "success");
    assert.equal(status[idB], "success");
    assert.equal(status[killed.runId], "lost");
    assert.match(await Deno.readTextFile(files(w, killed.runId).result), /^LOST\n/);
    assert.equal(rows.find((r) => r.run_id === idA)!.title, "FAKE_REPLY: answer one");
    // Said once: the next command is quiet.
    assert.doesNotMatch((await w.handoff(["list", "--json"])).stderr, /rebuilt/);

    // Same slug again: a new sequence number; the old run's files are untouched.
    const again = await w.handoff(["run", "-s", "first-try", "FAKE_REPLY: answer three"]);
    assert.equal(again.code, 0, again.stderr);
    const idC = runIdOf(again.stdout);
    assert.notEqual(idC, idA);
    assert.match(idC, /-04-first-try$/, "past the three runs of the day");
    assert.deepEqual(await Deno.readFile(files(w, idA).prompt), before);
    assert.equal(await Deno.readTextFile(files(w, idA).result), resultBefore);
  });
});

Deno.test("run ids: the same day next year continues the numbering (no UNIQUE crash); files on disk are skipped", async () => {
  const dir = await Deno.makeTempDir({ prefix: "handoff-ids-" });
  try {
    const db = openDb(join(dir, "handoff.db"));
    const base = {
      backend: "fake",
      backendType: "claude",
      slug: "same",
      cwd: dir,
      title: "t",
      status: "reserved" as const,
      home: dir,
    };
    const thisYear = insertRun(db, { ...base, now: new Date(2026, 11, 1, 10) });
    assert.equal(thisYear.run_id, "1201-fa-01-same");
    const nextYear = insertRun(db, { ...base, now: new Date(2027, 11, 1, 10) });
    assert.equal(nextYear.run_id, "1201-fa-02-same");
    // A file of an id the ledger does not know (a lost row) is never overwritten.
    await Deno.mkdir(join(dir, "tasks"));
    await Deno.writeTextFile(join(dir, "tasks", "1201-fa-03-same.prompt.md"), "keep me");
    db.exec("DELETE FROM run_counters");
    const third = insertRun(db, { ...base, now: new Date(2027, 11, 1, 11) });
    assert.equal(third.run_id, "1201-fa-04-same");
    db.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a corrupt ledger: a clear message (not a trace), and doctor --repair rebuilds it keeping what it can", async () => {
  await withWorld(async (w) => {
    const r = await w.handoff(["run", "-s", "kept", "FAKE_REPLY: still here"]);
    const id = runIdOf(r.stdout);
    // A device row, which the files cannot tell: the repair copies it from the old file.
    const db = new DatabaseSync(join(w.home, "handoff.db"));
    db.exec(
      `INSERT INTO devices (name, fingerprint, status, sessions, nonce, created_at)
       VALUES ('Phone', 'SHA256:${
        "A".repeat(43)
      }', 'active', '["*"]', 'n', '2026-01-01T00:00:00Z')`,
    );
    db.close();
    // Damage the runs table's pages (the schema and the devices stay readable).
    const file = join(w.home, "handoff.db");
    const meta = new DatabaseSync(file);
    const { rootpage } = meta.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'runs'")
      .get() as { rootpage: number };
    const pageSize = Number(
      (meta.prepare("PRAGMA page_size").get() as { page_size: number })
        .page_size,
    );
    meta.close();
    const bytes = await Deno.readFile(file);
    const start = (rootpage - 1) * pageSize;
    for (let i = start; i < start + pageSize; i++) bytes[i] = 0x5a;
    await Deno.writeFile(file, bytes);

    const list = await w.handoff(["list", "--json"]);
    assert.equal(list.code, 1, list.stderr);
    assert.match(list.stderr, /the run ledger .*handoff\.db is damaged/);
    assert.match(list.stderr, /handoff doctor --repair/);
    assert.doesNotMatch(list.stderr, /internal error|at .*\.ts:\d+/);

    const repair = await w.handoff(["doctor", "--repair", "--json"]);
    const report = JSON.parse(repair.stdout).repair;
    assert.match(report.moved_to, /handoff\.db\.damaged-\d{8}-\d{6}$/);
    assert.ok((await Deno.stat(report.moved_to)).isFile, "the damaged file is kept");
    const rows = await listRuns(w);
    assert.equal(rows.find((x) => x.run_id === id)?.status, "success");
    const devices = JSON.parse((await w.handoff(["devices", "--json"])).stdout);
    assert.deepEqual(devices.map((d: { name: string }) => d.name), ["Phone"]);
  });
});

/** A tmpfs of `size` for a home (root only); null with the reason when this machine cannot. */
async function tmpfs(size: string): Promise<{ dir: string; close(): Promise<void> } | string> {
  if (Deno.uid() !== 0) return "not root: cannot mount a tmpfs";
  const dir = await Deno.makeTempDir({ prefix: "handoff-tmpfs-" });
  const mount = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir],
    stderr: "piped",
  }).output();
  if (!mount.success) {
    await Deno.remove(dir);
    return `mount -t tmpfs refused: ${new TextDecoder().decode(mount.stderr).trim()}`;
  }
  return {
    dir,
    async close() {
      await new Deno.Command("umount", { args: ["-l", dir] }).output();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

async function remount(dir: string, mode: "ro" | "rw") {
  const r = await new Deno.Command("mount", { args: ["-o", `remount,${mode}`, dir] }).output();
  assert.ok(r.success, `remount ${mode}`);
}

/**
 * A world whose home is on a tmpfs of `size` (with the world's config); says why and
 * returns when this machine cannot mount one.
 */
async function withTmpfsHome(
  size: string,
  fn: (w: World, env: { HANDOFF_HOME: string }, mount: string) => Promise<void>,
): Promise<void> {
  const fs = await tmpfs(size);
  if (typeof fs === "string") {
    console.warn(`  SKIPPED (cannot run here): ${fs}`);
    return;
  }
  try {
    await withWorld(async (w) => {
      const home = join(fs.dir, "home");
      await Deno.mkdir(home, { mode: 0o700 });
      await Deno.copyFile(w.configFile, join(home, "config.yaml"));
      await fn(w, { HANDOFF_HOME: home }, fs.dir);
    });
  } finally {
    await fs.close();
  }
}

Deno.test("a read-only home: list, tail and env work; run says what to do (exit 1)", async () => {
  await withTmpfsHome("8m", async (w, env, mount) => {
    const r = await w.handoff(["run", "-s", "ro", "FAKE_REPLY: on a read-only disk later"], {
      env,
    });
    const id = runIdOf(r.stdout);
    await remount(mount, "ro");
    try {
      const list = await w.handoff(["list", "--json"], { env });
      assert.equal(list.code, 0, list.stderr);
      assert.equal(JSON.parse(list.stdout)[0].run_id, id);
      const tail = await w.handoff(["tail", id], { env });
      assert.equal(tail.code, 0, tail.stderr);
      assert.equal(tail.stdout, "on a read-only disk later\n");
      assert.equal((await w.handoff(["env"], { env })).code, 0);
      const run = await w.handoff(["run", "FAKE_REPLY: no"], { env });
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /is read-only/);
      assert.match(run.stderr, /--home/);
      assert.doesNotMatch(run.stderr, /internal error/);
    } finally {
      await remount(mount, "rw");
    }
  });
});

Deno.test("a full disk: refused with where to free space; mid-run, the run still ends with a status and RESULT=", async () => {
  await withTmpfsHome("3m", async (w, env, mount) => {
    // The tool fills the disk while the run goes: every later write of handoff fails.
    const filler = join(mount, "filler");
    const r = await w.handoff([
      "run",
      "-s",
      "fills",
      `FAKE_BASH: head -c 8000000 /dev/zero > ${filler}; true\nFAKE_REPLY: the answer survives`,
    ], { env });
    assert.match(r.stdout, /^RUN_ID=/);
    assert.match(lastLine(r.stderr), /^RESULT=.*\.result\.md$/);
    assert.doesNotMatch(r.stderr, /internal error/);
    assert.match(r.stdout, /the answer survives/, "the answer still reaches the caller");
    assert.equal(r.code, 0, r.stderr);
    // Full from the start: a clear refusal.
    const full = await w.handoff(["run", "FAKE_REPLY: no room"], { env });
    assert.equal(full.code, 1, full.stderr);
    assert.match(full.stderr, /no space left on the disk that holds/);
    assert.match(full.stderr, /handoff prune/);
    await Deno.remove(filler);
  });
});

Deno.test("a lost run's RESULT= names a file that exists; wait and tail print it last", async () => {
  await withWorld(async (w) => {
    const { child, runId } = await busyRun(w, "vanishing");
    await drop(child);
    const wait = await w.handoff(["wait", runId]);
    assert.equal(wait.code, 1);
    const result = lastLine(wait.stderr).replace(/^RESULT=/, "");
    assert.equal(result, files(w, runId).result);
    const text = await Deno.readTextFile(result);
    assert.match(text, /^LOST\n\nhandoff: the handoff process supervising this run died/);
    assert.match(text, /sleep 40/, "with the partial output");
    const tail = await w.handoff(["tail", runId]);
    assert.equal(lastLine(tail.stderr), `RESULT=${result}`);
  });
});

Deno.test("a run outlives the tmux window that started it; --detach returns at once", async () => {
  await withWorld(async (w) => {
    const t = await startTmux();
    try {
      const env = Object.entries(w.env).map(([k, v]) => `${k}='${v.replaceAll("'", "'\\''")}'`)
        .join(" ");
      await t.newSession("desk", { cmd: ["/bin/sh", "-i"], cwd: w.work });
      await t.waitFor("=desk", (s) => s.includes("#") || s.includes("$"));
      const main = new URL("../main.ts", import.meta.url).pathname;
      // `handoff run … &` typed into the window's shell, as a person does.
      await t.sendKeys(
        "=desk",
        `env ${env} ${Deno.execPath()} run -A --quiet ${main} run -s bg ` +
          `"$(printf 'FAKE_BASH: sleep 3 # ${
            marker("bg")
          }\\nFAKE_REPLY: done after the window closed')" &`,
        "Enter",
      );
      let runId = "";
      await waitFor(async () => {
        const rows = await listRuns(w);
        runId = String(rows.find((r) => r.slug === "bg")?.run_id ?? "");
        return runId !== "" && (await Deno.readTextFile(files(w, runId).out)).includes("sleep");
      });
      await t.tmux("kill-window", "-t", "=desk:0");
      const wait = await w.handoff(["wait", runId, "--timeout", "60s"]);
      assert.equal(wait.code, 0, wait.stderr);
      assert.equal(wait.stdout, "done after the window closed\n");
    } finally {
      await t.close();
    }

    const t0 = Date.now();
    const d = await w.handoff([
      "run",
      "--detach",
      "-s",
      "detached",
      "FAKE_BASH: sleep 4\nFAKE_REPLY: detached done",
    ]);
    assert.equal(d.code, 0, d.stderr);
    const id = runIdOf(d.stdout);
    assert.equal(d.stdout, `RUN_ID=${id}\n`);
    assert.match(d.stderr, /detached: .* runs on its own/);
    const row = (await listRuns(w)).find((r) => r.run_id === id)!;
    assert.equal(
      row.status,
      "running",
      `returned after ${Date.now() - t0} ms, before the run ended`,
    );
    const waited = await w.handoff(["wait", id, "--timeout", "60s"]);
    assert.equal(waited.code, 0, waited.stderr);
    assert.equal(waited.stdout, "detached done\n");
    const dj = await w.handoff(["run", "--detach", "--json", "FAKE_REPLY: json"]);
    const doc = JSON.parse(dj.stdout);
    assert.equal(doc.detached, true);
    assert.equal((await w.handoff(["wait", doc.run_id])).code, 0);
  });
});

Deno.test("a name means the run a person means: kill and wait pick the running one; resume refuses a busy conversation", async () => {
  await withWorld(async (w) => {
    const done = await w.handoff(["run", "-s", "busy-one", "FAKE_REPLY: the first"]);
    const first = runIdOf(done.stdout);
    const { child, runId: second } = await busyRun(w, "busy-one");
    try {
      // wait by name: the running one (still going after 1 s), not the finished one.
      const wait = await w.handoff(["wait", "busy-one", "--timeout", "1s"]);
      assert.equal(wait.code, 124, wait.stderr);
      assert.match(wait.stderr, new RegExp(`${second} is still running`));
      const busy = await w.handoff(["resume", "busy-one", "FAKE_REPLY: at the same time"]);
      assert.equal(busy.code, 1);
      assert.match(busy.stderr, new RegExp(`still running: ${second}`));
      assert.match(busy.stderr, /--force/);
      const kill = await w.handoff(["kill", "busy-one", "--json"]);
      assert.equal(kill.code, 0, kill.stderr);
      assert.deepEqual(JSON.parse(kill.stdout), { run_id: second, status: "interrupted" });
      const resume = await w.handoff(["resume", first, "FAKE_REPLY: a second turn"]);
      assert.equal(resume.code, 0, "a conversation with no running turn resumes");
    } finally {
      await drop(child);
    }
  });
});

Deno.test("reserved runs: every command finds them, says how to start them, never hangs; kill cancels", async () => {
  await withWorld(async (w) => {
    const made = await w.handoff(["new", "--slug", "later", "--json"]);
    const { run_id: id, prompt_file: prompt } = JSON.parse(made.stdout);
    for (
      const args of [["tail", id], ["wait", id, "--timeout", "3s"], ["resume", id, "x"], [
        "tail",
        "later",
      ]]
    ) {
      const t0 = Date.now();
      const r = await w.handoff(args, { timeoutMs: 20_000 });
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /reserved \(not started\): run it with `handoff run .*\.prompt\.md`/);
      assert.ok(Date.now() - t0 < 15_000, "answers at once");
    }
    const kill = await w.handoff(["kill", id]);
    assert.equal(kill.code, 0, kill.stderr);
    assert.match(kill.stderr, /cancelled the reservation/);
    assert.equal((await listRuns(w)).some((r) => r.run_id === id), false);
    assert.match(prompt, /\.prompt\.md$/);
  });
});

Deno.test("a hook never blocks the agent: garbage, empty or {} on stdin exit 0 and record nothing", async () => {
  await withWorld(async (w) => {
    for (const stdin of ["garbage{", "", "{}", "[1,2]", "null"]) {
      const r = await w.handoff(["notify", "--source", "claude-code"], { stdin });
      assert.equal(r.code, 0, `${JSON.stringify(stdin)}: ${r.stderr}`);
      assert.match(r.stderr, /nothing recorded/);
    }
    const codex = await w.handoff(["notify", "{not json"]);
    assert.equal(codex.code, 0);
    const events = await w.handoff(["events", "--json"]);
    assert.equal(events.stdout.trim().split("\n").filter((l) => l.includes('"id"')).length, 0);
    // A person's own call is still checked: no message is a usage error.
    const bare = await w.handoff(["notify"]);
    assert.equal(bare.code, 2);
  });
});

Deno.test("config and flags say what they mean: top-level typo, empty -m, absolute command, -C file", async () => {
  await withWorld(async (w) => {
    const good = await Deno.readTextFile(w.configFile);
    await Deno.writeTextFile(w.configFile, good.replace("backends:", "backendz:"));
    let r = await w.handoff(["run", "FAKE_REPLY: x"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /config\.yaml:1:1: unknown key "backendz" \(known: /);
    await Deno.writeTextFile(w.configFile, good);
    r = await w.handoff(["run", "-m", "", "FAKE_REPLY: x"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /-m\/--model needs a model name/);
    await Deno.writeTextFile(
      w.configFile,
      good.replace("    type: claude\n", "    type: claude\n    command: /nope/claude\n"),
    );
    r = await w.handoff(["run", "FAKE_REPLY: x"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /\/nope\/claude not found \(or not executable\)/);
    assert.doesNotMatch(r.stderr, /on PATH/);
    await Deno.writeTextFile(w.configFile, good);
    const file = join(w.work, "notes.txt");
    await Deno.writeTextFile(file, "x");
    r = await w.handoff(["run", "-C", file, "FAKE_REPLY: x"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is not a directory/);
    assert.equal((await listRuns(w)).length, 0, "nothing recorded");
  });
});

Deno.test("prompts arrive exactly as sent: bytes kept; a bare word naming a file or directory; a prompt like an option", async () => {
  await withWorld(async (w) => {
    const bytes = new Uint8Array([
      ...new TextEncoder().encode("FAKE_REPLY: latin1 "),
      0xe9,
      0x74,
      0xe9,
      0x0a,
    ]);
    const child = w.spawn(["run", "-s", "bytes", "-"], { stdin: "x" });
    const writer = child.stdin.getWriter();
    await writer.write(bytes);
    await writer.close();
    const out = await child.output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    const id = runIdOf(new TextDecoder().decode(out.stdout));
    assert.deepEqual(await Deno.readFile(files(w, id).prompt), bytes, "stored byte for byte");
    assert.match(
      stderr,
      /not valid UTF-8: .* keeps its bytes as given; the backend gets 2 invalid/,
    );

    await Deno.mkdir(join(w.work, "proj"));
    let r = await w.handoff(["run", "proj"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /"proj" is a directory, not a prompt/);
    assert.match(r.stderr, /-C proj/);
    await Deno.writeTextFile(join(w.work, "task"), "FAKE_REPLY: from the file");
    r = await w.handoff(["run", "task"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`PROMPT_FILE=${join(w.work, "task")}`));
    assert.equal(r.stdout.split("\n")[1], "from the file");
    r = await w.handoff(["run", "--help me"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /goes after --/);
  });
});

Deno.test("output people can use: run/new/kill --json; events name the run; list's cost total; rm and prune", async () => {
  await withWorld(async (w) => {
    const j = await w.handoff(["run", "--json", "-s", "as-json", "FAKE_REPLY: in json"]);
    assert.equal(j.code, 0, j.stderr);
    const doc = JSON.parse(j.stdout);
    assert.equal(doc.status, "success");
    assert.equal(doc.answer, "in json");
    assert.match(doc.run_id, /-as-json$/);
    assert.equal(typeof doc.usage.cost_estimated, "boolean");
    const events = await w.handoff(["events"]);
    assert.match(events.stdout, new RegExp(`run-success .*\\(${doc.run_id}\\)`));
    const list = await w.handoff(["list", "--limit", "5"]);
    if (doc.usage.cost_usd) {
      assert.match(
        list.stderr,
        /1 run listed · cost \$[\d.]+ est\./,
        "a fake endpoint: an estimate",
      );
    }

    const other = runIdOf((await w.handoff(["run", "-s", "to-remove", "FAKE_REPLY: bye"])).stdout);
    const rm = await w.handoff(["rm", other, "--json"]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.deepEqual(JSON.parse(rm.stdout).removed, [other]);
    for (const f of Object.values(files(w, other))) await assert.rejects(() => Deno.stat(f));
    const { child, runId: running } = await busyRun(w, "keeps-going");
    try {
      const never = await w.handoff(["rm", running]);
      assert.match(never.stderr, /is running: kept/);
      const dry = await w.handoff(["prune", "--older-than", "1s", "--dry-run"]);
      assert.match(dry.stderr, new RegExp(`would remove ${doc.run_id}`));
      assert.doesNotMatch(dry.stderr, new RegExp(running));
      const prune = await w.handoff(["prune", "--older-than", "1s", "--status", "success"]);
      assert.equal(prune.code, 0, prune.stderr);
      const left = (await listRuns(w)).map((r) => r.run_id);
      assert.deepEqual(left, [running]);
      assert.equal((await w.handoff(["prune", "--older-than", "soon"])).code, 2);
    } finally {
      await drop(child);
    }
  });
});

Deno.test("first contact: env and bare handoff say to run init; bare handoff lists the latest runs", async () => {
  await withWorld(async (w) => {
    const fresh = { HANDOFF_HOME: join(w.dir, "fresh") };
    const env = await w.handoff(["env"], { env: fresh });
    assert.equal(env.code, 0);
    assert.match(env.stderr, /no config yet: run `handoff init`/);
    const bare = await w.handoff([], { env: fresh });
    assert.match(bare.stdout, /^Runs\n {2}No config yet: handoff init\n/);
    const r = await w.handoff(["run", "-s", "shown-here", "FAKE_REPLY: hi"]);
    const id = runIdOf(r.stdout);
    const status = await w.handoff([]);
    assert.match(status.stdout, new RegExp(`^Runs\\n.*${id}.*success`, "m"));
    const json = JSON.parse((await w.handoff(["--json"])).stdout);
    assert.equal(json.runs[0].run_id, id);
  });
});

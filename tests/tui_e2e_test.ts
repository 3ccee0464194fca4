/**
 * The full-screen `handoff list` / `handoff tail` in a real tmux pane (private server),
 * driven with send-keys and read with capture-pane, against a world with fake model
 * servers and the real claude / codex CLIs.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openDb } from "../core/store.ts";
import { finishRun, insertRun } from "../core/ledger.ts";
import { emptyUsage } from "../core/events.ts";
import { createRequest, requestById } from "../plugins/approvals/requests.ts";
import { claudeOptions } from "../plugins/approvals/summary.ts";
import { defaultConfig, listRuns, MAIN, startWorld, type World } from "./helpers/handoff.ts";
import { startTmux, type Tmux } from "./helpers/tmux.ts";

const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] running/;
// deno-lint-ignore no-control-regex
const COLOUR = /\x1b\[(3[0-7]|9[0-7]|38;)/;

let denoDir: string | undefined;
/** The cache of this Deno: the world's HOME is empty, and a cold cache would start slowly. */
async function cacheDir(): Promise<string> {
  if (denoDir) return denoDir;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return denoDir = JSON.parse(new TextDecoder().decode(out.stdout)).denoDir;
}

/** `handoff <args>` in a new pane, with exactly the world's environment (+ colour or not). */
async function handoffPane(
  t: Tmux,
  w: World,
  name: string,
  args: string[],
  o: { width?: number; height?: number; color?: boolean } = {},
) {
  const env: Record<string, string> = {
    ...w.env,
    DENO_DIR: await cacheDir(),
    TERM: "xterm-256color",
  };
  if (o.color) delete env.NO_COLOR;
  await t.newSession(name, {
    width: o.width ?? 80,
    height: o.height ?? 24,
    cwd: w.work,
    // After handoff exits, its exit status is shown and the pane stays (tmux's own
    // pane_dead_status is empty in 3.3a when other sessions exist).
    cmd: [
      "sh",
      "-c",
      '"$@"; echo "[exit $?]"; exec sleep 600',
      "sh",
      "env",
      "-i",
      ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
      Deno.execPath(),
      "run",
      "-A",
      "--quiet",
      MAIN,
      ...args,
    ],
  });
  return `=${name}`;
}

const lines = (screen: string) => screen.replace(/\n$/, "").split("\n");
/** The highlighted row (the one with the › marker). */
const selected = (screen: string) => lines(screen).find((l) => l.startsWith("›")) ?? "";
const has = (...parts: (string | RegExp)[]) => (screen: string) =>
  parts.every((p) => typeof p === "string" ? screen.includes(p) : p.test(screen));

/** Waits for handoff in the pane to exit; its exit status. */
async function paneExit(t: Tmux, target: string): Promise<string> {
  const s = await t.waitFor(target, (x) => /\[exit \d+\]/.test(x));
  return /\[exit (\d+)\]/.exec(s)![1];
}

/** Finished runs written straight into the ledger (no files): rows to scroll through. */
function fillers(w: World, n: number) {
  const db = openDb(join(w.home, "handoff.db"));
  try {
    for (let i = 0; i < n; i++) {
      const r = insertRun(db, {
        backend: "fake",
        backendType: "claude",
        slug: `filler ${i}`,
        cwd: w.work,
        title: `filler task ${i}`,
        status: "running",
      });
      finishRun(db, r.run_id, {
        status: i % 6 === 0 ? "error" : "success",
        exitCode: 0,
        error: null,
        usage: emptyUsage(),
        threadUsage: null,
      });
    }
  } finally {
    db.close();
  }
}

Deno.test("tui list: navigation, the four detail tabs, filters, resize, NO_COLOR, open", async () => {
  // "probe": a stand-in interactive CLI (codex type) that echoes one line read from the
  // terminal, to see `o` hand the terminal over.
  const w = await startWorld({
    config: (w) =>
      defaultConfig(w) +
      `  probe:\n    type: codex\n    model: m\n    command: ${join(w.dir, "probe.sh")}\n`,
  });
  const t = await startTmux();
  try {
    fillers(w, 30);
    const [a, b] = await Promise.all([
      w.handoff(["run", "--slug", "alpha", "FAKE_BASH: echo alpha-tool\nFAKE_REPLY: alpha answer"]),
      w.handoff([
        "run",
        "-b",
        "cx",
        "--slug",
        "beta",
        "FAKE_BASH: echo beta-tool\nFAKE_REPLY: beta answer",
      ]),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const runs = await listRuns(w); // newest first, as the TUI shows them
    const newest = String(runs[0].run_id);
    const second = String(runs[1].run_id);
    const alphaIndex = runs.findIndex((r) => String(r.run_id).endsWith("-alpha"));
    const alpha = String(runs[alphaIndex].run_id);
    const beta = String(runs[1 - alphaIndex].run_id);
    // What an 80-column RUN cell surely shows (a narrow one drops the MMDD- prefix).
    const short = (id: string) => id.slice(5, 15);

    const p = await handoffPane(t, w, "list", ["list"]);
    let s = await t.waitFor(p, has(" handoff · 32 runs", "1/32"), 15_000);
    assert.equal(lines(s).length, 24);
    assert.ok(lines(s)[1].includes("STATUS") && lines(s)[1].includes("PROMPT"), s);
    assert.ok(selected(s).includes(short(newest)), s);
    assert.ok(lines(s).every((l) => [...l].length <= 80), "nothing wider than the pane");

    // Navigation: j / ↓ / ↑, PageDown, End, Home (g).
    await t.sendKeys(p, "j");
    s = await t.waitFor(p, has("2/32"));
    assert.ok(selected(s).includes(short(second)), s);
    await t.sendKeys(p, "Down");
    await t.waitFor(p, has("3/32"));
    await t.sendKeys(p, "Up");
    await t.waitFor(p, has("2/32"));
    await t.sendKeys(p, "PageDown");
    s = await t.waitFor(p, has("23/32"));
    assert.ok(selected(s).includes("filler"), s);
    await t.sendKeys(p, "End");
    s = await t.waitFor(p, has("32/32"));
    assert.ok(selected(s).includes("filler task 0"), s);
    await t.sendKeys(p, "g");
    await t.waitFor(p, has("1/32"));

    // Detail of the claude run: Stream (parsed live JSONL), Output, Prompt, Result.
    if (alphaIndex > 0) await t.sendKeys(p, "Down");
    await t.waitFor(p, (x) => selected(x).includes(short(alpha)));
    await t.sendKeys(p, "Enter");
    s = await t.waitFor(p, has("[1 Stream]", "▷ $ echo alpha-tool", "✓ alpha answer"));
    assert.match(lines(s)[0], /✓ success · \d{4}-fa-\d\d-alpha ·/);
    await t.sendKeys(p, "2");
    s = await t.waitFor(p, has("[2 Output]", "$ echo alpha-tool", "RESULT="));
    assert.match(s, /\d\d:\d\d:\d\d \$ echo alpha-tool/);
    await t.sendKeys(p, "Tab");
    await t.waitFor(p, has("[3 Prompt]", "FAKE_BASH: echo alpha-tool", "FAKE_REPLY: alpha answer"));
    await t.sendKeys(p, "Right");
    s = await t.waitFor(p, has("[4 Result]"));
    assert.ok(lines(s).some((l) => l.trim() === "alpha answer"), s);
    await t.sendKeys(p, "BTab");
    await t.waitFor(p, has("[3 Prompt]"));
    await t.sendKeys(p, "Escape");
    await t.waitFor(p, has(" handoff · 32 runs"));

    // The codex run's Stream tab goes through the codex parser.
    await t.sendKeys(p, "g");
    if (alphaIndex === 0) await t.sendKeys(p, "j");
    await t.waitFor(p, (x) => selected(x).includes(short(beta)));
    await t.sendKeys(p, "Enter");
    s = await t.waitFor(p, has("[1 Stream]", "▷ $ echo beta-tool", "✓ beta answer"));
    assert.match(lines(s)[1], /cx \(codex\)/);
    await t.sendKeys(p, "Escape");
    await t.waitFor(p, has(" handoff · 32 runs"));

    // Filter by text, live while typing; Enter keeps it, Esc clears it.
    await t.sendKeys(p, "/");
    await t.waitFor(p, (x) => lines(x)[23].startsWith("/"));
    await t.sendKeys(p, "alpha");
    s = await t.waitFor(p, has("1 matching run · /alpha"));
    assert.ok(selected(s).includes(short(alpha)), s);
    await t.sendKeys(p, "Enter");
    await t.waitFor(p, has("1/1"));
    await t.sendKeys(p, "Escape");
    await t.waitFor(p, has(" handoff · 32 runs", "filter cleared"));
    // …and by status (a prefix is enough).
    await t.sendKeys(p, "/");
    await t.waitFor(p, (x) => lines(x)[23].startsWith("/"));
    await t.sendKeys(p, "s:err");
    s = await t.waitFor(p, has("5 matching runs · /status:error"));
    const rows = lines(s).slice(2, 7);
    assert.ok(rows.every((l) => l.includes("✗ error")), s);
    assert.ok(!s.includes("success"), s);
    await t.sendKeys(p, "Escape"); // cancels the edit: back to no filter
    await t.waitFor(p, has(" handoff · 32 runs"));
    // `s` cycles the status filter.
    await t.sendKeys(p, "s");
    await t.waitFor(p, has("0 matching runs · /status:running"));
    await t.sendKeys(p, "s");
    await t.waitFor(p, has("27 matching runs · /status:success"));
    await t.sendKeys(p, "Escape");
    await t.waitFor(p, has(" handoff · 32 runs"));

    // NO_COLOR: attributes only (the highlighted row is inverse), no colour codes.
    const plain = await t.tmux("capture-pane", "-p", "-e", "-t", p + ":");
    assert.ok(!COLOUR.test(plain.stdout), "no colour under NO_COLOR");
    assert.ok(
      plain.stdout.includes("\x1b[7m") || plain.stdout.includes("\x1b[0;7m"),
      "inverse cursor row",
    );

    // Resize: wider and taller, then small; the layout follows.
    await t.tmux("resize-window", "-t", p + ":", "-x", "120", "-y", "30");
    await t.waitFor(p, (x) => lines(x).length === 30 && lines(x)[29].includes("1/32"));
    s = await t.waitFor(p, has(newest)); // the whole run id fits at 120 columns
    assert.ok(lines(s)[1].includes("CWD"), s);
    await t.tmux("resize-window", "-t", p + ":", "-x", "60", "-y", "15");
    // (Until the app redraws, tmux shows the bottom of the old frame, cut to 60×15.)
    s = await t.waitFor(p, (x) =>
      lines(x).length === 15 && lines(x)[0].startsWith(" handoff") &&
      lines(x)[1].includes("PROMPT") && lines(x)[14].includes("1/32"));
    assert.ok(!lines(s)[1].includes("COST"), s);
    assert.ok(lines(s).every((l) => [...l].length <= 60), s);
    assert.equal(lines(s).filter((l) => /^[› ] [✓✗■⠋·]/.test(l)).length, 12, "15 - 3 rows of runs");

    await t.sendKeys(p, "q");
    assert.equal(await paneExit(t, p), "0");

    // Without NO_COLOR the statuses are coloured.
    const c = await handoffPane(t, w, "colour", ["list"], { color: true });
    await t.waitFor(c, has(" handoff · 32 runs"), 15_000);
    const coloured = await t.tmux("capture-pane", "-p", "-e", "-t", c + ":");
    assert.ok(coloured.stdout.includes("\x1b[32m"), "success in green");
    assert.ok(coloured.stdout.includes("\x1b[31m"), "error in red");
    await t.sendKeys(c, "q");
    assert.equal(await paneExit(t, c), "0");

    // An explicit --limit on a terminal prints that many rows as a table and exits.
    const n = await handoffPane(t, w, "limit", ["list", "-n", "2"]);
    assert.equal(await paneExit(t, n), "0");
    s = await t.capture(n);
    assert.ok(!s.includes(" handoff · "), s);
    assert.match(lines(s)[0], /^RUN +STATUS/);
    const table = lines(s).slice(0, lines(s).findIndex((l) => l.startsWith("[exit")));
    // The header, two rows (none wrapped at 80 columns) and the cost total.
    assert.equal(table.length, 4, s);
    assert.ok(table.slice(1, 3).every((l) => /^\d{4}-\w\w-\w+-/.test(l)), s);
    assert.match(table[3], /^2 runs listed · cost \$[\d.]+ est\.$/);

    // `o` leaves the screen and runs the backend's interactive CLI on the conversation,
    // in this terminal; handoff exits with its status.
    await Deno.writeTextFile(
      join(w.dir, "probe.sh"),
      '#!/bin/sh\necho "probe $*"\nIFS= read -r line\necho "got:$line"\nexit 7\n',
      { mode: 0o755 },
    );
    const db = openDb(join(w.home, "handoff.db"));
    try {
      insertRun(db, {
        backend: "probe",
        backendType: "codex",
        slug: "probe",
        cwd: w.work,
        title: "probe",
        status: "reserved",
        sessionId: "thread-probe-1",
      });
    } finally {
      db.close();
    }
    const o = await handoffPane(t, w, "open", ["list"]);
    await t.waitFor(o, (x) => selected(x).includes("probe"), 15_000);
    await t.sendKeys(o, "o");
    s = await t.waitFor(o, has("probe resume"));
    assert.match(s, /probe resume .*thread-probe-1/);
    assert.ok(!s.includes(" handoff · "), "the list is gone");
    await t.sendKeys(o, "typed into the CLI");
    await t.sendKeys(o, "Enter");
    await t.waitFor(o, has("got:typed into the CLI"));
    assert.equal(await paneExit(t, o), "7");
  } finally {
    await t.close();
    await w.close();
  }
});

Deno.test("tui: a live run's spinner turns to success; tail follows it; kill asks first", async () => {
  const w = await startWorld();
  const t = await startTmux();
  const children: Deno.ChildProcess[] = [];
  const start = async (slug: string, prompt: string) => {
    const child = w.spawn(["run", "--slug", slug, prompt]);
    children.push(child);
    const reader = child.stdout.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    reader.releaseLock();
    const id = /^RUN_ID=(\S+)/.exec(first)?.[1];
    assert.ok(id, first);
    return { child, id };
  };
  try {
    const p = await handoffPane(t, w, "list", ["list"]);
    await t.waitFor(p, has(" handoff · 0 runs", "no runs yet"), 15_000);

    // A live run appears with a spinner (which turns), then becomes a success.
    const quick = await start("quick", "FAKE_BASH: sleep 3\nFAKE_REPLY: woke up");
    let s = await t.waitFor(p, (x) => SPINNER.test(selected(x)), 10_000);
    const frame = /([⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]) running/.exec(selected(s))![1];
    await t.waitFor(p, (x) => SPINNER.test(selected(x)) && !selected(x).includes(frame + " "));
    assert.match(lines(s)[0], /1 running/);

    // Meanwhile `handoff tail` shows it live, with its duration ticking; when the run
    // ends the screen closes by itself and leaves what plain `tail` prints.
    const tp = await handoffPane(t, w, "tail", ["tail", quick.id]);
    s = await t.waitFor(tp, has("[2 Output]", "$ sleep 3"), 15_000);
    // While it runs, the header shows the token tally so far (cost comes with the result);
    // the tally may land a poll after the tool line, so it is waited for, still running.
    const tally = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] running · .*quick · \d+\.\ds · \d+\/\d+/;
    s = await t.waitFor(tp, (x) => tally.test(lines(x)[0]), 2_500);
    assert.match(lines(s)[0], tally);
    await t.waitFor(p, (x) => selected(x).includes("✓ success"), 15_000);
    assert.equal(await paneExit(t, tp), "0");
    const tailed = (await t.tmux("capture-pane", "-p", "-J", "-t", tp + ":")).stdout;
    assert.match(tailed, /^\d\d:\d\d:\d\d \$ sleep 3$/m);
    assert.match(tailed, new RegExp(`^RESULT=.*${quick.id}\\.result\\.md$`, "m"));
    assert.ok(!tailed.includes("[2 Output]"), "the full screen is gone");
    assert.equal((await quick.child.status).code, 0);
    // On a run that has ended there is nothing to watch: the plain lines, at once.
    const done = await handoffPane(t, w, "done", ["tail", quick.id]);
    assert.equal(await paneExit(t, done), "0");
    assert.match(
      (await t.tmux("capture-pane", "-p", "-J", "-t", done + ":")).stdout,
      /\$ sleep 3\n(.*\n)?RESULT=/,
    );

    // y / Y put the session id / the result path on the clipboard with OSC 52 (tmux keeps
    // it as a paste buffer with set-clipboard on).
    await t.tmux("set-option", "-g", "set-clipboard", "on");
    const quickRow = (await listRuns(w)).find((r) => r.run_id === quick.id)!;
    await t.sendKeys(p, "y");
    await t.waitFor(p, has(`copied session id: ${quickRow.session_id}`));
    assert.equal((await t.tmux("show-buffer")).stdout, quickRow.session_id);
    await t.sendKeys(p, "Y");
    await t.waitFor(p, has("copied result path"));
    assert.equal(
      (await t.tmux("show-buffer")).stdout,
      (quickRow.files as Record<string, string>).result,
    );

    // r asks for a follow-up, starts it as a new run and shows it live.
    await t.sendKeys(p, "r");
    await t.waitFor(p, has(`Follow-up for ${quick.id}:`));
    await t.sendKeys(p, "again? FAKE_REPLY: second answer");
    await t.waitFor(p, has("REPLY: second answer"));
    await t.sendKeys(p, "Enter");
    s = await t.waitFor(p, has("[2 Output]", "RESULT=", "✓ success"), 20_000);
    assert.match(lines(s)[1], new RegExp(`follows ${quick.id}`));
    await t.sendKeys(p, "3");
    await t.waitFor(p, has("[3 Prompt]", "again? FAKE_REPLY: second answer"));
    await t.sendKeys(p, "Escape");
    s = await t.waitFor(p, has(" handoff · 2 runs"));
    assert.ok(selected(s).includes("✓ success"), "the cursor is on the follow-up");
    assert.equal((await listRuns(w))[0].parent_run_id, quick.id);

    // Kill: a long run, `k` asks, `n` keeps it, `k` `y` kills it.
    const doomed = await start("doomed", "FAKE_BASH: sleep 40");
    // (A tail on it where a key is pressed: it stays after the run ends, until `q`.)
    const tp2 = await handoffPane(t, w, "tail2", ["tail", doomed.id]);
    await t.waitFor(tp2, has("[2 Output]", "$ sleep 40"), 15_000);
    await t.sendKeys(tp2, "1");
    await t.waitFor(tp2, has("[1 Stream]", "▷ $ sleep 40"));
    s = await t.waitFor(p, has(" handoff · 3 runs", SPINNER), 10_000);
    assert.ok(selected(s).includes("success"), "the cursor stayed on its run");
    await t.sendKeys(p, "Up");
    await t.waitFor(p, (x) => SPINNER.test(selected(x)));
    await t.sendKeys(p, "k");
    s = await t.waitFor(p, has(`Kill ${doomed.id}? y = kill, n = keep`));
    await t.sendKeys(p, "n");
    s = await t.waitFor(p, has("not killed"));
    assert.ok(SPINNER.test(selected(s)), "still running");
    await t.sendKeys(p, "k");
    await t.waitFor(p, has(`Kill ${doomed.id}?`));
    await t.sendKeys(p, "y");
    s = await t.waitFor(p, has(`killed ${doomed.id} (interrupted)`), 15_000);
    await t.waitFor(p, (x) => selected(x).includes("■ interrupted"));
    assert.equal((await doomed.child.status).code, 130);
    await t.waitFor(tp2, has("■ interrupted ·", "[1 Stream]"));
    await t.sendKeys(tp2, "q");
    assert.equal(await paneExit(t, tp2), "130", "tail exits with the run's status");
    assert.match(
      (await t.tmux("capture-pane", "-p", "-J", "-t", tp2 + ":")).stdout,
      /\$ sleep 40\n[\s\S]*RESULT=/,
    );
    const row = (await listRuns(w)).find((r) => r.run_id === doomed.id)!;
    assert.equal(row.status, "interrupted");
    // A finished run cannot be killed: a message, no question.
    await t.sendKeys(p, "k");
    await t.waitFor(p, has("only running runs can be killed"));

    await t.sendKeys(p, "q");
    assert.equal(await paneExit(t, p), "0");
  } finally {
    for (const c of children) {
      try {
        c.kill("SIGKILL");
      } catch { /* already gone */ }
      await c.status;
      await c.stdout.cancel().catch(() => {});
      await c.stderr.cancel().catch(() => {});
    }
    await t.close();
    await w.close();
  }
});

Deno.test("tui list: an agent's permission request shows above the list; a / d answer it after y", async () => {
  const w = await startWorld();
  const t = await startTmux();
  const ask = (command: string) => {
    const db = openDb(join(w.home, "handoff.db"));
    try {
      return createRequest(db, {
        agent: "claude-code",
        source: "claude-code",
        tool: "Bash",
        summary: `Bash: ${command}`,
        options: claudeOptions(null),
        session: "proj",
        window: 2,
        cwd: w.work,
        waitMs: 120_000,
      }, new Date())!.request.requestId;
    } finally {
      db.close();
    }
  };
  const state = (id: string) => {
    const db = openDb(join(w.home, "handoff.db"));
    try {
      const r = requestById(db, id)!;
      return [r.status, r.decidedBy];
    } finally {
      db.close();
    }
  };
  try {
    const p = await handoffPane(t, w, "list", ["list"]);
    await t.waitFor(p, has(" handoff · 0 runs"), 15_000);
    const first = ask("touch made.txt");
    // A frame caught while ink redraws may show the new line before the rest moved down.
    let s = await t.waitFor(
      p,
      (x) => has("claude-code in proj:2 asks: Bash: touch made.txt")(x) && /⚑/.test(lines(x)[1]),
      10_000,
    );
    assert.match(lines(s)[1], /⚑/, "the line under the title");
    await t.sendKeys(p, "a");
    await t.waitFor(p, has("Allow Bash: touch made.txt? y = allow, n = keep it waiting"));
    await t.sendKeys(p, "y");
    s = await t.waitFor(p, has("allowed: Bash: touch made.txt"));
    assert.deepEqual(state(first), ["allowed", "desk"]);
    await t.waitFor(p, (x) => !x.includes("asks:"), 10_000);

    const second = ask("rm -rf build");
    await t.waitFor(p, has("asks: Bash: rm -rf build"), 10_000);
    await t.sendKeys(p, "d");
    await t.waitFor(p, has("Deny Bash: rm -rf build?"));
    await t.sendKeys(p, "n");
    await t.waitFor(p, has("not answered: it still waits"));
    assert.deepEqual(state(second), ["open", null]);
    await t.sendKeys(p, "d");
    await t.sendKeys(p, "y");
    await t.waitFor(p, has("denied: Bash: rm -rf build"));
    assert.deepEqual(state(second), ["denied", "desk"]);
    await t.sendKeys(p, "q");
    assert.equal(await paneExit(t, p), "0");
  } finally {
    await t.close();
    await w.close();
  }
});

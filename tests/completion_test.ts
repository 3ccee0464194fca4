/**
 * Shell completion: what the word under the cursor is (pure), and the real thing: bash
 * sources `handoff completion bash` and its completion function, run as bash runs it at a
 * Tab, offers run ids, names, devices, backends, sessions and flags from a real home.
 * zsh and fish scripts parse (where those shells are installed); `init --completions`
 * installs the script once.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { whatToComplete } from "../plugins/completion/context.ts";
import { openDb } from "../core/store.ts";
import { MAIN, startWorld } from "./helpers/handoff.ts";
import { addDevice } from "./helpers/devices.ts";
import { shQuote, writeScript } from "./helpers/sshd.ts";
import { unless } from "./helpers/skip.ts";

Deno.test("completion context: commands, subcommands, flags and their values, arguments", () => {
  const valued = (_p: string[], f: string) => ["-m", "--model", "--sessions", "--home"].includes(f);
  const want = (before: string[], current = "") => whatToComplete(before, current, valued);
  assert.deepEqual(want([]), { kind: "commands" });
  assert.deepEqual(want([], "--h"), { kind: "flags", path: [] });
  assert.deepEqual(want(["--home", "/x"]), { kind: "commands" });
  assert.deepEqual(want(["--home"]), { kind: "none" }, "the value of --home: a path");
  assert.deepEqual(want(["tail"]), { kind: "runs" });
  assert.deepEqual(want(["tail", "0601-ds-01-x"]), { kind: "none" });
  assert.deepEqual(want(["rm", "a", "b"]), { kind: "runs" }, "rm takes many");
  assert.deepEqual(want(["run", "-b"]), { kind: "backends" });
  assert.deepEqual(want(["run", "-m"]), { kind: "none" }, "a model: anything");
  assert.deepEqual(want(["run"], "--"), { kind: "flags", path: ["run"] });
  assert.deepEqual(want(["devices"]), { kind: "subcommands", command: "devices" });
  assert.deepEqual(want(["devices", "rm"]), { kind: "devices" });
  assert.deepEqual(want(["devices", "edit", "Pixel", "--sessions"]), { kind: "sessions" });
  assert.deepEqual(want(["devices", "edit"], "--r"), { kind: "flags", path: ["devices", "edit"] });
  assert.deepEqual(want(["revoke"]), { kind: "devices" });
  assert.deepEqual(want(["plugin", "info"]), { kind: "plugins" });
  assert.deepEqual(want(["plugin"]), { kind: "subcommands", command: "plugin" });
  assert.deepEqual(want(["backends", "check"]), { kind: "backends" });
  assert.deepEqual(want(["approve"]), { kind: "requests" });
  assert.deepEqual(want(["completion"]), { kind: "shells" });
  assert.deepEqual(want(["pair", "--sessions"]), { kind: "sessions" });
});

Deno.test("bash: the completion function offers what the home holds", async () => {
  const w = await startWorld();
  try {
    // Three runs with names, a device, and the world's backends.
    const db = openDb(join(w.home, "handoff.db"));
    try {
      const insert = db.prepare(
        `INSERT INTO runs (run_id, run_day, seq, slug, backend, backend_type, cwd, status, created_at)
         VALUES (?, '20261201', ?, ?, 'fast', 'claude', '/w', 'success', ?)`,
      );
      insert.run("1201-fa-01-fix-auth", 1, "fix-auth", Date.now() - 3000);
      insert.run("1201-fa-02-fix-auth", 2, "fix-auth", Date.now() - 2000);
      insert.run("1201-fa-03-add-tests", 3, "add-tests", Date.now() - 1000);
    } finally {
      db.close();
    }
    addDevice(w.home, "Pixel 7", { sessions: ["*"] });
    const bin = join(w.dir, "bin");
    await Deno.mkdir(bin);
    await writeScript(
      join(bin, "handoff"),
      `exec ${shQuote(Deno.execPath())} run -A --quiet ${shQuote(MAIN)} "$@"`,
    );
    const script = await w.handoff(["completion", "bash"]);
    assert.equal(script.code, 0, script.stderr);
    const file = join(w.dir, "handoff.bash");
    await Deno.writeTextFile(file, script.stdout);
    /** COMPREPLY for a command line typed up to the cursor (the last word may be ""). */
    const tab = async (...words: string[]) => {
      const r = await new Deno.Command("bash", {
        args: [
          "-c",
          `. ${shQuote(file)}; COMP_WORDS=(handoff ${words.map(shQuote).join(" ")}); ` +
          `COMP_CWORD=${words.length}; _handoff; printf '%s\\n' "\${COMPREPLY[@]}"`,
        ],
        env: { ...w.env, PATH: `${bin}:${w.env.PATH}` },
        cwd: w.work,
        stdout: "piped",
        stderr: "piped",
      }).output();
      return new TextDecoder().decode(r.stdout).split("\n").filter((l) => l !== "");
    };
    assert.deepEqual(await tab("tail", "1201-fa-0"), [
      "1201-fa-03-add-tests",
      "1201-fa-02-fix-auth",
      "1201-fa-01-fix-auth",
    ]);
    assert.deepEqual(await tab("wait", "fix"), ["fix-auth"], "names (slugs) too");
    assert.deepEqual(await tab("devices", "rm", ""), ["Pixel 7"]);
    assert.deepEqual(await tab("de"), ["deny", "devices"]);
    assert.ok((await tab("devices", "")).includes("import-seed"));
    const backends = await tab("run", "-b", "");
    assert.deepEqual(backends, ["cx", "fake"]);
    assert.ok((await tab("run", "--")).includes("--backend"));
    assert.deepEqual(await tab("completion", "z"), ["zsh"]);
    assert.ok((await tab("plugin", "enable", "app")).includes("approvals"));
    // Nothing handoff knows: the shell's file names.
    await Deno.writeTextFile(join(w.work, "prompt-file.md"), "x");
    assert.deepEqual(await tab("run", "prompt-f"), ["prompt-file.md"]);
  } finally {
    await w.close();
  }
});

function shellFound(name: string): string | null {
  for (const dir of ["/usr/bin", "/bin", "/usr/local/bin", "/opt/homebrew/bin"]) {
    try {
      if (Deno.statSync(join(dir, name)).isFile) return null;
    } catch { /* look on */ }
  }
  return `no ${name} installed (apt-get install ${name})`;
}

for (const shell of ["zsh", "fish"]) {
  Deno.test(unless(shellFound(shell), {
    name: `${shell}: the completion script parses`,
    async fn() {
      const w = await startWorld();
      try {
        const script = await w.handoff(["completion", shell]);
        assert.equal(script.code, 0, script.stderr);
        const file = join(w.dir, `handoff.${shell}`);
        await Deno.writeTextFile(file, script.stdout);
        const r = await new Deno.Command(shell, { args: ["-n", file], stderr: "piped" }).output();
        assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
      } finally {
        await w.close();
      }
    },
  }));
}

Deno.test("init --completions installs the script once, where the shell loads it", async () => {
  const w = await startWorld();
  try {
    const env = { SHELL: "/bin/bash", XDG_DATA_HOME: join(w.env.HOME, ".local", "share") };
    const first = await w.handoff(["init", "--no-skills", "--completions"], { env });
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stderr,
      /bash completion: ~\/\.local\/share\/bash-completion\/completions\/handoff/,
    );
    const file = join(w.env.HOME, ".local", "share", "bash-completion", "completions", "handoff");
    assert.match(await Deno.readTextFile(file), /complete -o filenames -F _handoff handoff/);
    const again = await w.handoff(["init", "--no-skills", "--completions"], { env });
    assert.match(again.stderr, /bash completion is up to date/);
    const odd = await w.handoff(["init", "--no-skills", "--completions"], {
      env: { SHELL: "/bin/tcsh" },
    });
    assert.match(odd.stderr, /is not bash, zsh or fish/);
  } finally {
    await w.close();
  }
});

import assert from "node:assert/strict";
import { join } from "node:path";
import { installAction, sha256 } from "../commands/init.ts";
import { startWorld } from "./helpers/handoff.ts";

Deno.test("installAction: create, unchanged, update ours, never clobber theirs", async () => {
  const ours = "v2";
  const hash = await sha256();
  assert.equal(installAction(null, ours, undefined, hash), "create");
  assert.equal(installAction("v2", ours, undefined, hash), "unchanged");
  assert.equal(installAction("v1", ours, hash("v1"), hash), "update");
  assert.equal(installAction("v1 edited", ours, hash("v1"), hash), "conflict");
  assert.equal(installAction("someone else's", ours, undefined, hash), "conflict");
});

Deno.test("handoff init: template, skills and the Codex agent; idempotent; keeps user edits", async () => {
  const w = await startWorld();
  try {
    const home = join(w.dir, "fresh-home");
    const claudeDir = join(w.dir, "claude-config");
    const codexHome = join(w.dir, "codex-config");
    const env = { HANDOFF_HOME: home, CLAUDE_CONFIG_DIR: claudeDir, CODEX_HOME: codexHome };
    let r = await w.handoff(["init"], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "", "init talks on stderr only");
    const config = await Deno.readTextFile(join(home, "config.yaml"));
    assert.match(
      config,
      /backends:\n {2}deepseek:[\s\S]*\n {2}opus:[\s\S]*\n {2}codex:/,
      "deepseek, opus, codex",
    );
    assert.equal((await Deno.stat(join(home, "config.yaml"))).mode! & 0o777, 0o600);
    const skill = join(claudeDir, "skills", "handoff-ds", "SKILL.md");
    assert.match(await Deno.readTextFile(skill), /^---\nname: handoff-ds\ndescription: /);
    for (const name of ["handoff-codex", "handoff-opus"]) {
      assert.ok((await Deno.stat(join(claudeDir, "skills", name, "SKILL.md"))).isFile);
    }
    const agent = join(codexHome, "agents", "handoff-ds.toml");
    assert.match(await Deno.readTextFile(agent), /^name = "handoff-ds"$/m);

    // The template it wrote is a valid config that `env` can read.
    r = await w.handoff(["env", "--json"], { env });
    const info = JSON.parse(r.stdout);
    assert.equal(info.default_backend, "deepseek");
    assert.equal(
      info.backends[0].env.ANTHROPIC_AUTH_TOKEN,
      "${DEEPSEEK_API_KEY}",
      "references shown, not secrets",
    );

    // Again: nothing changes.
    r = await w.handoff(["init"], { env });
    assert.equal(r.code, 0);
    assert.match(r.stderr, /exists \(kept\)/);
    assert.equal((r.stderr.match(/up to date/g) ?? []).length, 4);

    // A user edit is kept (no terminal to ask on), and --force replaces it.
    await Deno.writeTextFile(skill, "my own version\n");
    r = await w.handoff(["init"], { env });
    assert.equal(r.code, 0);
    assert.match(r.stderr, /kept your changed .*handoff-ds\/SKILL\.md/);
    assert.equal(await Deno.readTextFile(skill), "my own version\n");
    r = await w.handoff(["init", "--force"], { env });
    assert.match(await Deno.readTextFile(skill), /^---\nname: handoff-ds/);

    // The config is never rewritten once it exists.
    const configPath = join(home, "config.yaml");
    await Deno.writeTextFile(configPath, "backends:\n  x:\n    model: m\n");
    r = await w.handoff(["init"], { env });
    assert.equal(
      await Deno.readTextFile(configPath),
      "backends:\n  x:\n    model: m\n",
      "config never rewritten",
    );
  } finally {
    await w.close();
  }
});

Deno.test("skills: the three Claude Code skills differ only in backend and description", async () => {
  const read = (n: string) =>
    Deno.readTextFile(new URL(`../skills/${n}/SKILL.md`, import.meta.url));
  const ds = await read("handoff-ds");
  for (const [name, backend] of [["handoff-codex", "codex"], ["handoff-opus", "opus"]]) {
    const other = await read(name);
    const normalize = (s: string, n: string, b: string) =>
      s.replaceAll(n, "NAME").replaceAll(`backend ${b}`, "backend B").replaceAll(`\`${b}\``, "`B`")
        .replace(/^description: .*$/m, "").replace(/^# .*$/m, "").replace(/\s+/g, " ");
    assert.equal(normalize(other, name, backend), normalize(ds, "handoff-ds", "deepseek"));
    assert.match(other, /^---\nname: .+\ndescription: .{40,}\n---\n/);
  }
  assert.match(ds, /run_in_background: true/);
  assert.match(ds, /<<'__HF_EOF__'/);
  assert.match(ds, /RUN_ID=/);
  assert.match(ds, /RESULT=/);
  assert.match(ds, /handoff resume <RUN_ID>/);
});

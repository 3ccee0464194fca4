import assert from "node:assert/strict";
import { join } from "node:path";
import { installAction, sha256 } from "../plugins/dispatch/init.ts";
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
    assert.equal((r.stderr.match(/up to date/g) ?? []).length, 6, "3 skills, 3 agents");

    // A user edit is kept (no terminal to ask on), and --force replaces it.
    await Deno.writeTextFile(skill, "my own version\n");
    r = await w.handoff(["init"], { env });
    assert.equal(r.code, 0);
    assert.match(r.stderr, /kept your changed .*handoff-ds\/SKILL\.md/);
    assert.equal(await Deno.readTextFile(skill), "my own version\n");
    r = await w.handoff(["init", "--force"], { env });
    assert.match(await Deno.readTextFile(skill), /^---\nname: handoff-ds/);

    // The config is never rewritten once it exists; the skills follow its backends: a new
    // one gets its skill, gone ones lose theirs (a changed one is kept).
    const configPath = join(home, "config.yaml");
    const mine = "backends:\n  x:\n    type: claude\n    model: m\n  deepseek:\n    model: d\n";
    await Deno.writeTextFile(configPath, mine);
    await Deno.writeTextFile(join(claudeDir, "skills", "handoff-opus", "SKILL.md"), "edited\n");
    r = await w.handoff(["init"], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await Deno.readTextFile(configPath), mine, "config never rewritten");
    assert.match(
      await Deno.readTextFile(join(claudeDir, "skills", "handoff-x", "SKILL.md")),
      /--backend x /,
    );
    assert.match(
      await Deno.readTextFile(join(codexHome, "agents", "handoff-x.toml")),
      /--backend x /,
    );
    await assert.rejects(() => Deno.stat(join(claudeDir, "skills", "handoff-codex")));
    await assert.rejects(() => Deno.stat(join(codexHome, "agents", "handoff-codex.toml")));
    assert.equal(
      await Deno.readTextFile(join(claudeDir, "skills", "handoff-opus", "SKILL.md")),
      "edited\n",
    );
    assert.match(
      r.stderr,
      /handoff-opus\/SKILL\.md: its backend is gone, kept because you changed it/,
    );
    assert.match(r.stderr, /`handoff` is not on PATH/);
    // A broken config: a clear error, exit 2, nothing installed.
    await Deno.writeTextFile(configPath, "backendz:\n  x:\n    model: m\n");
    r = await w.handoff(["init"], { env });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown key "backendz"/);
  } finally {
    await w.close();
  }
});

Deno.test("skills: one per configured backend, from one template; names that cannot break the files", async () => {
  const { skillFiles, skillName, yamlScalar, renderTemplate } = await import(
    "../plugins/dispatch/skills.ts"
  );
  const read = (path: string) => Deno.readTextFile(new URL(path, import.meta.url));
  const templates = {
    skill: await read("../skills/skill.template.md"),
    codexAgent: await read("../skills/codex/agent.template.toml"),
  };
  const files = skillFiles([
    { name: "deepseek", type: "claude", model: "deepseek-v4-flash", description: null },
    { name: "kimi", type: "claude", model: "kimi-k2", description: 'Moonshot: "fast" #1' },
  ], templates);
  assert.deepEqual(files.map((f) => f.relative), [
    "skills/handoff-ds/SKILL.md",
    "agents/handoff-ds.toml",
    "skills/handoff-kimi/SKILL.md",
    "agents/handoff-kimi.toml",
  ]);
  const ds = files[0].text;
  assert.match(ds, /^---\nname: handoff-ds\ndescription: .{40,}\n---\n/);
  assert.match(ds, /handoff run --backend deepseek --slug/);
  assert.match(ds, /run_in_background: true/);
  assert.match(ds, /<<'__HF_EOF__'/);
  assert.match(ds, /RUN_ID=/);
  assert.match(ds, /RESULT=/);
  assert.match(ds, /handoff resume <RUN_ID>/);
  const kimi = files[2].text;
  assert.match(kimi, /handoff run --backend kimi --slug/);
  // A description with `:`, quotes and `#` is quoted: the front matter stays one YAML line.
  const line = kimi.split("\n")[2];
  assert.match(line, /^description: ".*Moonshot: .*fast.*#1/);
  JSON.parse(line.slice("description: ".length));
  assert.match(files[3].text, /^name = "handoff-kimi"$/m);
  assert.match(files[3].text, /handoff run --backend kimi <PROMPT_FILE>/);
  assert.doesNotMatch(files[3].text, /\{\{/);
  assert.equal(skillName("deepseek"), "handoff-ds");
  assert.equal(yamlScalar("plain words"), "plain words");
  assert.throws(() => renderTemplate("{{nope}}", {}));
});

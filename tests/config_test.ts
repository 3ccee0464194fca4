import assert from "node:assert/strict";
import { join } from "node:path";
import {
  checkToken,
  deepMerge,
  findBackend,
  loadConfig,
  resolveBackendEnv,
} from "../core/config.ts";
import { HandoffError } from "../core/errors.ts";
import { Registry } from "../core/registry.ts";
import { claudePlugin } from "../backends/claude.ts";
import { codexPlugin } from "../backends/codex.ts";

const registry = new Registry().use(claudePlugin).use(codexPlugin);
const lookup = (t: string) => registry.backend(t);

async function withFiles(files: Record<string, string>, fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    for (const [name, text] of Object.entries(files)) {
      await Deno.mkdir(join(dir, name, ".."), { recursive: true });
      await Deno.writeTextFile(join(dir, name), text);
    }
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function configError(dir: string, file = "config.yaml"): Promise<HandoffError> {
  try {
    await loadConfig(lookup, join(dir, file));
  } catch (e) {
    assert.ok(e instanceof HandoffError, String(e));
    assert.equal(e.exitCode, 2);
    return e;
  }
  throw new Error("expected a config error");
}

Deno.test("deep merge: mappings merge, lists and scalars are replaced", () => {
  assert.deepEqual(
    deepMerge({ a: { x: 1, y: [1, 2] }, b: 1 }, { a: { y: [3], z: 2 }, c: 3 }),
    { a: { x: 1, y: [3], z: 2 }, b: 1, c: 3 },
  );
});

Deno.test("backends keep their order; the first is the default; defaults fill in", async () => {
  await withFiles({
    "config.yaml": `backends:
  deepseek:
    model: deepseek-v4-flash
    pro_model: deepseek-v4-pro
  codex:
    type: codex
    model: gpt-5.5
    permission_mode: read-only
`,
  }, async (dir) => {
    const c = await loadConfig(lookup, join(dir, "config.yaml"));
    assert.deepEqual(c.backends.map((b) => b.name), ["deepseek", "codex"]);
    assert.equal(findBackend(c).name, "deepseek");
    assert.equal(c.backends[0].type, "claude");
    assert.equal(c.backends[0].permissionMode, "bypassPermissions");
    assert.equal(c.backends[1].permissionMode, "read-only");
    assert.match(c.systemPrompt, /without stopping to ask/);
    assert.throws(
      () => findBackend(c, "opus"),
      /unknown backend "opus"\. Available: deepseek, codex/,
    );
  });
});

Deno.test("include: ~ and ${VAR} expanded, relative to the including file, merged underneath", async () => {
  await withFiles({
    "config.yaml": `include:
  - \${INC_DIR}/tokens.yaml
  - ~/extra.yaml
backends:
  ds:
    model: own-model
    env:
      ANTHROPIC_BASE_URL: https://example.test
`,
    "inc/tokens.yaml": `backends:
  ds:
    model: included-model
    env:
      ANTHROPIC_AUTH_TOKEN: sk-included
include: more.yaml
`,
    "inc/more.yaml": "system_prompt: from more\n",
    "home/extra.yaml": "backends:\n  second:\n    model: m2\n",
  }, async (dir) => {
    const oldHome = Deno.env.get("HOME");
    Deno.env.set("HOME", join(dir, "home"));
    Deno.env.set("INC_DIR", join(dir, "inc"));
    try {
      const c = await loadConfig(lookup, join(dir, "config.yaml"));
      const ds = c.backends.find((b) => b.name === "ds")!;
      assert.equal(ds.model, "own-model", "the including file wins");
      assert.deepEqual(ds.env, {
        ANTHROPIC_AUTH_TOKEN: "sk-included",
        ANTHROPIC_BASE_URL: "https://example.test",
      });
      assert.equal(c.systemPrompt, "from more");
      assert.ok(c.backends.some((b) => b.name === "second"));
    } finally {
      if (oldHome === undefined) Deno.env.delete("HOME");
      else Deno.env.set("HOME", oldHome);
      Deno.env.delete("INC_DIR");
    }
  });
});

Deno.test("a missing include is an error at its line", async () => {
  await withFiles(
    { "config.yaml": "backends:\n  a:\n    model: m\ninclude: nope.yaml\n" },
    async (dir) => {
      const e = await configError(dir);
      assert.match(e.message, /config\.yaml:4:1: included file not found: .*nope\.yaml/);
    },
  );
});

Deno.test("malformed YAML and bad shapes give file:line:col and exit 2", async () => {
  const cases: [string, RegExp][] = [
    ["backends:\n  a:\n    model: m\n   bad indent: x\n", /config\.yaml:\d+:\d+: /],
    ["backends:\n  a:\n    modle: m\n", /config\.yaml:3:5: unknown key "modle" in backend "a"/],
    // A typo at the top level is an error too, not a warning the run goes past.
    ["backendz:\n  a:\n    model: m\n", /config\.yaml:1:1: unknown key "backendz" \(known: /],
    [
      "backends:\n  a:\n    type: gemini\n    model: m\n",
      /config\.yaml:3:5: backend "a" has unknown type "gemini"/,
    ],
    ["backends:\n  a:\n    type: claude\n", /config\.yaml:2:3: backend "a" needs a "model"/],
    ["backends: {}\n", /no backends configured/],
    ["- just\n- a list\n", /must be a mapping/],
    [
      'backends:\n  a:\n    model: m\n    env:\n      X: "{modle}"\n',
      /config\.yaml:5:7: unknown placeholder \{modle\}/,
    ],
    [
      "backends:\n  a:\n    model: m\n    permission_mode: yolo\n",
      /config\.yaml:4:5: permission_mode "yolo" is not one of/,
    ],
    [
      "backends:\n  a:\n    model: m\n  a:\n    model: n\n",
      /config\.yaml:4:3: .*[Dd]uplicate|unique/,
    ],
  ];
  for (const [text, re] of cases) {
    await withFiles({ "config.yaml": text }, async (dir) => {
      const e = await configError(dir);
      assert.match(e.message, re, text);
    });
  }
});

Deno.test("seed-era keys are ignored with a warning, not an error", async () => {
  await withFiles({
    "config.yaml": "default_model: x\nbackends:\n  a:\n    model: m\n    session_flags: [-p]\n",
  }, async (dir) => {
    const c = await loadConfig(lookup, join(dir, "config.yaml"));
    assert.equal(c.warnings.length, 2);
    assert.match(c.warnings[0], /config\.yaml:1:1: "default_model" is no longer used/);
    assert.match(c.warnings[1], /session_flags/);
  });
});

Deno.test("env: ${VAR} from the environment, {model}/{cwd} filled, unset names the variable", async () => {
  await withFiles({
    "config.yaml": `backends:
  a:
    model: m1
    pro_model: m2
    env:
      ANTHROPIC_AUTH_TOKEN: \${HF_TEST_TOKEN}
      ANTHROPIC_MODEL: "{model}"
      OPUS: "{pro_model}"
      WHERE: "{cwd}"
      OPTIONAL: \${HF_TEST_UNSET:-none}
`,
  }, async (dir) => {
    const c = await loadConfig(lookup, join(dir, "config.yaml"));
    const b = c.backends[0];
    const env = resolveBackendEnv(b, { model: "m2", cwd: "/work", runId: "r" }, {
      HF_TEST_TOKEN: "sk-x",
    });
    assert.deepEqual(env, {
      ANTHROPIC_AUTH_TOKEN: "sk-x",
      ANTHROPIC_MODEL: "m2",
      OPUS: "m2",
      WHERE: "/work",
      OPTIONAL: "none",
    });
    assert.throws(
      () => resolveBackendEnv(b, { model: "m1", cwd: "/", runId: "r" }, {}),
      /config\.yaml:2:3: backend "a" env ANTHROPIC_AUTH_TOKEN: environment variable HF_TEST_TOKEN is not set/,
    );
    assert.throws(() => checkToken(b, { ANTHROPIC_AUTH_TOKEN: "<your key>" }, "f"), /placeholder/);
    assert.throws(() => checkToken(b, { ANTHROPIC_AUTH_TOKEN: " " }, "f"), /empty/);
    checkToken(b, { ANTHROPIC_AUTH_TOKEN: "sk-1" }, "f");
  });
});

Deno.test("the parse cache: used only for the same text, never creates a home", async () => {
  await withFiles({
    "config.yaml": "backends:\n  one:\n    model: aaa\n",
    "home/.keep": "",
  }, async (dir) => {
    const before = Deno.env.get("HANDOFF_HOME");
    try {
      // A home that does not exist stays so.
      Deno.env.set("HANDOFF_HOME", join(dir, "none"));
      await loadConfig(lookup, join(dir, "config.yaml"));
      assert.throws(() => Deno.statSync(join(dir, "none")));

      Deno.env.set("HANDOFF_HOME", join(dir, "home"));
      const first = await loadConfig(lookup, join(dir, "config.yaml"));
      const cache = join(dir, "home", "cache", "config-parse.json");
      assert.equal(Deno.statSync(cache).mode! & 0o777, 0o600);
      assert.deepEqual(await loadConfig(lookup, join(dir, "config.yaml")), first);
      // The same size, at once: the new text wins.
      await Deno.writeTextFile(join(dir, "config.yaml"), "backends:\n  one:\n    model: bbb\n");
      const second = await loadConfig(lookup, join(dir, "config.yaml"));
      assert.equal(second.backends[0].model, "bbb");
      // An error is reported from the cached text's position as from a fresh parse.
      await Deno.writeTextFile(join(dir, "config.yaml"), "backends:\n  one:\n    modle: bbb\n");
      const fresh = (await configError(dir)).message;
      assert.equal((await configError(dir)).message, fresh);
      assert.match(fresh, /config\.yaml:3:5/);
      // A damaged cache file is ignored.
      await Deno.writeTextFile(cache, "{not json");
      assert.equal(await loadConfig(lookup, join(dir, "config.yaml")).catch(() => null), null);
      await Deno.writeTextFile(join(dir, "config.yaml"), "backends:\n  one:\n    model: ccc\n");
      assert.equal((await loadConfig(lookup, join(dir, "config.yaml"))).backends[0].model, "ccc");
      // An entry for the same text but damaged inside is parsed again, not trusted.
      for (const damage of [{ where: [1] }, { where: [["a"]] }, { value: null }]) {
        const c = JSON.parse(await Deno.readTextFile(cache));
        Object.assign(c[join(dir, "config.yaml")], damage);
        await Deno.writeTextFile(cache, JSON.stringify(c));
        const again = await loadConfig(lookup, join(dir, "config.yaml"));
        assert.equal(again.backends[0].model, "ccc", JSON.stringify(damage));
      }
    } finally {
      if (before === undefined) Deno.env.delete("HANDOFF_HOME");
      else Deno.env.set("HANDOFF_HOME", before);
    }
  });
});

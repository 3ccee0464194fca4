/**
 * `handoff backends check`: real one-line runs and resumes through handoff, against the
 * fake servers: a working claude backend, an ACP agent that cannot resume, a CLI that is
 * not installed, a token that is not set and an endpoint nothing listens on, each with its
 * fix; the check runs are removed.
 */
import assert from "node:assert/strict";
import { defaultConfig, listRuns, withWorld } from "./helpers/handoff.ts";
import { FAKE_ACP_AGENT } from "./helpers/agents.ts";

/** A port nothing listens on: bound, then let go. */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test("backends check: answered, resume, version and time per backend; each failure with its fix", async () => {
  const closedPort = freePort();
  await withWorld(async (w) => {
    // The list, as written: no run, no `${VAR}` expanded.
    const list = await w.handoff(["backends", "--json"]);
    assert.equal(list.code, 0, list.stderr);
    const listed = JSON.parse(list.stdout) as Record<string, unknown>[];
    assert.deepEqual(listed.map((b) => b.name).slice(-4), ["mini", "gone", "tokenless", "dead"]);
    assert.equal(listed[0].default, true);
    assert.equal(listed.filter((b) => b.default).length, 1);
    const mini = listed.find((b) => b.name === "mini")!;
    assert.equal(mini.command, FAKE_ACP_AGENT);
    assert.equal(mini.type, "acp");
    assert.equal(mini.permission_mode, "bypass");
    assert.ok(!list.stdout.includes("dummy"), "no env, so no token, is shown");
    const text = await w.handoff(["backends"]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^NAME +TYPE +MODEL +PERMISSIONS +COMMAND\n/);
    assert.match(text.stdout, /\(default\)/);
    const r = await w.handoff(["backends", "check", "--json"], { timeoutMs: 240_000 });
    assert.equal(r.code, 1, r.stderr);
    const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
    const by = Object.fromEntries(rows.map((x) => [x.name, x]));
    assert.equal(by.fake.answered, true);
    assert.equal(by.fake.resume, "ok");
    assert.match(String(by.fake.version), /Claude Code/);
    assert.ok(Number(by.fake.seconds) > 0);
    assert.equal(by.mini.answered, true);
    assert.equal(by.mini.resume, "failed");
    assert.match(String(by.mini.problem), /cannot resume a session/);
    assert.equal(by.gone.answered, false);
    assert.match(String(by.gone.problem), /not found/);
    assert.match(String(by.gone.fix), /install it/);
    assert.equal(by.tokenless.answered, false);
    assert.match(String(by.tokenless.problem), /HANDOFF_TEST_UNSET_TOKEN/);
    assert.match(String(by.tokenless.fix), /export HANDOFF_TEST_UNSET_TOKEN=/);
    assert.equal(by.dead.answered, false);
    assert.equal(
      by.dead.problem,
      `endpoint unreachable: ANTHROPIC_BASE_URL=http://127.0.0.1:${closedPort}: Connection refused`,
    );
    assert.match(
      String(by.dead.fix),
      /correct the URL in backend "dead"'s env \(.*config\.yaml:\d+:\d+\)/,
    );
    assert.ok(Number(by.dead.seconds) < 10, "asked before a run, not after the CLI's retries");
    // The check runs are gone from the ledger.
    assert.deepEqual(await listRuns(w), []);

    const one = await w.handoff(["backends", "check", "fake"], { timeoutMs: 120_000 });
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /^✓ fake \(claude\) .* answered: yes {2}resume: ok {2}[\d.]+ s$/m);
    const unknown = await w.handoff(["backends", "check", "nope"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no backend named "nope"/);
  }, {
    config: (w) =>
      `${defaultConfig(w)}  mini:
    type: acp
    command: ${FAKE_ACP_AGENT}
    model: fake
  gone:
    type: claude
    command: /nonexistent/claude
    model: m
  tokenless:
    type: claude
    model: m
    env:
      ANTHROPIC_BASE_URL: ${w.anthropic.url}
      ANTHROPIC_AUTH_TOKEN: \${HANDOFF_TEST_UNSET_TOKEN}
  dead:
    type: claude
    model: m
    env:
      ANTHROPIC_BASE_URL: http://127.0.0.1:${closedPort}
      ANTHROPIC_AUTH_TOKEN: dummy
`,
  });
});

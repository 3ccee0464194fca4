/**
 * The CI and release workflows (no actionlint here: their structure is checked, and every
 * `run:` script goes through `bash -n`), and the smoke test the release runs on each
 * compiled binary, run here against `deno run` as the stand-in for the binary.
 */
import assert from "node:assert/strict";
import { SOURCE_RUN } from "../core/self.ts";
import { join } from "node:path";
import { parse } from "yaml";
import { MAIN } from "./helpers/handoff.ts";
import { REPO_ROOT } from "./helpers/agents.ts";

type Step = { name?: string; uses?: string; run?: string; if?: string };
type Job = {
  "runs-on": string;
  needs?: string | string[];
  strategy?: { matrix: Record<string, unknown> };
  steps: Step[];
};
type Workflow = { on: unknown; jobs: Record<string, Job> };

function workflow(name: string): Workflow {
  return parse(Deno.readTextFileSync(join(REPO_ROOT, ".github", "workflows", name))) as Workflow;
}

async function bashParses(script: string): Promise<string | null> {
  // `${{ … }}` is GitHub's, replaced before bash sees the script.
  const text = script.replace(/\$\{\{[^}]*\}\}/g, "x");
  const r = await new Deno.Command("bash", { args: ["-n", "-c", text], stderr: "piped" }).output();
  return r.success ? null : new TextDecoder().decode(r.stderr);
}

async function checkSteps(w: Workflow): Promise<void> {
  for (const [name, job] of Object.entries(w.jobs)) {
    assert.ok(job["runs-on"], `${name}: runs-on`);
    for (const step of job.steps) {
      assert.ok(step.uses || step.run, `${name}: a step with neither uses nor run`);
      if (step.uses) assert.match(step.uses, /^[\w-]+\/[\w-]+@v\d+$/, `${name}: ${step.uses}`);
      if (step.run) assert.equal(await bashParses(step.run), null, `${name}: ${step.run}`);
    }
  }
}

Deno.test("ci.yml: the README's test command on Linux and macOS, from the lock file", async () => {
  const w = workflow("ci.yml");
  await checkSteps(w);
  const test = w.jobs.test;
  assert.deepEqual(test.strategy?.matrix.os, ["ubuntu-latest", "macos-latest"]);
  const runs = test.steps.map((s) => s.run ?? "").join("\n");
  assert.match(runs, /npm ci/);
  assert.match(runs, /bash \.ci\/run/);
  assert.doesNotMatch(runs, /npm install/);
  assert.match(runs, /brew install tmux/, "macOS gets tmux");
  assert.match(runs, /apt-get install .*tmux .*openssh-server/, "Linux gets tmux and sshd");
});

Deno.test("release.yml: compile, smoke-test each binary on its own platform, then publish", async () => {
  const w = workflow("release.yml");
  await checkSteps(w);
  assert.deepEqual(Object.keys(w.jobs), ["build", "smoke", "publish"]);
  assert.equal(w.jobs.smoke.needs, "build");
  assert.equal(w.jobs.publish.needs, "smoke", "nothing is uploaded before the smoke tests pass");
  const targets = w.jobs.smoke.strategy!.matrix.include as { runner: string; binary: string }[];
  assert.deepEqual(targets.map((t) => t.binary).sort(), [
    "handoff-darwin-arm64",
    "handoff-darwin-x64",
    "handoff-linux-arm64",
    "handoff-linux-x64",
  ]);
  assert.ok(targets.every((t) => /macos|arm/.test(t.runner) === /darwin|arm64/.test(t.binary)));
  const compile = w.jobs.build.steps.map((s) => s.run ?? "").join("\n");
  for (const t of targets) assert.ok(compile.includes(t.binary.replace("handoff-", "")), t.binary);
  assert.match(w.jobs.smoke.steps.map((s) => s.run ?? "").join("\n"), /tests\/smoke\/smoke\.sh/);
  assert.match(
    w.jobs.publish.steps.map((s) => s.run ?? "").join("\n"),
    /sha256sum handoff-\* > SHA256SUMS/,
  );
});

Deno.test("the release smoke test passes against deno run (the binary's stand-in)", async () => {
  const r = await new Deno.Command("bash", {
    args: [
      join(REPO_ROOT, "tests", "smoke", "smoke.sh"),
      Deno.execPath(),
      ...SOURCE_RUN,
      MAIN,
    ],
    cwd: Deno.makeTempDirSync({ prefix: "handoff-smoke-cwd-" }),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(r.stdout);
  const err = new TextDecoder().decode(r.stderr);
  assert.equal(r.code, 0, err);
  assert.match(out, /^smoke: ok \(handoff \d+\.\d+\.\d+/m);
  for (
    const step of ["--version", "init", "env --json", "plugin list", "gate list", "run against"]
  ) {
    assert.match(err, new RegExp(`smoke: ${step}`), step);
  }
});

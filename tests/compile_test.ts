/**
 * The release build, scripts/compile.sh: what `deno compile` embeds. The compiled binary
 * itself cannot run here: `deno compile` downloads its runtime (denort), which this
 * machine cannot reach, so DENORT_BIN points at this Deno. The image it builds embeds the
 * files for real but starts as plain deno; the release workflow smoke-tests the real ones.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO_ROOT } from "./helpers/agents.ts";

Deno.test("compile embeds the runtime dependencies, not the agent CLIs the tests drive", async () => {
  const dir = await Deno.makeTempDir({ prefix: "handoff-compile-test-" });
  try {
    const binary = join(dir, "handoff");
    const out = await new Deno.Command("bash", {
      args: [join(REPO_ROOT, "scripts", "compile.sh"), binary],
      env: { DENORT_BIN: Deno.execPath(), NO_COLOR: "1", TMPDIR: dir },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, text);
    assert.ok((await Deno.stat(binary)).isFile);
    // `handoff init` reads its templates from skills/ at run time.
    assert.match(text, /skills\/\* \(/);
    const files = /Files:\s*([\d.]+)(KB|MB|GB)/.exec(text);
    assert.ok(files, text);
    const mb = Number(files[1]) * { KB: 1 / 1024, MB: 1, GB: 1024 }[files[2] as "KB"];
    // The checkout's node_modules is over 2 GB; ink, react, yaml, qrcode and commander
    // with their dependencies are about 12 MB.
    assert.ok(mb < 40, `embedded ${files[0]}, expected the runtime dependencies only`);
    // The staging folder is gone.
    const left = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n !== "handoff");
    assert.deepEqual(left, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

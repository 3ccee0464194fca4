/**
 * `handoff plugin build <dir>`: makes a module plugin written in TypeScript, or one with
 * npm:/jsr: imports, into what a compiled handoff can load: one self-contained ES module.
 * `deno bundle` does the work (Deno on PATH; from source, the Deno running handoff); the
 * result goes to `<dir>/dist/` with a manifest naming it, ready for `plugin add <dir>/dist`.
 */
import { join, resolve } from "../../core/path.ts";
import { HandoffError, usageError } from "../../core/errors.ts";
import { errColors, errLine } from "../../core/output.ts";
import { runningFromSource } from "../../core/self.ts";
import { which } from "../../core/proc.ts";
import { MANIFEST_FILE } from "../../core/plugin/manifest.ts";
import { parseManifest } from "../../core/plugin/manifest.ts";

export async function build(dir: string, f: { deno?: string }): Promise<number> {
  const root = resolve(dir);
  let text: string;
  try {
    text = Deno.readTextFileSync(join(root, MANIFEST_FILE));
  } catch {
    throw usageError(`${root} has no ${MANIFEST_FILE}`);
  }
  const m = parseManifest(text);
  if (m.kind !== "module") {
    throw usageError(`${m.name} is an ${m.kind} plugin: only module plugins are bundled`);
  }
  const deno = f.deno ?? (runningFromSource() ? Deno.execPath() : which("deno"));
  if (!deno) {
    throw new HandoffError(
      "building needs Deno on PATH",
      1,
      "install it (https://deno.com), or pass --deno PATH",
    );
  }
  const out = join(root, "dist");
  Deno.mkdirSync(out, { recursive: true });
  const bundle = `${m.name}.js`;
  const r = await new Deno.Command(deno, {
    args: ["bundle", "--quiet", "--platform", "deno", join(root, m.entry), "-o", join(out, bundle)],
    cwd: root,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!r.success) {
    throw new HandoffError(`deno bundle failed (exit ${r.code}): nothing was changed in ${out}`);
  }
  const manifest = { ...JSON.parse(text), entry: bundle };
  Deno.writeTextFileSync(join(out, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + "\n");
  errLine(
    `${errColors().green("✓")} ${join(out, bundle)}: add it with \`handoff plugin add ${out}\``,
  );
  return 0;
}

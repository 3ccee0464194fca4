/**
 * The pictures of the tree stay true: the layout in docs/design.md names every folder that
 * holds code (top level, each plugin, each example plugin) and nothing that is gone; the
 * layout in CONTRIBUTING.md and the README's Layout paragraph name every plugin folder.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./helpers/agents.ts";

/** The first ``` block after `heading` in a markdown file. */
function blockAfter(file: string, heading: string): string {
  const text = Deno.readTextFileSync(join(REPO_ROOT, file));
  const at = text.indexOf(heading);
  assert.ok(at >= 0, `${file} has no "${heading}"`);
  const start = text.indexOf("```", at);
  const end = text.indexOf("```", start + 3);
  return text.slice(text.indexOf("\n", start) + 1, end);
}

/** Paths a layout block names: `dir/` or `file.ts` at the start of a line, nested by indent. */
function namedPaths(block: string): string[] {
  const paths: string[] = [];
  const parents: { indent: number; path: string }[] = [];
  for (const line of block.split("\n")) {
    const m = /^( *)(\S+)/.exec(line);
    if (!m || !/^[a-z][\w.-]*(\/[\w.-]+)*\/?$|^[a-z][\w.-]*\.(ts|md|json)$/.test(m[2])) continue;
    const indent = m[1].length;
    while (parents.length && parents[parents.length - 1].indent >= indent) parents.pop();
    const parent = parents[parents.length - 1]?.path ?? "";
    const path = parent + m[2];
    // `examples/plugins/` names `examples` too.
    const parts = path.replace(/\/$/, "").split("/");
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join("/");
      if (!paths.includes(p)) paths.push(p);
    }
    if (path.endsWith("/")) parents.push({ indent, path });
  }
  return paths;
}

function folders(dir: string): string[] {
  return [...Deno.readDirSync(join(REPO_ROOT, dir))]
    .filter((e) => e.isDirectory && !e.name.startsWith(".") && e.name !== "node_modules")
    .map((e) => (dir === "." ? e.name : `${dir}/${e.name}`)).sort();
}

Deno.test("layout: docs/design.md names every folder of the tree, and only what exists", () => {
  const named = namedPaths(blockAfter("docs/design.md", "## Layout"));
  for (const p of named) assert.ok(existsSync(join(REPO_ROOT, p)), `design.md names ${p}: missing`);
  for (const f of [...folders("."), ...folders("plugins"), ...folders("examples/plugins")]) {
    assert.ok(named.includes(f), `design.md's layout does not name ${f}/`);
  }
});

Deno.test("layout: CONTRIBUTING.md and the README name every plugin folder", () => {
  const contributing = blockAfter("CONTRIBUTING.md", "## Layout");
  const readme = Deno.readTextFileSync(join(REPO_ROOT, "README.md"));
  const layout = readme.slice(
    readme.indexOf("Layout:"),
    readme.indexOf("\n\n", readme.indexOf("Layout:")),
  );
  for (const f of folders("plugins")) {
    const name = f.slice("plugins/".length);
    assert.match(
      contributing,
      new RegExp(`\\b${name}/`),
      `CONTRIBUTING.md's layout lacks ${name}/`,
    );
    assert.ok(layout.includes(`\`${name}\``), `the README's Layout paragraph lacks \`${name}\``);
  }
});

Deno.test("layout: the checker sees nesting and a missing folder", () => {
  assert.deepEqual(namedPaths("core/   x\n  plugin/   y\nmain.ts  z\n"), [
    "core",
    "core/plugin",
    "main.ts",
  ]);
});

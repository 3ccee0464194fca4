/**
 * The tree shows the architecture, and this test keeps it so: the core imports nothing
 * from plugins or backends; a first-party plugin imports another only if its manifest
 * (plugins/<name>/handoff-plugin.json) declares it in `dependsOn`; backends import only
 * the core and each other; and there is no import cycle, static or lazy (`import()`).
 * Only plugins/mod.ts and plugins/hot.ts, which assemble the registry, see everything.
 */
import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";
import { REPO_ROOT } from "./helpers/agents.ts";

const ROOTS = ["core", "backends", "plugins", "main.ts"];
// `import x from "y"`, `export … from "y"`, `import "y"`, `import("y")` (lazy).
const IMPORT =
  /(?:import|export)\s[^"';]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|import\s+["']([^"']+)["']/g;

function sources(): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const abs = join(REPO_ROOT, rel);
    if (Deno.statSync(abs).isFile) {
      if (/\.tsx?$/.test(rel)) out.push(rel);
      return;
    }
    for (const e of Deno.readDirSync(abs)) walk(join(rel, e.name));
  };
  ROOTS.forEach(walk);
  return out;
}

/** file → the repository files it imports (relative specifiers only; npm and node: aside). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources()) {
    const text = Deno.readTextFileSync(join(REPO_ROOT, file));
    const targets: string[] = [];
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (spec.startsWith(".")) targets.push(normalize(join(dirname(file), spec)));
    }
    graph.set(file, targets);
  }
  return graph;
}

/** `plugins/gate/x.ts` → "gate"; `backends/claude.ts` → "backends"; `core/…` → "core". */
function owner(file: string): string {
  const parts = file.split("/");
  if (parts[0] === "plugins") return parts.length > 2 ? parts[1] : "plugins";
  return parts[0];
}

function manifests(): Map<string, string[]> {
  const deps = new Map<string, string[]>();
  for (const e of Deno.readDirSync(join(REPO_ROOT, "plugins"))) {
    if (!e.isDirectory) continue;
    const m = JSON.parse(
      Deno.readTextFileSync(join(REPO_ROOT, "plugins", e.name, "handoff-plugin.json")),
    );
    assert.equal(m.name, e.name, `plugins/${e.name}: manifest name`);
    assert.equal(m.apiVersion, 1);
    deps.set(e.name, m.dependsOn);
  }
  return deps;
}

/** Strongly connected components with more than one file (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

Deno.test("import graph: core names no plugin, plugins import only what they declare, no cycles", () => {
  const graph = importGraph();
  const deps = manifests();
  const problems: string[] = [];
  for (const [file, targets] of graph) {
    const from = owner(file);
    for (const target of targets) {
      if (!graph.has(target)) {
        if (/\.tsx?$/.test(target)) problems.push(`${file}: imports missing ${target}`);
        continue;
      }
      const to = owner(target);
      if (from === to || to === "core") continue;
      if (from === "core") problems.push(`core → ${to}: ${file} imports ${target}`);
      else if (from === "backends") problems.push(`backends → ${to}: ${file} imports ${target}`);
      else if (from === "plugins" || file === "main.ts") continue; // the assembly
      else if (!(deps.get(from) ?? []).includes(to)) {
        problems.push(
          `${from} → ${to} is not in plugins/${from}/handoff-plugin.json dependsOn: ${file} imports ${target}`,
        );
      }
    }
  }
  for (const c of cycles(graph)) problems.push(`import cycle: ${c.join(" → ")}`);
  assert.deepEqual(problems, []);
  // The declared dependencies form no cycle either.
  const pluginGraph = new Map([...deps].map(([n, d]) => [n, d]));
  assert.deepEqual(cycles(pluginGraph), []);
  for (const [name, d] of deps) {
    for (const dep of d) assert.ok(deps.has(dep), `${name} depends on unknown plugin ${dep}`);
  }
});

Deno.test("import graph: the checker sees what it must (a cycle, an undeclared import)", () => {
  const g = new Map([["a.ts", ["b.ts"]], ["b.ts", ["c.ts"]], ["c.ts", ["a.ts"]], ["d.ts", []]]);
  assert.deepEqual(cycles(g), [["a.ts", "b.ts", "c.ts"]]);
  assert.equal(owner("plugins/gate/gate.ts"), "gate");
  assert.equal(owner("plugins/mod.ts"), "plugins");
  assert.equal(owner("core/store.ts"), "core");
  assert.equal(relative(REPO_ROOT, join(REPO_ROOT, "core")), "core");
});

// `import … from "y"`, `export … from "y"`, `import "y"`: what loads with the module.
const STATIC_IMPORT =
  /(?:import|export)\s[^"';]*?from\s*["']([^"']+)["']|import\s+["']([^"']+)["']/g;

/** The `node:` modules that load with `entry`, each with the file that imports it. */
function nodeModulesLoadedBy(entry: string): Map<string, string> {
  const found = new Map<string, string>();
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = Deno.readTextFileSync(join(REPO_ROOT, file));
    for (const m of text.matchAll(STATIC_IMPORT)) {
      const spec = m[1] ?? m[2];
      if (spec.startsWith("node:")) found.set(spec, found.get(spec) ?? file);
      else if (spec.startsWith(".")) visit(normalize(join(dirname(file), spec)));
    }
  };
  visit(entry);
  return found;
}

Deno.test("import graph: the hot paths start without Deno's Node compatibility layer", () => {
  // Any node: module but node:sqlite costs 11–16 ms to load (see core/path.ts).
  const entries = [
    "main.ts",
    "plugins/hot.ts",
    "plugins/mod.ts",
    "plugins/gate/gate.ts",
    "plugins/gate/guard.ts",
    "plugins/notify/notify.ts",
    "plugins/approvals/hook.ts",
    "plugins/completion/complete.ts",
    "core/delivery.ts",
    "core/cli.ts",
    "core/engine.ts",
    "plugins/dispatch/run.ts",
    "plugins/dispatch/resume.ts",
    "plugins/acp/driver.ts",
  ];
  for (const entry of entries) {
    const extra = [...nodeModulesLoadedBy(entry)].filter(([spec]) => spec !== "node:sqlite");
    assert.deepEqual(
      extra,
      [],
      `${entry} loads ${extra.map(([s, f]) => `${s} (${f})`).join(", ")}`,
    );
  }
  // The checker sees a node: import where there is one.
  assert.ok(nodeModulesLoadedBy("plugins/sshd/sshkey.ts").has("node:crypto"));
});

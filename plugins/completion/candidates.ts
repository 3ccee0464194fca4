// The values completion offers, each from where it lives: commands and flags from the
// command tree (built for the one command asked about), runs and devices from the
// database (indexed prefix queries, so a ledger of 100,000 runs costs what an empty one
// does), backends from the config, sessions from tmux, plugins from the registry.

import { DatabaseSync } from "node:sqlite";
import { paths } from "../../core/paths.ts";
import type { Registry } from "../../core/registry.ts";
import type { Want } from "./context.ts";

/** At most this many values of one kind (a shell lists them all). */
const MAX = 200;

type Tree = {
  name(): string;
  aliases(): string[];
  commands: Tree[];
  options: { long?: string; short?: string; required: boolean; optional: boolean }[];
};

const trees = new Map<string, Promise<Tree | null>>();

/** The command tree for one command path (or the program alone for `[]`), built once. */
function treeFor(registry: Registry, path: string[]): Promise<Tree | null> {
  const key = path.join(" ");
  if (!trees.has(key)) trees.set(key, buildTree(registry, path));
  return trees.get(key)!;
}

async function buildTree(registry: Registry, path: string[]): Promise<Tree | null> {
  const { commandContext, newProgram } = await import("../../core/cli.ts");
  const program = await newProgram() as unknown as Tree & { parse?: unknown };
  if (path.length === 0) return program;
  const spec = registry.command(path[0]);
  if (!spec?.register) return null;
  await spec.register(program as never, commandContext(registry));
  let node: Tree | undefined = program;
  for (const name of path) {
    node = node.commands.find((c) => c.name() === name || c.aliases().includes(name));
    if (!node) return null;
  }
  return node;
}

/** Whether `flag` of the command at `path` reads the next word as its value. */
export async function flagTakesValue(
  registry: Registry,
  path: string[],
  flag: string,
): Promise<boolean> {
  const tree = await treeFor(registry, path);
  const o = tree?.options.find((o) => o.long === flag || o.short === flag);
  return !!o && (o.required || o.optional);
}

function readDb<T>(fn: (db: DatabaseSync) => T, fallback: T): T {
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(paths().db, { readOnly: true });
    return fn(db);
  } catch {
    return fallback; // no ledger yet, or a table a newer handoff has not made here
  } finally {
    db?.close();
  }
}

/** Rows of `column` starting with `prefix`, through the column's index. */
function prefixed(db: DatabaseSync, sql: string, prefix: string): string[] {
  const rows = db.prepare(sql).all(prefix, prefix + "\uffff", MAX) as Record<string, string>[];
  return rows.map((r) => Object.values(r)[0]);
}

function runs(prefix: string): string[] {
  return readDb((db) => {
    const ids = prefix === ""
      ? (db.prepare("SELECT run_id FROM runs ORDER BY id DESC LIMIT ?").all(MAX) as {
        run_id: string;
      }[]).map((r) => r.run_id)
      : prefixed(
        db,
        "SELECT run_id FROM runs WHERE run_id >= ? AND run_id < ? ORDER BY run_id DESC LIMIT ?",
        prefix,
      );
    return [...ids, ...distinctSlugs(db, prefix)];
  }, []);
}

/**
 * The distinct names starting with `prefix`, one index seek each: a DISTINCT would walk
 * every run of the ledger (a few names are used by thousands of runs).
 */
function distinctSlugs(db: DatabaseSync, prefix: string): string[] {
  const end = prefix + "\uffff";
  const first = db.prepare(
    "SELECT slug FROM runs WHERE slug >= ? AND slug < ? ORDER BY slug LIMIT 1",
  );
  const after = db.prepare(
    "SELECT slug FROM runs WHERE slug > ? AND slug < ? ORDER BY slug LIMIT 1",
  );
  const out: string[] = [];
  let row = first.get(prefix, end) as { slug: string } | undefined;
  while (row && out.length < MAX) {
    if (row.slug !== "") out.push(row.slug);
    row = after.get(row.slug, end) as { slug: string } | undefined;
  }
  return out;
}

function devices(): string[] {
  return readDb(
    (db) =>
      (db.prepare("SELECT name FROM devices WHERE status != 'revoked' ORDER BY name").all() as {
        name: string;
      }[]).map((r) => r.name),
    [],
  );
}

function requests(): string[] {
  return readDb(
    (db) =>
      (db.prepare(
        "SELECT request_id FROM permission_requests WHERE status = 'open' AND expires_ms > ?",
      ).all(Date.now()) as { request_id: string }[]).map((r) => r.request_id),
    [],
  );
}

async function sessions(): Promise<string[]> {
  const { tmuxOnPath } = await import("../tmux/pane.ts");
  const tmux = tmuxOnPath();
  if (!tmux) return [];
  try {
    const r = await new Deno.Command(tmux, {
      args: ["list-sessions", "-F", "#{session_name}"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(1000),
    }).output();
    return r.success ? new TextDecoder().decode(r.stdout).split("\n").filter((s) => s) : [];
  } catch {
    return [];
  }
}

async function backends(registry: Registry): Promise<string[]> {
  try {
    const { loadConfig } = await import("../../core/config.ts");
    return (await loadConfig((t) => registry.backend(t))).backends.map((b) => b.name);
  } catch {
    return []; // no config, or one that does not parse: `handoff env` says why
  }
}

function flagsOf(tree: Tree | null): string[] {
  if (!tree) return [];
  const flags = tree.options.flatMap((o) => [o.long, o.short].filter((f): f is string => !!f));
  return [...flags, "--help"];
}

/** Every value of the wanted kind that starts with `current`. */
export async function candidates(
  want: Want,
  current: string,
  registry: () => Promise<Registry>,
): Promise<string[]> {
  let all: string[];
  switch (want.kind) {
    case "commands":
      all = (await registry()).commands().map((c) => c.name).filter((n) => !n.startsWith("_"));
      break;
    case "flags":
      all = flagsOf(await treeFor(await registry(), want.path));
      break;
    case "subcommands": {
      const tree = await treeFor(await registry(), [want.command]);
      all = tree?.commands.map((c) => c.name()) ?? [];
      break;
    }
    case "runs":
      return runs(current).filter((r) => r.startsWith(current));
    case "backends":
      all = await backends(await registry());
      break;
    case "devices":
      all = devices();
      break;
    case "requests":
      all = requests();
      break;
    case "sessions":
      all = await sessions();
      break;
    case "plugins":
      all = (await registry()).known().map((k) => k.name);
      break;
    case "shells":
      all = ["bash", "zsh", "fish"];
      break;
    case "none":
      return [];
  }
  return [...new Set(all)].filter((v) => v.startsWith(current)).sort();
}

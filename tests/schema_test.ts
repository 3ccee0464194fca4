/**
 * Who owns which table: every table of a new database is the core's or claimed by exactly
 * one first-party plugin's manifest; and a plugin's own schema steps run once, under the
 * write lock, whichever process gets there first.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { CORE_TABLES, ensureSchema, openDb } from "../core/store.ts";
import { parseManifest } from "../core/plugin/manifest.ts";
import { FIRST_PARTY } from "../plugins/mod.ts";
import { APPROVALS_SCHEMA } from "../plugins/approvals/requests.ts";

const PLUGIN_SCHEMAS = [APPROVALS_SCHEMA];

function tempDb() {
  const dir = Deno.makeTempDirSync({ prefix: "handoff-schema-" });
  return { dir, file: join(dir, "handoff.db") };
}

Deno.test("every table is the core's or one first-party plugin's", async () => {
  const { dir, file } = tempDb();
  try {
    const db = openDb(file);
    // Plugins that create their tables on first use.
    for (const schema of PLUGIN_SCHEMAS) ensureSchema(db, schema);
    const tables = (db.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    ).all() as { name: string }[]).map((r) => r.name).sort();
    db.close();
    const owners = new Map<string, string>();
    for (const t of CORE_TABLES) owners.set(t, "core");
    for (const { manifest } of FIRST_PARTY) {
      const m = parseManifest(JSON.stringify((await manifest()).default), { builtin: true });
      for (const t of m.tables) {
        assert.ok(!owners.has(t), `${t} is claimed by ${owners.get(t)} and ${m.name}`);
        owners.set(t, m.name);
      }
    }
    for (const t of tables) assert.ok(owners.has(t), `nobody owns the table ${t}`);
    assert.equal(owners.get("devices"), "gate");
    assert.deepEqual(
      [...owners.keys()].filter((t) => !tables.includes(t)),
      [],
      "claimed but absent",
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("ensureSchema: steps run once and are recorded; a newer schema is refused", () => {
  const { dir, file } = tempDb();
  try {
    const steps = ["CREATE TABLE demo_a (x INTEGER)", "ALTER TABLE demo_a ADD COLUMN y TEXT"];
    const a = openDb(file);
    const b = openDb(file);
    ensureSchema(a, { owner: "demo", steps: steps.slice(0, 1) });
    // Another connection (another process) sees version 1 and runs only the second step.
    ensureSchema(b, { owner: "demo", steps });
    ensureSchema(a, { owner: "demo", steps }); // cached for this connection: nothing runs
    const cols = (a.prepare("PRAGMA table_info(demo_a)").all() as { name: string }[]).map((c) =>
      c.name
    );
    assert.deepEqual(cols, ["x", "y"]);
    const row = a.prepare("SELECT version FROM schema_versions WHERE owner = 'demo'").get() as {
      version: number;
    };
    assert.equal(row.version, 2);
    const c = openDb(file);
    assert.throws(
      () => ensureSchema(c, { owner: "demo", steps: steps.slice(0, 1) }),
      /written by a newer handoff \(schema 2 > 1\)/,
    );
    for (const db of [a, b, c]) db.close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

/**
 * One SQLite database (WAL, busy timeout) for runs, counters, devices, events and the
 * audit trail: transactions instead of lock files and read-modify-write JSON.
 */
import { errLine } from "./output.ts";
import { DatabaseSync } from "node:sqlite";
import { ensurePrivateDir, paths } from "./paths.ts";
import { dirname } from "./path.ts";
import { importSeedLedger } from "./legacy.ts";
import { rebuildFromFiles } from "./rebuild.ts";

export type Db = DatabaseSync;

/**
 * Sets chain_id (the conversation's first run) and group_key (its newest turn) on every
 * run from the parent links: used by migration 9 and after runs are imported in bulk.
 */
const CHAIN_BACKFILL = `
   CREATE TEMP TABLE chain_map AS
     WITH RECURSIVE chain(id, root) AS (
       SELECT id, id FROM runs r
         WHERE parent_run_id IS NULL
            OR NOT EXISTS (SELECT 1 FROM runs p WHERE p.run_id = r.parent_run_id)
       UNION ALL
       SELECT c.id, chain.root FROM chain
         JOIN runs p ON p.id = chain.id
         JOIN runs c ON c.parent_run_id = p.run_id
     )
     SELECT id, min(root) AS root FROM chain GROUP BY id;
   CREATE INDEX temp.chain_map_id ON chain_map(id);
   UPDATE runs SET chain_id = coalesce((SELECT root FROM chain_map m WHERE m.id = runs.id), id);
   CREATE TEMP TABLE chain_last AS SELECT chain_id, max(id) AS last FROM runs GROUP BY chain_id;
   CREATE INDEX temp.chain_last_id ON chain_last(chain_id);
   UPDATE runs SET group_key = (SELECT last FROM chain_last l WHERE l.chain_id = runs.chain_id);
   DROP TABLE temp.chain_map;
   DROP TABLE temp.chain_last;`;

/** Schema steps, applied in order; `PRAGMA user_version` records how many ran. */
const MIGRATIONS: string[] = [
  // 1: the run ledger
  `CREATE TABLE runs (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     run_id TEXT NOT NULL UNIQUE,
     run_day TEXT NOT NULL,
     seq INTEGER NOT NULL,
     slug TEXT NOT NULL,
     backend TEXT NOT NULL,
     backend_type TEXT NOT NULL,
     model TEXT,
     pro INTEGER NOT NULL DEFAULT 0,
     permission_mode TEXT,
     cwd TEXT NOT NULL,
     title TEXT NOT NULL DEFAULT '',
     session_id TEXT,
     parent_run_id TEXT,
     status TEXT NOT NULL,
     exit_code INTEGER,
     error TEXT,
     pid INTEGER,
     pid_start TEXT,
     owner_pid INTEGER,
     owner_start TEXT,
     created_at INTEGER NOT NULL,
     started_at INTEGER,
     ended_at INTEGER,
     input_tokens INTEGER NOT NULL DEFAULT 0,
     output_tokens INTEGER NOT NULL DEFAULT 0,
     cache_read_tokens INTEGER NOT NULL DEFAULT 0,
     cache_write_tokens INTEGER NOT NULL DEFAULT 0,
     reasoning_tokens INTEGER NOT NULL DEFAULT 0,
     turns INTEGER NOT NULL DEFAULT 0,
     cost_usd REAL,
     thread_usage TEXT
   );
   CREATE INDEX runs_status ON runs(status);
   CREATE INDEX runs_backend ON runs(backend, id);
   CREATE INDEX runs_session ON runs(session_id);
   CREATE TABLE run_counters (day TEXT PRIMARY KEY, last_n INTEGER NOT NULL);
   CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  // 2: paired phones and what they are attached to
  `CREATE TABLE devices (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     name TEXT NOT NULL,
     fingerprint TEXT NOT NULL UNIQUE,
     status TEXT NOT NULL,
     sessions TEXT NOT NULL,
     read_only INTEGER NOT NULL DEFAULT 0,
     nonce TEXT NOT NULL,
     created_at TEXT NOT NULL,
     soft_expiry TEXT,
     hard_expiry TEXT,
     renewal_requested INTEGER NOT NULL DEFAULT 0,
     last_seen TEXT,
     last_command TEXT,
     pair_requested_at TEXT
   );
   CREATE TABLE attachments (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     device_id INTEGER NOT NULL,
     session TEXT NOT NULL,
     window INTEGER,
     pid INTEGER,
     pid_start TEXT,
     started_at TEXT NOT NULL,
     ended_at TEXT
   );
   CREATE INDEX attachments_open ON attachments(device_id) WHERE ended_at IS NULL;`,
  // 3: the event log streamed to phones (ids are monotonic and never reused)
  `CREATE TABLE events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     ts TEXT NOT NULL,
     type TEXT NOT NULL,
     title TEXT,
     message TEXT NOT NULL,
     tmux_session TEXT,
     tmux_window INTEGER,
     cwd TEXT,
     source TEXT,
     agent_session_id TEXT,
     run_id TEXT
   );`,
  // 4: run events name their backend
  `ALTER TABLE events ADD COLUMN backend TEXT;`,
  // 5: what pairing and revocation need to know about a device, and who is attached where
  `ALTER TABLE devices ADD COLUMN public_key TEXT;
   ALTER TABLE devices ADD COLUMN authorized_keys TEXT;
   ALTER TABLE devices ADD COLUMN key_from TEXT;
   ALTER TABLE devices ADD COLUMN reported_name TEXT;
   ALTER TABLE devices ADD COLUMN name_locked INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE devices ADD COLUMN pending_until TEXT;
   ALTER TABLE devices ADD COLUMN revoked_at TEXT;
   CREATE UNIQUE INDEX devices_live_name ON devices(name) WHERE status != 'revoked';
   ALTER TABLE attachments ADD COLUMN tty TEXT;
   ALTER TABLE attachments ADD COLUMN read_only INTEGER NOT NULL DEFAULT 0;`,
  // 6: runs are addressable by their name (`handoff resume fix-auth`)
  `CREATE INDEX runs_slug ON runs(slug, id);`,
  // 7: the tmux tab a run was started from (its events are scoped to it); where a pairing
  // request came from; the rights an attachment was opened with; open event streams
  `ALTER TABLE runs ADD COLUMN tmux_session TEXT;
   ALTER TABLE runs ADD COLUMN tmux_window INTEGER;
   ALTER TABLE devices ADD COLUMN pair_source TEXT;
   ALTER TABLE devices ADD COLUMN revoked_reason TEXT;
   ALTER TABLE attachments ADD COLUMN sessions TEXT;
   CREATE TABLE streams (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     device_id INTEGER NOT NULL,
     pid INTEGER,
     pid_start TEXT,
     started_at TEXT NOT NULL,
     ended_at TEXT
   );
   CREATE INDEX streams_open ON streams(device_id) WHERE ended_at IS NULL;`,
  // 8: the CLI's cost is its own estimate (list prices of another endpoint)
  `ALTER TABLE runs ADD COLUMN cost_estimated INTEGER NOT NULL DEFAULT 0;`,
  // 9: the turns of one conversation (a run and its resumes) kept together in lists:
  // chain_id is the first run's id, group_key the newest turn's id (so the chain sorts
  // by its latest activity)
  `ALTER TABLE runs ADD COLUMN chain_id INTEGER;
   ALTER TABLE runs ADD COLUMN group_key INTEGER;
   CREATE INDEX runs_parent ON runs(parent_run_id);
   ${CHAIN_BACKFILL}
   CREATE INDEX runs_group ON runs(group_key, id);
   CREATE INDEX runs_chain ON runs(chain_id);`,
  // 10: an attachment's session by id, and a read-only phone's own session
  `ALTER TABLE attachments ADD COLUMN session_id TEXT;
   ALTER TABLE attachments ADD COLUMN own_session_id TEXT;`,
  // 11: the gate's per-device rate limit (calls in the current 10 s window)
  `ALTER TABLE devices ADD COLUMN rate_window INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE devices ADD COLUMN rate_count INTEGER NOT NULL DEFAULT 0;`,
  // 12: each event sink's cursor in the event log, and how its deliveries go
  `CREATE TABLE sink_state (
     sink TEXT PRIMARY KEY,
     cursor INTEGER NOT NULL,
     attempts INTEGER NOT NULL DEFAULT 0,
     next_at INTEGER NOT NULL DEFAULT 0,
     delivered INTEGER NOT NULL DEFAULT 0,
     missed INTEGER NOT NULL DEFAULT 0,
     last_ok_at TEXT,
     last_error TEXT,
     last_error_at TEXT
   );`,
  // 13: the schema version of each plugin that owns tables (see ensureSchema)
  `CREATE TABLE schema_versions (owner TEXT PRIMARY KEY, version INTEGER NOT NULL);`,
  // 14: an event's own fields beyond the common ones (a permission request's id, options …)
  `ALTER TABLE events ADD COLUMN data TEXT;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * The tables the core owns. Migrations 2, 5, 7, 10 and 11 above created the gate's tables
 * (devices, attachments, streams) before plugins owned their schema: every database
 * replays them in order, so they stay; the gate plugin's manifest claims those tables and
 * later changes to them are the gate's own steps (ensureSchema).
 */
export const CORE_TABLES: readonly string[] = [
  "runs",
  "run_counters",
  "settings",
  // The event log and the sinks' cursors: run notices and event sinks are core hooks.
  "events",
  "sink_state",
  "schema_versions",
];

/** A plugin's own schema: its steps in order; `schema_versions` records how many ran. */
export interface PluginSchema {
  owner: string;
  steps: readonly string[];
}

const ensured = new WeakMap<Db, Set<string>>();

/**
 * Brings a plugin's tables up to date, once per open database: one SELECT when nothing
 * is to do, else the missing steps in one write transaction (another process may have run
 * them meanwhile: the version is read again under the lock).
 */
export function ensureSchema(db: Db, schema: PluginSchema): void {
  const done = ensured.get(db) ?? new Set<string>();
  ensured.set(db, done);
  if (done.has(schema.owner)) return;
  const versionOf = () =>
    Number(
      (db.prepare("SELECT version FROM schema_versions WHERE owner = ?").get(schema.owner) as
        | { version: number }
        | undefined)?.version ?? 0,
    );
  const v = versionOf();
  if (v > schema.steps.length) {
    throw new Error(
      `the ${schema.owner} tables were written by a newer handoff (schema ${v} > ` +
        `${schema.steps.length}); upgrade handoff`,
    );
  }
  if (v < schema.steps.length) {
    transaction(db, () => {
      const now = versionOf();
      for (let i = now; i < schema.steps.length; i++) db.exec(schema.steps[i]);
      db.prepare(
        "INSERT INTO schema_versions (owner, version) VALUES (?, ?) " +
          "ON CONFLICT(owner) DO UPDATE SET version = excluded.version",
      ).run(schema.owner, schema.steps.length);
    });
  }
  done.add(schema.owner);
}

const BUSY_TIMEOUT_MS = 15000;

export interface OpenOptions {
  /**
   * For commands that only read (list, tail, env): on a read-only home, where SQLite
   * cannot create its WAL index, the database is opened immutable instead of failing.
   */
  readOnly?: boolean;
}

/** Opens (creating if needed) the database and brings its schema up to date. */
export function openDb(file = paths().db, opts: OpenOptions = {}): Db {
  if (!opts.readOnly) return openWritable(file);
  try {
    return openWritable(file);
  } catch (e) {
    if (!/unable to open database file|readonly|Read-only file system/i.test(String(e))) throw e;
    try {
      Deno.statSync(file);
    } catch {
      throw e; // nothing to read
    }
    return openImmutable(file);
  }
}

/** A database nobody can change (a read-only mount): read as is, without a WAL index. */
function openImmutable(file: string): Db {
  const uri = "file:" + encodeURI(file).replace(/\?/g, "%3F").replace(/#/g, "%23") +
    "?immutable=1";
  const db = new DatabaseSync(uri, { readOnly: true });
  const version = Number(
    (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version,
  );
  if (version !== SCHEMA_VERSION) {
    db.close();
    throw new Error(
      `the database has schema ${version}, this handoff ${SCHEMA_VERSION}: it cannot be ` +
        "upgraded on a read-only home (Read-only file system)",
    );
  }
  return db;
}

function openWritable(file: string): Db {
  ensurePrivateDir(dirname(file));
  const db = new DatabaseSync(file, { timeout: BUSY_TIMEOUT_MS });
  try {
    Deno.chmodSync(file, 0o600);
  } catch { /* not ours to change (e.g. read-only mount): keep going */ }
  db.exec(
    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
  );
  if (migrate(db) === 0) {
    importLegacy(db, dirname(file));
    rebuild(db, dirname(file));
    backfillChains(db);
  }
  return db;
}

/** A new (or emptied) database adopts the run files already on disk, once. */
function rebuild(db: Db, home: string): void {
  try {
    const n = transaction(db, () => rebuildFromFiles(db, home));
    if (n) {
      errLine(
        `handoff: the run ledger was empty but ${home} holds ${n} runs' files: rebuilt them ` +
          "(status from the files; runs without a result are marked lost). No file was overwritten.",
      );
    }
  } catch (e) {
    errLine(
      `handoff: could not rebuild the ledger from the run files: ${(e as Error).message}`,
    );
  }
}

/** A new database adopts the original tool's ledger, once (see core/legacy.ts). */
function importLegacy(db: Db, home: string): void {
  try {
    const n = importSeedLedger(db, home);
    if (n) errLine(`handoff: imported ${n} runs from the original handoff's runs/handoff.db`);
  } catch (e) {
    errLine(`handoff: could not import the original ledger: ${(e as Error).message}`);
  }
}

/** Brings the schema up to date; returns the version found (0 for a new database). */
function migrate(db: Db): number {
  const current = Number(
    (db.prepare("PRAGMA user_version").get() as { user_version: number })
      .user_version,
  );
  if (current === SCHEMA_VERSION) return current;
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `the database was written by a newer handoff (schema ${current} > ${SCHEMA_VERSION}); upgrade handoff`,
    );
  }
  transaction(db, () => {
    // Re-read inside the write lock: another process may have migrated meanwhile.
    const v = Number(
      (db.prepare("PRAGMA user_version").get() as { user_version: number })
        .user_version,
    );
    for (let i = v; i < MIGRATIONS.length; i++) db.exec(MIGRATIONS[i]);
    db.exec(`PRAGMA user_version = ${MIGRATIONS.length}`);
  });
  return current;
}

/** Recomputes every run's conversation chain (after a bulk import of runs). */
export function backfillChains(db: Db): void {
  db.exec(CHAIN_BACKFILL);
}

/**
 * Runs `fn` in a `BEGIN IMMEDIATE` transaction: the write lock is taken up front. Inside a
 * transaction already, `fn` simply joins it (so helpers that commit on their own can be
 * composed into one atomic step).
 */
export function transaction<T>(db: Db, fn: () => T): T {
  if (db.isTransaction) return fn();
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = fn();
    db.exec("COMMIT");
    return result;
  } catch (e) {
    try {
      db.exec("ROLLBACK");
    } catch { /* already rolled back */ }
    throw e;
  }
}

export function getSetting(db: Db, key: string): string | undefined {
  const row = db.prepare("SELECT value FROM settings WHERE key = ?").get(key) as
    | { value: string }
    | undefined;
  return row?.value;
}

export function setSetting(db: Db, key: string, value: string): void {
  db.prepare(
    "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
  ).run(key, value);
}

/** What a user may type to name a run (`tail`, `wait`, `kill`, `resume`): every selector. */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AmbiguousRun, findRun, insertRun, type NewRun } from "../core/ledger.ts";
import { openDb } from "../core/store.ts";

const now = new Date(2026, 10, 23, 12); // 23 Nov, local time: ids start 1123-

Deno.test("findRun: ids, prefixes, codes, files, latest and names", async () => {
  const dir = await mkdtemp(join(tmpdir(), "handoff-select-"));
  const db = openDb(join(dir, "handoff.db"));
  try {
    const run = (slug: string, extra: Partial<NewRun> = {}) =>
      insertRun(db, {
        backend: "deepseek",
        backendType: "claude",
        slug,
        cwd: dir,
        title: slug,
        status: "running",
        now,
        ...extra,
      }).run_id;
    const first = run("fix-auth"); // 1123-ds-01-fix-auth
    const other = run("write-docs"); // 1123-ds-02-write-docs
    const second = run("fix-auth", { parentRunId: first }); // a resume keeps the name
    const reserved = run("fix-auth", { status: "reserved" }); // `handoff new`, not run yet
    assert.equal(first, "1123-ds-01-fix-auth");

    const id = (sel: string) => findRun(db, sel, { now })?.run_id ?? null;
    assert.equal(id(first), first);
    assert.equal(id("1123-ds-02"), other, "a unique prefix");
    assert.equal(id("02"), other, "today's sequence code");
    assert.equal(id("2"), other, "a one-digit code");
    assert.equal(id("1123-03"), second, "MMDD-code");
    assert.equal(id(join(dir, "tasks", `${other}.result.md`)), other, "a RESULT= path");
    assert.equal(id(`${first}.prompt.md`), first, "a prompt file name");
    assert.equal(id("latest"), second, "latest skips reserved rows");
    assert.equal(id("fix-auth"), second, "a name: its newest run that ran");
    assert.equal(id("write-docs"), other);
    assert.equal(id(reserved), reserved, "the exact id still reaches a reserved row");
    const short = run("qw"); // 1123-ds-05-qw: a two-letter name, not a sequence code
    assert.equal(id("qw"), short, "a two-letter name");
    assert.equal(id("no-such-run"), null);
    assert.equal(id("0999-ds-01"), null);
    assert.throws(() => findRun(db, "1123-ds", { now }), AmbiguousRun);
  } finally {
    db.close();
    await rm(dir, { recursive: true, force: true });
  }
});

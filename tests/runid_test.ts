import assert from "node:assert/strict";
import {
  backendAbbrev,
  cleanSlug,
  formatRunId,
  localDay,
  parseRunId,
  parseSeqCode,
  seqCode,
} from "../core/runid.ts";

Deno.test("seq codes: 01..99, A0..ZZ, then plain numbers; they round-trip", () => {
  const cases: [number, string][] = [
    [1, "01"],
    [9, "09"],
    [99, "99"],
    [100, "A0"],
    [109, "A9"],
    [110, "AA"],
    [135, "AZ"],
    [136, "B0"],
    [1035, "ZZ"],
    [1036, "1036"],
    [25000, "25000"],
  ];
  for (const [n, code] of cases) {
    assert.equal(seqCode(n), code, `seqCode(${n})`);
    assert.equal(parseSeqCode(code), n, `parseSeqCode(${code})`);
  }
  assert.throws(() => seqCode(0));
  assert.equal(parseSeqCode("00"), null);
  assert.equal(parseSeqCode("a0"), null);
  assert.equal(parseSeqCode("0999"), null, "4+ digits only above the two-character range");
});

Deno.test("slugs: lower-case, [a-z0-9-], three words, task when empty", () => {
  assert.equal(cleanSlug("Fix Auth Timeout Now"), "fix-auth-timeout");
  assert.equal(cleanSlug("  --weird__name!! "), "weird-name");
  assert.equal(cleanSlug("修复 bug"), "bug");
  assert.equal(cleanSlug("修复"), "task");
  assert.equal(cleanSlug(undefined), "task");
  assert.equal(cleanSlug("", "resume"), "resume");
});

Deno.test("backend abbreviations keep the seed's special cases", () => {
  assert.equal(backendAbbrev("deepseek"), "ds");
  assert.equal(backendAbbrev("codex"), "cx");
  assert.equal(backendAbbrev("opus"), "op");
  assert.equal(backendAbbrev("K2"), "kx");
  assert.equal(backendAbbrev("4o-mini"), "om");
  assert.equal(backendAbbrev("9"), "xx");
});

Deno.test("run ids format and parse in the seed layout", () => {
  const d = new Date(2026, 5, 11, 10, 0, 0);
  const id = formatRunId(d, "deepseek", 3, "Fix the auth bug");
  assert.equal(id, "0611-ds-03-fix-the-auth");
  assert.deepEqual(parseRunId(id), { mmdd: "0611", abbrev: "ds", seq: 3, slug: "fix-the-auth" });
  assert.deepEqual(parseRunId("1123-cx-A0-x")?.seq, 100);
  assert.deepEqual(parseRunId("1123-cx-1036-x")?.seq, 1036);
  assert.equal(parseRunId("hd-0611-03"), null, "old formats are not adoptable");
  assert.equal(parseRunId("0611-ds-03-"), null);
  assert.equal(parseRunId("0611-ds-03-a/b"), null);
  assert.equal(localDay(d), "2026-06-11");
});

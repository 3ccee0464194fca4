// The gate's audit trail under attack: commands crafted to pass for other rows in
// `devices log` (newlines, tabs, bidi overrides and the rest of the format characters),
// and many gates writing while the log rotates.

import assert from "node:assert/strict";
import { join } from "node:path";
import { pairPhone, startPhoneWorld } from "./helpers/phone.ts";
import { REPO_ROOT } from "./helpers/agents.ts";

const FORGED = [
  "x\n  2026-05-02 09:13:07  Boss              list                          ok",
  "list\tok\tBoss",
  "\u202eko  tsil  ssoB",
  "zero\u200bwidth\u2066isolate\u2069",
  "\x1b[2J\x1b]52;c;aGk=\x07bell",
  "line\u2028sep\u2029para\u0085nel",
  "tag\u{E0041}\u{E0042}",
];

// Nothing that moves the cursor, hides text or reorders it may reach the terminal.
const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

Deno.test("devices log: every field is escaped, so a forged command shows as one row (plain and --json)", async () => {
  const w = await startPhoneWorld();
  try {
    const p = await pairPhone(w, "Forger", ["--sessions", "main"]);
    for (const cmd of FORGED) await w.gate(p.fingerprint, cmd);
    // A line written by hand (an older tool, a person): its name and result are free text.
    Deno.writeTextFileSync(
      join(w.home, "access.log"),
      JSON.stringify({
        ts: "2026-05-02T09:13:07Z\n",
        fp: p.fingerprint,
        name: "Boss\u202e",
        cmd: "list",
        result: "ok\n  2026-05-02 09:13:08  Boss  list  ok",
      }) + "\n",
      { append: true },
    );
    const before = w.accessLog().length;

    const plain = await w.handoff(["devices", "log", "--limit", "1000"]);
    assert.equal(plain.code, 0, plain.stderr);
    const rows = plain.stdout.trimEnd().split("\n");
    assert.equal(rows.length, 1 + before, "one row per entry, plus the heading");
    assert.doesNotMatch(plain.stdout.replaceAll("\n", ""), INVISIBLE);
    assert.ok(!rows.some((r) => /^ {2}2026-05-02 09:13:0[78] {2}Boss/.test(r)), "no forged row");
    assert.ok(rows.some((r) => r.includes("x\\n  2026-05-02")), "the newline shows as \\n");
    assert.ok(rows.some((r) => r.includes("\\u202eko")), "the bidi override shows as an escape");

    const json = await w.handoff(["devices", "log", "--json", "--limit", "1000"]);
    assert.equal(json.code, 0, json.stderr);
    const lines = json.stdout.trimEnd().split("\n");
    assert.equal(lines.length, before);
    assert.doesNotMatch(json.stdout.replaceAll("\n", ""), INVISIBLE);
    const cmds = lines.map((l) => JSON.parse(l).cmd);
    for (const f of FORGED) assert.ok(cmds.includes(f), `${JSON.stringify(f)} kept exactly`);
    assert.equal(JSON.parse(lines.at(-1)!).name, "Boss\u202e");
  } finally {
    await w.close();
  }
});

const WRITER = `
import { appendAuditLine } from ${JSON.stringify(join(REPO_ROOT, "plugins/gate/audit_file.ts"))};
const [home, who, n] = Deno.args;
for (let i = 0; i < Number(n); i++) {
  appendAuditLine(home, JSON.stringify({ ts: "t", fp: who, name: who, cmd: "c".repeat(60), result: String(i) }));
}
`;

Deno.test("access.log rotates at its size limit, one old file kept, and concurrent writers lose no line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "handoff-audit-" });
  try {
    const script = join(dir, "writer.ts");
    await Deno.writeTextFile(script, WRITER);
    const home = join(dir, "home");
    // 8 writers × 150 lines of ~130 bytes ≈ 156 KB: over the 100 KB limit once, not twice.
    const writers = Array.from({ length: 8 }, (_, k) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--quiet", script, home, `w${k}`, "150"],
        env: { HANDOFF_ACCESS_LOG_MAX_BYTES: "100000" },
        stdout: "null",
        stderr: "piped",
      }).output());
    for (const out of await Promise.all(writers)) {
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    }
    const read = (f: string) =>
      Deno.readTextFileSync(join(home, f)).split("\n").filter((l) => l !== "");
    const old = read("access.log.1");
    const current = read("access.log");
    assert.ok(old.length > 0 && current.length > 0, "rotated once");
    const all = [...old, ...current].map((l) => JSON.parse(l));
    assert.equal(all.length, 8 * 150, "no line lost");
    assert.equal(new Set(all.map((e) => `${e.fp}:${e.result}`)).size, 8 * 150);
    // Each writer's lines stay in order across the two files.
    for (let k = 0; k < 8; k++) {
      const mine = all.filter((e) => e.fp === `w${k}`).map((e) => Number(e.result));
      assert.deepEqual(mine, [...mine].sort((a, b) => a - b));
    }
    assert.equal((Deno.statSync(join(home, "access.log")).mode ?? 0) & 0o777, 0o600);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("audit lines: C1 controls, bidi overrides and line separators are escapes, not raw", async () => {
  const { accessLogLine, unknownDeviceLogLine } = await import("../plugins/gate/audit.ts");
  const cmd = 'list\u2028{"ts":"x","result":"ok"}\u0085\u202eevil\u009b31m\u2029';
  const device = {
    id: 1,
    name: "P\u202e",
    fingerprint: "SHA256:" + "A".repeat(43),
    status: "active" as const,
    sessions: ["*"],
    readOnly: false,
    nonce: "n",
    createdAt: "2026-01-01T00:00:00Z",
    softExpiry: null,
    hardExpiry: null,
    renewalRequested: false,
    lastSeen: null,
    lastCommand: null,
  };
  const lines = [
    accessLogLine(device, cmd, { verb: "list" }, { allow: true }, new Date())!,
    unknownDeviceLogLine("SHA256:x\u2028", cmd, new Date()),
  ];
  for (const line of lines) {
    assert.doesNotMatch(line, /[\u0080-\u009f\u2028\u2029\u202e]/u);
    assert.equal(
      line.split(/\r\n|[\n\r\u0085\u2028\u2029]/u).length,
      1,
      "one line for every splitter",
    );
    assert.equal(JSON.parse(line).cmd, cmd, "the value itself is unchanged");
  }
});

Deno.test("audit: calls of keys no device has share one log budget per window", async () => {
  const { runHandoff } = await import("./helpers/handoff.ts");
  const { UNKNOWN_LOG_LINES } = await import("../plugins/gate/gate.ts");
  const home = Deno.makeTempDirSync({ prefix: "handoff-unknown-" });
  try {
    const env = {
      PATH: "/usr/bin:/bin",
      HOME: home,
      HANDOFF_HOME: home,
      DENO_DIR: Deno.env.get("DENO_DIR") ?? join(Deno.env.get("HOME") ?? "/root", ".cache", "deno"),
    };
    const call = () =>
      runHandoff(["gate", `SHA256:${"C".repeat(43)}`], {
        env: { ...env, SSH_ORIGINAL_COMMAND: `list ${"x".repeat(500)}` },
        cwd: home,
      });
    const replies: string[] = [];
    // More than two budgets: the calls may straddle the end of a window.
    for (let i = 0; i < 2 * UNKNOWN_LOG_LINES + 10; i += 10) {
      replies.push(...(await Promise.all(Array.from({ length: 10 }, call))).map((r) => r.stdout));
    }
    assert.ok(
      replies.every((r) => r === "error:not_found\n"),
      "unknown keys look alike throughout",
    );
    const lines = Deno.readTextFileSync(join(home, "access.log")).trim().split("\n");
    // One window of 10 s may be crossed while the calls run: at most two budgets.
    assert.ok(
      lines.length <= 2 * UNKNOWN_LOG_LINES && lines.length < replies.length,
      String(lines.length),
    );
  } finally {
    Deno.removeSync(home, { recursive: true });
  }
});

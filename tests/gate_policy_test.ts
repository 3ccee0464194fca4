import assert from "node:assert/strict";
import { accessLogLine, auditResult, MAX_LOGGED_COMMAND } from "../plugins/gate/audit.ts";
import type { Device } from "../plugins/gate/device.ts";
import { sessionAllowed } from "../plugins/gate/glob.ts";
import { parseGateCommand, validSessionName } from "../plugins/gate/grammar.ts";
import {
  decide,
  type Decision,
  filterSessions,
  listReply,
  permissionsHeader,
} from "../plugins/gate/policy.ts";
import { verificationCode } from "../plugins/gate/verification.ts";

// A fixed clock: the seed's fixtures expired on 2027-01-01; these are relative to NOW.
const NOW = new Date("2026-06-01T12:00:00Z");
const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();

function device(overrides: Partial<Device>): Device {
  return {
    id: 1,
    name: "Device",
    fingerprint: "SHA256:device",
    status: "active",
    sessions: ["*"],
    readOnly: false,
    nonce: "abc123",
    createdAt: iso(NOW.getTime() - DAY),
    softExpiry: iso(NOW.getTime() + 30 * DAY),
    hardExpiry: iso(NOW.getTime() + 32 * DAY),
    renewalRequested: false,
    lastSeen: null,
    lastCommand: null,
    ...overrides,
  };
}

// The seed's §8.2 fixtures.
const ACTIVE_RW = device({
  name: "ActiveRW",
  fingerprint: "SHA256:active_rw",
  sessions: ["main", "work-*"],
});
const ACTIVE_RO = device({
  name: "ActiveRO",
  fingerprint: "SHA256:active_ro",
  sessions: ["main"],
  readOnly: true,
});
const PENDING = device({
  name: "Pending",
  fingerprint: "SHA256:pending",
  status: "pending",
});
const EXPIRED = device({
  name: "Expired",
  fingerprint: "SHA256:expired",
  softExpiry: iso(NOW.getTime() - DAY),
  hardExpiry: iso(NOW.getTime() + DAY),
});
const TMUX_SESSIONS = [{ name: "main", windows: 2 }, {
  name: "secret",
  windows: 1,
}];

function gate(dev: Device | null, raw: string | undefined): Decision {
  return decide(dev, parseGateCommand(raw), NOW);
}

/** What the gate would print, for the seed's substring assertions. */
function reply(dev: Device | null, raw: string | undefined): string {
  const req = parseGateCommand(raw);
  const d = decide(dev, req, NOW);
  if (!d.allow) return d.reply;
  switch (req.verb) {
    case "pair":
      return `verify:${verificationCode(dev!.fingerprint, dev!.nonce)}`;
    case "renew":
      return "requested";
    case "list":
      return listReply(dev!, TMUX_SESSIONS);
    default:
      return "ok";
  }
}

/** The reply and audit result of a decision, or "allowed". */
function denied(d: Decision): { reply: string; result: string } | "allowed" {
  return d.allow ? "allowed" : { reply: d.reply, result: d.result };
}

Deno.test("seed cases 1-17: lookup, status, sessions, read-only, commands", () => {
  const cases: Array<[number, Device | null, string, string]> = [
    [1, null, "list", "error:not_found"],
    [2, PENDING, "list", "error:pending"],
    [3, PENDING, "pair", "verify:"],
    [4, EXPIRED, "list", "error:soft_expired"],
    [5, EXPIRED, "renew", "requested"],
    [6, ACTIVE_RW, "list", "#permissions:"],
    [7, ACTIVE_RW, "list", "main:"],
    [9, ACTIVE_RW, "attach secret", "error:denied"],
    [10, ACTIVE_RO, "windows secret", "error:denied"],
    [11, ACTIVE_RO, "create-session test", "error:read_only"],
    [12, ACTIVE_RO, "create-window main", "error:read_only"],
    [13, ACTIVE_RO, "kill-session main", "error:read_only"],
    [14, ACTIVE_RO, "kill-window main 0", "error:read_only"],
    [15, ACTIVE_RW, "ls -la", "error:unknown_command"],
    [16, ACTIVE_RW, "rm -rf /", "error:unknown_command"],
    [17, ACTIVE_RW, "bash", "error:unknown_command"],
  ];
  for (const [n, dev, raw, expected] of cases) {
    assert.ok(reply(dev, raw).includes(expected), `case ${n}: ${raw}`);
  }
  // Case 8: `windows main` must not contain `error:`.
  assert.ok(!reply(ACTIVE_RW, "windows main").includes("error:"), "case 8");
});

Deno.test("seed cases 18-19: a JSON access log, nothing for unknown fingerprints", () => {
  const req = parseGateCommand("list");
  const first = accessLogLine(
    PENDING,
    "list",
    req,
    decide(PENDING, req, NOW),
    NOW,
  );
  assert.deepEqual(JSON.parse(first!), {
    ts: "2026-06-01T12:00:00Z",
    fp: "SHA256:pending",
    name: "Pending",
    cmd: "list",
    result: "denied:pending",
  });
  assert.equal(
    accessLogLine(null, "list", req, decide(null, req, NOW), NOW),
    null,
  );
});

Deno.test("seed cases 20-22: verification code", () => {
  const a = verificationCode("SHA256:testfp", "abc123");
  assert.equal(verificationCode("SHA256:testfp", "abc123"), a);
  assert.notEqual(verificationCode("SHA256:testfp", "xyz789"), a);
  assert.equal(a, "071706");
});

Deno.test("seed cases 23-27: pattern matching", () => {
  assert.equal(sessionAllowed("main", ["main", "work-*"]), true);
  assert.equal(sessionAllowed("work-frontend", ["main", "work-*"]), true);
  assert.equal(sessionAllowed("work-backend", ["main", "work-*"]), true);
  assert.equal(sessionAllowed("secret", ["main", "work-*"]), false);
  assert.equal(sessionAllowed("anything", ["*"]), true);
});

Deno.test("decide: status gates and their audit results", () => {
  const revoked = device({ status: "revoked" });
  const cases: Array<[Device | null, string, string, string]> = [
    [null, "list", "error:not_found", "denied:not_found"],
    [revoked, "list", "error:not_found", "denied:revoked"],
    [revoked, "pair x", "error:not_found", "denied:revoked"],
    // Pending beats everything but pair, including unknown commands.
    [PENDING, "ls -la", "error:pending", "denied:pending"],
    [PENDING, "renew", "error:pending", "denied:pending"],
    // Soft expiry comes before dispatch.
    [EXPIRED, "ls -la", "error:soft_expired", "denied:soft_expired"],
    [EXPIRED, "windows main", "error:soft_expired", "denied:soft_expired"],
    [EXPIRED, "subscribe since=0", "error:soft_expired", "denied:soft_expired"],
    // pair only while pending: no renaming of an active device.
    [ACTIVE_RW, "pair Evil Twin", "error:denied", "denied:already_paired"],
    [EXPIRED, "pair x", "error:denied", "denied:already_paired"],
    [PENDING, "pair a|b", "error:denied", "denied:invalid_name"],
    [PENDING, "pair \x1b]0;owned\x07", "error:denied", "denied:invalid_name"],
    [PENDING, `pair ${"n".repeat(65)}`, "error:denied", "denied:invalid_name"],
  ];
  for (const [dev, raw, replyText, result] of cases) {
    assert.deepEqual(denied(gate(dev, raw)), { reply: replyText, result }, raw);
  }
  assert.equal(gate(PENDING, "pair Google Pixel 7").allow, true);
  assert.equal(gate(ACTIVE_RW, "renew").allow, true);
  assert.equal(gate(EXPIRED, "renew").allow, true);
});

Deno.test("decide: soft expiry compares instants, fails closed", () => {
  const at = (softExpiry: string | null) => gate(device({ softExpiry }), "list").allow;
  assert.equal(at(null), true);
  assert.equal(at("2026-06-01T12:00:00Z"), true, "exactly at the expiry");
  assert.equal(at("2026-06-01T11:59:59Z"), false);
  assert.equal(
    at("2026-06-01T14:00:00+02:00"),
    true,
    "same instant, other zone",
  );
  assert.equal(at("2026-06-01T13:00:00+02:00"), false);
  assert.equal(at("2027-01-01 00:00:00"), false, "no zone: unreadable");
  assert.equal(at("garbage"), false);
});

Deno.test("decide: order is read-only, missing args, validity, patterns", () => {
  const cases: Array<[Device, string, string, string]> = [
    [ACTIVE_RO, "create-session", "error:read_only", "denied:read_only"],
    [ACTIVE_RO, "kill-session secret", "error:read_only", "denied:read_only"],
    [
      ACTIVE_RO,
      "kill-window $bad 99999999",
      "error:read_only",
      "denied:read_only",
    ],
    [ACTIVE_RW, "windows", "error:denied", "denied:missing_session"],
    [ACTIVE_RW, "attach", "error:denied", "denied:missing_session"],
    [ACTIVE_RW, "create-window", "error:denied", "denied:missing_session"],
    [ACTIVE_RW, "kill-session", "error:denied", "denied:missing_session"],
    [ACTIVE_RW, "create-session", "error:denied", "denied:missing_name"],
    [ACTIVE_RW, "kill-window", "error:denied", "denied:missing_args"],
    [ACTIVE_RW, "kill-window main", "error:denied", "denied:missing_args"],
    [ACTIVE_RW, "kill-window secret", "error:denied", "denied:missing_args"],
    [ACTIVE_RW, "attach  0", "error:denied", "denied:missing_session"],
    [ACTIVE_RW, "windows $secret", "error:denied", "denied:invalid_args"],
    [ACTIVE_RW, "attach main 1234567", "error:denied", "denied:invalid_args"],
    [ACTIVE_RW, "windows secret", "error:denied", "denied:session_not_allowed"],
    [
      ACTIVE_RW,
      "create-session other",
      "error:denied",
      "denied:session_not_allowed",
    ],
    [ACTIVE_RW, "subscribe", "error:denied", "denied:missing_args"],
    [ACTIVE_RW, "subscribe since=x", "error:denied", "denied:missing_args"],
    [
      ACTIVE_RW,
      "subscribe since=0 types=a$b",
      "error:denied",
      "denied:invalid_args",
    ],
  ];
  for (const [dev, raw, replyText, result] of cases) {
    assert.deepEqual(denied(gate(dev, raw)), { reply: replyText, result }, raw);
  }
  const allowed: Array<[Device, string]> = [
    [ACTIVE_RW, "list"],
    [ACTIVE_RW, ""],
    [ACTIVE_RW, "windows main"],
    [ACTIVE_RW, "attach main"],
    [ACTIVE_RW, "attach work-api 3"],
    [ACTIVE_RW, "create-session work-new"],
    [ACTIVE_RW, "create-window main"],
    [ACTIVE_RW, "kill-session work-old"],
    [ACTIVE_RW, "kill-window main 2"],
    [ACTIVE_RO, "windows main"],
    [ACTIVE_RO, "attach main 0"],
    [ACTIVE_RO, "subscribe since=17 types=notify,stop"],
  ];
  for (const [dev, raw] of allowed) {
    assert.equal(gate(dev, raw).allow, true, raw);
  }
});

Deno.test("list: header, filtering and reply text", () => {
  assert.equal(
    permissionsHeader(ACTIVE_RW),
    "#permissions:read_only=false,sessions=main;work-*",
  );
  assert.equal(
    permissionsHeader(ACTIVE_RO),
    "#permissions:read_only=true,sessions=main",
  );
  assert.deepEqual(
    filterSessions(device({ sessions: ["*"] }), ["main", "$odd", "x#y", "ok"]),
    ["main", "ok"],
  );
  assert.deepEqual(filterSessions(device({ sessions: [] }), ["main"]), []);
  assert.equal(
    listReply(ACTIVE_RW, [
      { name: "main", windows: 2 },
      { name: "secret", windows: 1 },
      { name: "work-api", windows: 3 },
    ]),
    "#permissions:read_only=false,sessions=main;work-*\nmain:2\nwork-api:3\n",
  );
});

Deno.test("audit: results, escaping, truncation, pair name", () => {
  const sub = parseGateCommand("subscribe since=5");
  assert.equal(auditResult(sub, { allow: true }), "ok:subscribe:since=5");
  assert.equal(auditResult(parseGateCommand("list"), { allow: true }), "ok");

  const hostile = `list "}\n{"forged":"x\\`;
  const req = parseGateCommand(hostile);
  const line = accessLogLine(
    ACTIVE_RW,
    hostile,
    req,
    decide(ACTIVE_RW, req, NOW),
    NOW,
  )!;
  assert.ok(!line.includes("\n"));
  assert.equal(JSON.parse(line).cmd, hostile);
  assert.equal(JSON.parse(line).result, "ok");

  const long = `windows ${"x".repeat(10_000)}`;
  const longReq = parseGateCommand(long);
  const longLine = accessLogLine(
    ACTIVE_RW,
    long,
    longReq,
    gate(ACTIVE_RW, long),
    NOW,
  )!;
  assert.equal(
    Array.from(JSON.parse(longLine).cmd).length,
    MAX_LOGGED_COMMAND + 1,
  );

  const empty = accessLogLine(ACTIVE_RW, "", parseGateCommand(""), {
    allow: true,
  }, NOW)!;
  assert.equal(JSON.parse(empty).cmd, "list");

  const pair = parseGateCommand("pair Google Pixel 7");
  const paired = accessLogLine(PENDING, "pair Google Pixel 7", pair, {
    allow: true,
  }, NOW)!;
  assert.equal(JSON.parse(paired).name, "Google Pixel 7");
  const keep = accessLogLine(PENDING, "pair", parseGateCommand("pair"), {
    allow: true,
  }, NOW)!;
  assert.equal(JSON.parse(keep).name, "Pending");
});

// Hostile client input. Each row: the command, then the expected audit result for a
// device limited to `main, work-*`, then for a device allowed `*`. "ok" is expected only
// for names that are literal and safe once passed to tmux as an exact `=name:` argv
// target (no shell is ever involved).
const HOSTILE: Array<[string, string, string]> = [
  ["windows main; rm -rf /", "denied:invalid_args", "denied:invalid_args"],
  // A client's tty, which tmux would resolve to the session that client shows.
  ["windows pts/6", "denied:invalid_args", "denied:invalid_args"],
  ["attach pts/6 0", "denied:invalid_args", "denied:invalid_args"],
  ["kill-session /dev/pts/6", "denied:invalid_args", "denied:invalid_args"],
  ["create-window ttys003/", "denied:invalid_args", "denied:invalid_args"],
  ["windows $(reboot)", "denied:invalid_args", "denied:invalid_args"],
  ["windows main$(reboot)", "denied:session_not_allowed", "ok"],
  ["windows `id`", "denied:session_not_allowed", "ok"],
  ["windows 'main'", "denied:session_not_allowed", "ok"],
  ['windows "main"', "denied:session_not_allowed", "ok"],
  ["windows main\nlist", "denied:invalid_args", "denied:invalid_args"],
  ["windows main\r", "denied:invalid_args", "denied:invalid_args"],
  ["windows main\0", "denied:invalid_args", "denied:invalid_args"],
  ["windows \x1b[31mred", "denied:invalid_args", "denied:invalid_args"],
  ["windows \x1b]52;c;aGk=\x07", "denied:invalid_args", "denied:invalid_args"],
  ["windows main\u202e", "denied:invalid_args", "denied:invalid_args"],
  ["windows main\u0085", "denied:invalid_args", "denied:invalid_args"],
  [
    `windows ${"a".repeat(10_240)}`,
    "denied:invalid_args",
    "denied:invalid_args",
  ],
  [
    `attach main ${"9".repeat(10_240)}`,
    "denied:invalid_args",
    "denied:invalid_args",
  ],
  ["windows -t", "denied:invalid_args", "denied:invalid_args"],
  ["windows --x", "denied:invalid_args", "denied:invalid_args"],
  ["windows =main", "denied:invalid_args", "denied:invalid_args"],
  ["windows main:0", "denied:invalid_args", "denied:invalid_args"],
  ["windows main.0", "denied:invalid_args", "denied:invalid_args"],
  ["windows $1", "denied:invalid_args", "denied:invalid_args"],
  ["windows @1", "denied:invalid_args", "denied:invalid_args"],
  ["windows %1", "denied:invalid_args", "denied:invalid_args"],
  ["windows ../../etc", "denied:invalid_args", "denied:invalid_args"],
  [
    "create-session #(touch /tmp/x)",
    "denied:invalid_args",
    "denied:invalid_args",
  ],
  [
    "create-session x#{session_id}",
    "denied:invalid_args",
    "denied:invalid_args",
  ],
  ["windows 漢字", "denied:session_not_allowed", "ok"],
  ["attach main 0; rm -rf /", "denied:invalid_args", "denied:invalid_args"],
  ["attach main -1", "denied:session_not_allowed", "ok"],
  ["attach main 99999999", "denied:invalid_args", "denied:invalid_args"],
  ["kill-window main 0 1", "denied:session_not_allowed", "ok"],
  ["kill-window main $(id)", "denied:missing_args", "denied:missing_args"],
  // The seed's code-execution payload: `list` ignores its arguments.
  ["list '; import os; os.system(\"id\"); z='", "ok", "ok"],
  ["list\n", "denied:unknown_command", "denied:unknown_command"],
  ["LIST", "denied:unknown_command", "denied:unknown_command"],
  [" ", "denied:unknown_command", "denied:unknown_command"],
  ["sh -c id", "denied:unknown_command", "denied:unknown_command"],
  ["tmux kill-server", "denied:unknown_command", "denied:unknown_command"],
  ["exec bash", "denied:unknown_command", "denied:unknown_command"],
  ["/bin/sh", "denied:unknown_command", "denied:unknown_command"],
  ["$(reboot)", "denied:unknown_command", "denied:unknown_command"],
  ["pair x'; import os; z='", "denied:already_paired", "denied:already_paired"],
  ["subscribe since=1;reboot", "denied:missing_args", "denied:missing_args"],
  [
    "subscribe since=0 types=$(x)",
    "denied:invalid_args",
    "denied:invalid_args",
  ],
];

Deno.test("hostile input: exactly one error line, or an exact safe name", () => {
  const star = device({ name: "Star", sessions: ["*"] });
  for (const [raw, rwResult, starResult] of HOSTILE) {
    for (
      const [dev, expected] of [[ACTIVE_RW, rwResult], [
        star,
        starResult,
      ]] as const
    ) {
      const req = parseGateCommand(raw);
      const d = decide(dev, req, NOW);
      assert.equal(
        auditResult(req, d),
        expected,
        `${dev.name}: ${JSON.stringify(raw)}`,
      );
      if (!d.allow) {
        assert.match(d.reply, /^error:[a-z_]+$/);
      } else if ("session" in req) {
        assert.ok(
          validSessionName(req.session) &&
            sessionAllowed(req.session, dev.sessions),
        );
      }
    }
  }
});

Deno.test("hostile input: `prod` never reaches `production-secrets`", () => {
  const prod = device({ sessions: ["prod"] });
  for (const verb of ["windows", "attach", "kill-session", "create-window"]) {
    assert.equal(gate(prod, `${verb} prod`).allow, true, verb);
    assert.deepEqual(denied(gate(prod, `${verb} production-secrets`)), {
      reply: "error:denied",
      result: "denied:session_not_allowed",
    });
  }
  assert.equal(gate(prod, "attach prod 0").allow, true);
  assert.equal(gate(prod, "attach production-secrets 0").allow, false);
  assert.deepEqual(filterSessions(prod, ["prod", "production-secrets"]), [
    "prod",
  ]);
});

Deno.test("hostile input: pairing names that would reach the Mac terminal", () => {
  for (
    const name of [
      "\x1b]52;c;aGk=\x07",
      "\x1b[2J",
      "a|b",
      'q"',
      "b\\s",
      "x\ny",
      "\u202eevil",
      "SHA256:AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKL",
    ]
  ) {
    assert.deepEqual(denied(gate(PENDING, `pair ${name}`)), {
      reply: "error:denied",
      result: "denied:invalid_name",
    });
  }
});

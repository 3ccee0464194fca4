import { unless } from "./helpers/skip.ts";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { globMatch, sessionAllowed } from "../plugins/gate/glob.ts";
import { idTarget } from "../plugins/tmux/format.ts";
import {
  type GateRequest,
  parseGateCommand,
  parseSessionPatterns,
  validDeviceName,
  validSessionName,
  validSessionPattern,
  validWindowIndex,
} from "../plugins/gate/grammar.ts";

Deno.test("parseGateCommand: verbs, arguments and defaults", () => {
  const cases: Array<[string | undefined, GateRequest]> = [
    [undefined, { verb: "list" }],
    ["", { verb: "list" }],
    ["list", { verb: "list" }],
    ["list ignored args", { verb: "list" }],
    ["renew", { verb: "renew" }],
    ["renew please", { verb: "renew" }],
    ["windows main", { verb: "windows", session: "main" }],
    ["windows my session", { verb: "windows", session: "my session" }],
    ["windows", { verb: "windows", session: "" }],
    ["windows ", { verb: "windows", session: "" }],
    ["create-session new one", { verb: "create-session", session: "new one" }],
    ["create-window main", { verb: "create-window", session: "main" }],
    ["kill-session main", { verb: "kill-session", session: "main" }],
    ["attach main 0", { verb: "attach", session: "main", window: 0 }],
    ["attach main", { verb: "attach", session: "main", window: null }],
    ["attach my session 12", {
      verb: "attach",
      session: "my session",
      window: 12,
    }],
    ["attach 0", { verb: "attach", session: "0", window: null }],
    ["attach  3", { verb: "attach", session: "", window: 3 }],
    ["attach main 007", { verb: "attach", session: "main", window: 7 }],
    ["attach main -1", { verb: "attach", session: "main -1", window: null }],
    ["kill-window main 3", { verb: "kill-window", session: "main", window: 3 }],
    ["kill-window main", {
      verb: "kill-window",
      session: "main",
      window: null,
    }],
    ["kill-window", { verb: "kill-window", session: "", window: null }],
    ["pair Google Pixel 7", { verb: "pair", name: "Google Pixel 7" }],
    ["pair", { verb: "pair", name: "" }],
    ["subscribe since=42", { verb: "subscribe", since: 42, types: null }],
    [
      "subscribe since=0 types=notify,stop",
      { verb: "subscribe", since: 0, types: ["notify", "stop"] },
    ],
    ["subscribe since=7 later=1", { verb: "subscribe", since: 7, types: null }],
    ["subscribe", { verb: "subscribe", since: null, types: null }],
    ["subscribe since=x", { verb: "subscribe", since: null, types: null }],
    ["subscribe since=1;reboot", {
      verb: "subscribe",
      since: null,
      types: null,
    }],
    ["LIST", { verb: "unknown", raw: "LIST" }],
    [" list", { verb: "unknown", raw: " list" }],
    ["list\nrm -rf /", { verb: "unknown", raw: "list\nrm -rf /" }],
    ["ls -la", { verb: "unknown", raw: "ls -la" }],
  ];
  for (const [raw, expected] of cases) {
    assert.deepEqual(parseGateCommand(raw), expected, JSON.stringify(raw));
  }
});

Deno.test("parseGateCommand: an over-long window index is kept as NaN for the policy", () => {
  const req = parseGateCommand("attach main 1234567");
  assert.equal(req.verb, "attach");
  assert.ok(
    req.verb === "attach" && req.session === "main" && Number.isNaN(req.window),
  );
});

Deno.test("validSessionName", () => {
  const good = [
    "main",
    "work-frontend",
    "my session",
    "0",
    "é漢字",
    "it's",
    'say "hi"',
    "a;b",
    "a$b",
    "x".repeat(128),
  ];
  const bad = [
    "",
    "x".repeat(129),
    "$0",
    "@1",
    "%1",
    "=main",
    "-t",
    "--x",
    "+x",
    "!x",
    "a:b",
    "a.b",
    "pts/6",
    "/dev/pts/6",
    "ttys003/",
    "x#{session_id}",
    "#(id)",
    "a\\b",
    " lead",
    "trail ",
    "a\nb",
    "a\rb",
    "a\tb",
    "a\0b",
    "\x1b[31mred",
    "del\x7f",
    "c1\u0085",
    "bidi\u202e",
    "zero\u200bwidth",
    "nb\u00a0sp",
    "lone\ud800",
  ];
  for (const s of good) {
    assert.equal(validSessionName(s), true, JSON.stringify(s));
  }
  for (const s of bad) {
    assert.equal(validSessionName(s), false, JSON.stringify(s));
  }
});

Deno.test("validDeviceName", () => {
  for (
    const s of ["Google Pixel 7", "iPhone de Zoë", "x'; z='", "n".repeat(64)]
  ) {
    assert.equal(validDeviceName(s), true, JSON.stringify(s));
  }
  const bad = [
    "",
    "n".repeat(65),
    "a|b",
    'a"b',
    "a\\b",
    "a\nb",
    "\x1b]52;c;aGk=\x07",
    "\x1b[2J",
    "\u202egnp.exe",
    // A name that reads as a fingerprint would make `devices rm <it>` ambiguous.
    "SHA256:AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKL",
    "sha256:x",
    " SHA256:x",
  ];
  for (const s of bad) {
    assert.equal(validDeviceName(s), false, JSON.stringify(s));
  }
});

Deno.test("validWindowIndex", () => {
  for (const s of ["0", "7", "999999"]) {
    assert.equal(validWindowIndex(s), true, s);
  }
  for (const s of ["", "1234567", "-1", "1a", " 1", "١"]) {
    assert.equal(validWindowIndex(s), false, s);
  }
});

Deno.test("session patterns: validation and the Mac-side comma list", () => {
  assert.deepEqual(parseSessionPatterns(""), []);
  assert.deepEqual(parseSessionPatterns(" main , work-* ,,"), [
    "main",
    "work-*",
  ]);
  assert.throws(() => parseSessionPatterns("a;b"), /invalid session pattern/);
  assert.throws(
    () => parseSessionPatterns("a\x1bb"),
    /invalid session pattern/,
  );
  assert.equal(validSessionPattern("*"), true);
  assert.equal(validSessionPattern("[!x]*"), true);
  assert.equal(validSessionPattern(""), false);
});

Deno.test("globMatch: shell glob semantics", () => {
  const cases: Array<[string, string, boolean]> = [
    ["*", "", true],
    ["*", "anything", true],
    ["main", "main", true],
    ["main", "Main", false],
    ["main", "main2", false],
    ["work-*", "work-frontend", true],
    ["work-*", "work-", true],
    ["work-*", "work", false],
    ["?", "é", true],
    ["?", "😀", true],
    ["??", "😀", false],
    ["a?c", "abc", true],
    ["[abc]x", "bx", true],
    ["[abc]x", "dx", false],
    ["[a-c]", "b", true],
    ["[a-c]", "d", false],
    ["[z-a]", "m", false],
    ["[!a]", "b", true],
    ["[!a]", "a", false],
    ["[^a]", "a", false],
    ["[]]", "]", true],
    ["[!]]", "]", false],
    ["[a-]", "-", true],
    ["[abc", "[abc", true],
    ["[abc", "a", false],
    ["a\\*", "a\\xyz", true],
    ["*a*b", "xxaxxb", true],
    ["*a*b", "xxaxxbx", false],
    ["a*b*c", "abc", true],
    ["a*b*c", "acb", false],
    // Regex syntax is literal.
    ["a.c", "abc", false],
    ["a.c", "a.c", true],
    ["(a|b)", "a", false],
    ["(a|b)", "(a|b)", true],
    ["a+", "aa", false],
    ["^main$", "main", false],
    ["prod", "production-secrets", false],
    ["prod*", "production-secrets", true],
  ];
  for (const [pattern, name, expected] of cases) {
    assert.equal(globMatch(pattern, name), expected, `${pattern} vs ${name}`);
  }
});

Deno.test("globMatch: adversarial patterns stay linear-ish", () => {
  assert.equal(globMatch("*a*a*a*a*a*a*a*a*b", "a".repeat(20_000)), false);
  assert.equal(globMatch("*".repeat(1000) + "b", "a".repeat(20_000)), false);
});

Deno.test("sessionAllowed: any pattern; an empty list allows nothing", () => {
  assert.equal(sessionAllowed("main", ["main", "work-*"]), true);
  assert.equal(sessionAllowed("work-x", ["main", "work-*"]), true);
  assert.equal(sessionAllowed("secret", ["main", "work-*"]), false);
  assert.equal(sessionAllowed("main", []), false);
});

function tmux(
  socket: string,
  ...args: string[]
): { code: number; stdout: string } {
  const out = new Deno.Command("tmux", {
    args: ["-S", socket, "-f", "/dev/null", ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

function haveTmux(): boolean {
  try {
    return tmux("/dev/null", "-V").code === 0;
  } catch {
    return false;
  }
}

Deno.test(unless(haveTmux() ? null : "no tmux (install tmux)", {
  name:
    "idTarget: real tmux resolves names loosely (prefixes, window names, client ttys); ids exactly",
  async fn() {
    const dir = mkdtempSync(join(tmpdir(), "handoff-gate-tmux-"));
    const sock = join(dir, "sock");
    const run = (...args: string[]) => tmux(sock, ...args);
    const fmt = ["-F", "#{session_name}:#{window_index}"];
    const panes = (target: string) => run("list-panes", "-t", target, ...fmt);
    const newWindow = (target: string) => run("new-window", "-d", "-P", "-t", target, ...fmt);
    // A second server whose pane is a client of the first: a client on a pty, as the desk's.
    const outer = join(dir, "outer");
    try {
      run("new-session", "-d", "-s", "production-secrets", "-n", "5x");
      const env = { ...Deno.env.toObject() };
      delete env.TMUX;
      new Deno.Command("tmux", {
        args: [
          "-S",
          outer,
          "-f",
          "/dev/null",
          "new-session",
          "-d",
          "-x",
          "80",
          "-y",
          "24",
          `exec tmux -S '${sock}' attach -t production-secrets`,
        ],
        env,
        clearEnv: true,
      }).outputSync();
      let client = "";
      for (let i = 0; i < 200 && client === ""; i++) {
        client = run("list-clients", "-F", "#{client_name}").stdout.trim();
        if (client === "") await new Promise((r) => setTimeout(r, 25));
      }
      assert.match(client, /^\/dev\/pts\/\d+$/);
      const shortName = client.slice("/dev/".length);
      // Loose targets reach the wrong session or window (what the seed did): a prefix, a
      // window index falling back to a window *named* "5x", a bare `=prod` given to a
      // window command, and — even with `=` — a client's tty naming its session.
      assert.equal(panes("prod").stdout, "production-secrets:0\n");
      assert.equal(panes("=production-secrets:5").stdout, "production-secrets:0\n");
      assert.equal(panes("=prod").stdout, "production-secrets:0\n");
      assert.equal(panes(`=${shortName}:`).stdout, "production-secrets:0\n");
      assert.equal(panes(`=${client}:`).stdout, "production-secrets:0\n");
      // Ids are exact, for session and window commands alike.
      const id = run("list-sessions", "-F", "#{session_id}").stdout.trim();
      assert.match(id, /^\$\d+$/);
      assert.notEqual(panes(idTarget(id, 5)).code, 0);
      assert.notEqual(run("kill-window", "-t", idTarget(id, 5)).code, 0);
      assert.notEqual(panes(idTarget("$999")).code, 0);
      assert.equal(panes(idTarget(id, 0)).stdout, "production-secrets:0\n");
      assert.equal(newWindow(idTarget(id)).stdout, "production-secrets:1\n");
      // And the gate's validator refuses names tmux could read as a client.
      assert.equal(validSessionName(shortName), false);
    } finally {
      tmux(outer, "kill-server");
      run("kill-server");
      rmSync(dir, { recursive: true, force: true });
    }
  },
}));

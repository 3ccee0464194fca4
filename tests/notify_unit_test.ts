/** Pure parts of notifications: hook payload mapping, tabs, gaps, device views, hook config edits. */
import assert from "node:assert/strict";
import { gapBetween, headLines, pruneEvery, runNoticeEvent, tabKey } from "../core/event_log.ts";
import {
  fromClaudeHook,
  fromCodexNotify,
  kebab,
  parseHookPayload,
} from "../plugins/notify/hook_input.ts";
import { parseTab } from "../plugins/tmux/pane.ts";
import { buildEvent } from "../plugins/notify/notify.ts";
import { deviceView } from "../plugins/notify/subscribe.ts";
import {
  addClaudeHooks,
  claudeHookCommand,
  ConfigError,
  hasPermissionRequest,
  HOOK_MARKER,
  jsonIndent,
  notifyArgv,
  removeClaudeHooks,
  removeCodexNotify,
  setCodexNotify,
} from "../plugins/notify/hook_config.ts";

Deno.test("claude hook payloads map to the seed's types and titles", () => {
  assert.deepEqual(
    fromClaudeHook({
      hook_event_name: "Notification",
      message: "Claude needs your permission to use Bash",
      session_id: "s-1",
      cwd: "/w",
    }),
    {
      type: "notify",
      title: "Claude is waiting",
      message: "Claude needs your permission to use Bash",
      cwd: "/w",
      agentSessionId: "s-1",
      source: "claude-code",
    },
  );
  const stop = fromClaudeHook({ hook_event_name: "Stop", session_id: "s-1" });
  assert.equal(stop.type, "stop");
  assert.equal(stop.title, "Claude finished");
  assert.equal(stop.message, "Claude finished");
  const withText = fromClaudeHook({
    hook_event_name: "Stop",
    last_assistant_message: "Done.\n\nChanged 3 files.\nline 3\nline 4",
  });
  assert.equal(withText.message, "Done.\nChanged 3 files.\nline 3");
  assert.equal(fromClaudeHook({ hook_event_name: "SubagentStop" }).type, "subagent-stop");
  const perm = fromClaudeHook({
    hook_event_name: "PermissionRequest",
    tool_name: "Bash",
    tool_input: { command: "rm -rf build" },
  });
  assert.equal(perm.type, "permission");
  assert.equal(perm.message, "Bash: rm -rf build");
  assert.equal(fromClaudeHook({ hook_event_name: "SessionStart" }).type, "session-start");
  assert.equal(kebab("UserPromptSubmit"), "user-prompt-submit");
});

Deno.test("codex notify payload maps to a stop event", () => {
  const f = fromCodexNotify({
    type: "agent-turn-complete",
    "thread-id": "th-9",
    "turn-id": "1",
    cwd: "/c",
    "input-messages": ["do it"],
    "last-assistant-message": "Patched main.rs",
  });
  assert.deepEqual(f, {
    type: "stop",
    title: "Codex finished",
    message: "Patched main.rs",
    cwd: "/c",
    agentSessionId: "th-9",
    source: "codex",
  });
  assert.equal(parseHookPayload('{"type":"agent-turn-complete","thread-id":"x"}')?.source, "codex");
  assert.equal(parseHookPayload('{"hook_event_name":"Stop"}')?.type, "stop");
  assert.equal(parseHookPayload("not json"), null);
  assert.equal(parseHookPayload("[1]"), null);
});

Deno.test("tab: tmux output, keys", () => {
  assert.deepEqual(parseTab("work\t3\n"), { session: "work", window: 3 });
  assert.deepEqual(parseTab("my\tsession\t0\n"), { session: "my\tsession", window: 0 });
  assert.equal(parseTab("no window\n"), null);
  assert.equal(parseTab("s\tx\n"), null);
  assert.equal(tabKey("work", 3), "work:3");
  assert.equal(tabKey("work", null), "work");
  assert.equal(tabKey(null, 3), undefined);
});

Deno.test("buildEvent: flags win over the payload, payload over defaults", () => {
  const hook = fromClaudeHook({ hook_event_name: "Stop", cwd: "/hook", session_id: "s" });
  const ev = buildEvent({ title: "Mine" }, hook, { session: "w", window: 2 }, { cwd: "/here" });
  assert.equal(ev.type, "stop");
  assert.equal(ev.title, "Mine");
  assert.equal(ev.cwd, "/hook");
  assert.equal(ev.session, "w");
  assert.equal(ev.window, 2);
  assert.equal(ev.agentSessionId, "s");
  const plain = buildEvent({ message: "hi" }, null, null, { cwd: "/here", runId: "r1" });
  assert.deepEqual([plain.type, plain.source, plain.cwd, plain.runId], [
    "custom",
    "cli",
    "/here",
    "r1",
  ]);
  assert.throws(() => buildEvent({}, null, null, { cwd: "/" }), /--message is required/);
  assert.throws(() => buildEvent({ type: "ready", message: "x" }, null, null, { cwd: "/" }));
  assert.throws(() => buildEvent({ type: "a b", message: "x" }, null, null, { cwd: "/" }));
});

Deno.test("gaps: any hole in the gapless ids is a pruned range", () => {
  assert.equal(gapBetween(0, 1), null);
  assert.equal(gapBetween(41, 42), null);
  assert.deepEqual(gapBetween(0, 501), { from: 1, to: 500 });
  assert.deepEqual(gapBetween(10, 13), { from: 11, to: 12 });
  assert.equal(pruneEvery(10_000), 100);
  assert.equal(pruneEvery(50), 5);
  assert.equal(pruneEvery(3), 1);
});

Deno.test("run notices become run-<status> events with the result's first lines", () => {
  const ev = runNoticeEvent({
    kind: "ended",
    run: {
      runId: "1123-ds-01-fix",
      backend: "ds",
      status: "error",
      exitCode: 1,
      resultPath: "/r",
      resultHead: "handoff: no successful result\n\nline 2\nline 3\nline 4",
      cwd: "/w",
      tab: { session: "work", window: 2 },
    },
  });
  assert.deepEqual([ev.session, ev.window], ["work", 2], "scoped to the tab it came from");
  assert.equal(ev.type, "run-error");
  assert.equal(ev.title, "ds run failed");
  assert.equal(ev.message, "handoff: no successful result\nline 2\nline 3");
  assert.deepEqual([ev.runId, ev.backend, ev.source], ["1123-ds-01-fix", "ds", "handoff"]);
  const denied = runNoticeEvent({
    kind: "permission_denied",
    runId: "r",
    backend: "ds",
    cwd: "/w",
    detail: "Bash: rm x",
    tab: null,
  });
  assert.equal(denied.type, "run-denied");
  assert.match(denied.message, /denied Bash: rm x/);
  assert.equal(headLines("x".repeat(400)).length, 300);
});

Deno.test("deviceView: patterns, untagged events only for `*`, types, suppression of the viewed tab", () => {
  const ev = (id: number, session?: string, window?: number, type = "stop") => ({
    id,
    ts: "t",
    type,
    message: "m",
    ...(session !== undefined ? { tmux_session: session, tab: tabKey(session, window) } : {}),
    ...(window !== undefined ? { tmux_window: window } : {}),
  });
  const view = deviceView({ sessions: ["work-*"] }, null, [{ session: "work-a", window: 1 }]);
  assert.equal(view(ev(1, "secret", 0)), null);
  assert.equal(view(ev(2)), null, "no session: not for a device limited to some sessions");
  assert.deepEqual(view(ev(3, "work-a", 0)), ev(3, "work-a", 0));
  assert.equal(view(ev(4, "work-a", 1))?.suppress, true);
  assert.equal(view(ev(5, "work-b", 1))?.suppress, undefined);
  const typed = deviceView({ sessions: ["*"] }, ["notify"], []);
  assert.equal(typed(ev(6, "x", 0, "stop")), null);
  assert.ok(typed(ev(7, "x", 0, "notify")));
  const none = deviceView({ sessions: [] }, null, []);
  assert.equal(none(ev(8, "x", 0)), null, "no patterns: no session events");
  assert.equal(none(ev(9)), null, "no patterns: nothing at all");
  const all = deviceView({ sessions: ["main", "*"] }, null, []);
  assert.deepEqual(all(ev(11)), ev(11), "a `*` device gets untagged events");
  const starry = deviceView({ sessions: ["**", "m*"] }, null, []);
  assert.equal(starry(ev(12)), null, "only the `*` pattern itself means every session");
  // An attachment without a window index suppresses nothing specific.
  const bare = deviceView({ sessions: ["*"] }, null, [{ session: "w", window: null }]);
  assert.equal(bare(ev(10, "w", 0))?.suppress, undefined);
});

const CMD = claudeHookCommand(["/opt/handoff"]);

Deno.test("settings.json: hooks merged next to the user's, removed byte for byte", () => {
  const user = JSON.stringify(
    {
      model: "opus",
      hooks: {
        Stop: [{ hooks: [{ type: "command", command: "say done" }] }],
        PreToolUse: [{ matcher: "Bash", hooks: [{ type: "command", command: "audit" }] }],
      },
    },
    null,
    4,
  ) + "\n";
  const added = addClaudeHooks(user, "settings.json", CMD);
  assert.deepEqual(added.changed, ["Notification", "Stop", "PermissionRequest"]);
  const s = JSON.parse(added.text);
  assert.equal(s.model, "opus");
  assert.equal(s.hooks.Stop.length, 2);
  assert.equal(s.hooks.Stop[0].hooks[0].command, "say done");
  assert.equal(s.hooks.Stop[1].hooks[0].command, CMD);
  assert.equal(s.hooks.Stop[1].hooks[0].timeout, 5);
  assert.equal(s.hooks.PreToolUse[0].matcher, "Bash");
  assert.equal(jsonIndent(added.text), "    ");
  assert.ok(CMD.endsWith(HOOK_MARKER));
  assert.equal(CMD, `/opt/handoff notify --source claude-code ${HOOK_MARKER}`);

  // Idempotent; a moved binary updates the entry in place.
  assert.deepEqual(addClaudeHooks(added.text, "s", CMD).changed, []);
  const moved = addClaudeHooks(added.text, "s", claudeHookCommand(["/new path/handoff"]));
  assert.deepEqual(moved.changed, ["Notification", "Stop", "PermissionRequest"]);
  assert.match(JSON.parse(moved.text).hooks.Stop[1].hooks[0].command, /^'\/new path\/handoff'/);

  const removed = removeClaudeHooks(moved.text, "s");
  assert.equal(removed.text, user);
  assert.deepEqual(removeClaudeHooks(user, "s").changed, []);
});

Deno.test("settings.json: new file, broken file, older Claude Code", () => {
  const fresh = addClaudeHooks(null, "s", CMD, ["Stop"]);
  assert.deepEqual(Object.keys(JSON.parse(fresh.text).hooks), ["Stop"]);
  assert.equal(removeClaudeHooks(fresh.text, "s").text, "{}\n");
  assert.throws(() => addClaudeHooks("{ nope", "s", CMD), ConfigError);
  assert.throws(() => addClaudeHooks("[]", "s", CMD), ConfigError);
  assert.throws(() => addClaudeHooks('{"hooks":{"Stop":{}}}', "s", CMD), ConfigError);
  assert.equal(hasPermissionRequest("2.1.197 (Claude Code)"), true);
  assert.equal(hasPermissionRequest("2.0.44 (Claude Code)"), false);
  assert.equal(hasPermissionRequest("1.0.99"), false);
  assert.equal(hasPermissionRequest(null), true);
});

Deno.test("codex config.toml: notify set at the top level, other content kept", () => {
  const argv = ["/opt/handoff", "notify", "--source", "codex"];
  const original = 'model = "gpt-5.5"\n\n# the fake provider\n[model_providers.fake]\nname = "F"\n';
  const set = setCodexNotify(original, argv, false);
  assert.equal(set.action, "create");
  assert.equal(
    set.text,
    'model = "gpt-5.5"\nnotify = ["/opt/handoff","notify","--source","codex"]\n\n' +
      '# the fake provider\n[model_providers.fake]\nname = "F"\n',
  );
  assert.equal(setCodexNotify(set.text, argv, false).action, "unchanged");
  assert.equal(removeCodexNotify(set.text).text, original);

  // Someone else's notify is kept unless forced.
  const theirs = 'notify = ["notify-send", "Codex"]\nmodel = "m"\n';
  const kept = setCodexNotify(theirs, argv, false);
  assert.equal(kept.action, "conflict");
  assert.equal(kept.text, theirs);
  assert.equal(removeCodexNotify(theirs).removed, false);
  const forced = setCodexNotify(theirs, argv, true);
  assert.equal(forced.action, "update");
  assert.equal(forced.text.split("\n")[1], 'model = "m"');

  // Multi-line arrays; a `notify` inside a table is not the top-level key.
  const multi = 'notify = [\n  "/old/handoff",\n  "notify", "--source", "codex",\n]\nx = 1\n';
  assert.deepEqual(notifyArgv(multi.split("\nx")[0]), [
    "/old/handoff",
    "notify",
    "--source",
    "codex",
  ]);
  assert.equal(
    setCodexNotify(multi, argv, false).text,
    `notify = ${JSON.stringify(argv)}\nx = 1\n`,
  );
  const inTable = "[tui]\nnotify = true\n";
  assert.equal(
    setCodexNotify(inTable, argv, false).text,
    `notify = ${JSON.stringify(argv)}\n${inTable}`,
  );
  assert.equal(setCodexNotify(null, argv, false).text, `notify = ${JSON.stringify(argv)}\n`);
  assert.equal(
    setCodexNotify("a = 1", argv, false).text,
    `a = 1\nnotify = ${JSON.stringify(argv)}\n`,
  );
});

/**
 * The example notification source (examples/plugins/gemini-hooks), a module plugin: the
 * Gemini CLI's hook payloads, in the shape its hook runner writes them (session_id,
 * transcript_path, cwd, hook_event_name, timestamp, plus each event's fields), piped into
 * `handoff notify` as the CLI's hooks do, become events like Claude Code's.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { withWorld, type World } from "./helpers/handoff.ts";
import { REPO_ROOT } from "./helpers/agents.ts";

const PLUGIN = join(REPO_ROOT, "examples", "plugins", "gemini-hooks");

function geminiPayload(w: World, event: string, extra: Record<string, unknown>) {
  return JSON.stringify({
    session_id: "6f1c2d3e-0000-4000-8000-000000000001",
    transcript_path: join(w.dir, "home", ".gemini", "tmp", "work", "chats", "session.json"),
    cwd: w.work,
    hook_event_name: event,
    timestamp: new Date().toISOString(),
    ...extra,
  });
}

async function lastEvent(w: World): Promise<Record<string, unknown>> {
  const r = await w.handoff(["events", "--json", "--limit", "1"]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

Deno.test("gemini-hooks source: AfterAgent and a permission notification become events", async () => {
  await withWorld(async (w) => {
    const add = await w.handoff(["plugin", "add", PLUGIN, "--yes"]);
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stderr, /provides: source gemini-cli/);

    // AfterAgent is Gemini's alone: recognised without --source.
    const done = await w.handoff(["notify"], {
      stdin: geminiPayload(w, "AfterAgent", {
        prompt: "fix the parser",
        prompt_response: "Fixed the parser.\nAdded two tests.\n\nAll green.\nMore detail here.",
        stop_hook_active: false,
      }),
    });
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stderr, "");
    const stop = await lastEvent(w);
    assert.equal(stop.type, "stop");
    assert.equal(stop.title, "Gemini finished");
    assert.equal(stop.message, "Fixed the parser.\nAdded two tests.\nAll green.");
    assert.equal(stop.source, "gemini-cli");
    assert.equal(stop.agent_session_id, "6f1c2d3e-0000-4000-8000-000000000001");
    assert.equal(stop.cwd, w.work);

    // Notification is a name Claude Code uses too: the hook says whose it is.
    const ask = await w.handoff(["notify", "--source", "gemini-cli"], {
      stdin: geminiPayload(w, "Notification", {
        notification_type: "ToolPermission",
        message: "Allow run_shell_command: rm -rf build?",
        details: { tool: "run_shell_command" },
      }),
    });
    assert.equal(ask.code, 0, ask.stderr);
    const perm = await lastEvent(w);
    assert.deepEqual([perm.type, perm.title, perm.message, perm.source], [
      "permission",
      "Gemini needs permission",
      "Allow run_shell_command: rm -rf build?",
      "gemini-cli",
    ]);

    // Claude Code's payloads stay Claude Code's.
    const claude = await w.handoff(["notify"], {
      stdin: JSON.stringify({
        hook_event_name: "Stop",
        session_id: "c1",
        last_assistant_message: "ok",
      }),
    });
    assert.equal(claude.code, 0);
    assert.equal((await lastEvent(w)).source, "claude-code");

    // Disabled, the plugin reads nothing: AfterAgent falls back to the generic reading.
    assert.equal((await w.handoff(["plugin", "disable", "gemini-hooks"])).code, 0);
    await w.handoff(["notify"], {
      stdin: geminiPayload(w, "AfterAgent", { prompt_response: "x" }),
    });
    assert.notEqual((await lastEvent(w)).source, "gemini-cli");
  });
});

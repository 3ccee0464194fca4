// A notification source for handoff: the Gemini CLI runs its hooks with one JSON object
// on stdin ({session_id, transcript_path, cwd, hook_event_name, timestamp, …}); this
// turns it into an event for `handoff notify`, as handoff does itself for Claude Code.
// One self-contained module: no imports.

/** Events only the Gemini CLI sends: recognised even without `--source gemini-cli`. */
const GEMINI_ONLY = new Set([
  "BeforeTool",
  "AfterTool",
  "BeforeAgent",
  "AfterAgent",
  "PreCompress",
  "BeforeModel",
  "AfterModel",
  "BeforeToolSelection",
]);

const str = (v) => (typeof v === "string" && v.trim() !== "" ? v : undefined);

/** The first lines of a long text, as a phone shows them. */
function head(text, lines = 3, max = 300) {
  const h = text.split("\n").map((l) => l.trimEnd()).filter((l) => l.trim()).slice(0, lines).join(
    "\n",
  );
  return h.length > max ? h.slice(0, max - 1) + "…" : h;
}

const kebab = (name) => name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();

function fields(p) {
  const event = p.hook_event_name;
  const base = { cwd: str(p.cwd), agentSessionId: str(p.session_id), source: "gemini-cli" };
  switch (event) {
    case "AfterAgent":
      return {
        ...base,
        type: "stop",
        title: "Gemini finished",
        message: (str(p.prompt_response) && head(p.prompt_response)) || "Gemini finished",
      };
    case "Notification": {
      const permission = p.notification_type === "ToolPermission";
      const title = permission ? "Gemini needs permission" : "Gemini is waiting";
      return {
        ...base,
        type: permission ? "permission" : "notify",
        title,
        message: str(p.message) ?? title,
      };
    }
    case "BeforeTool":
    case "AfterTool":
      return {
        ...base,
        type: kebab(event),
        title: `Gemini: ${event}`,
        message: str(p.tool_name) ?? event,
      };
    default:
      return { ...base, type: kebab(event), title: `Gemini: ${event}`, message: event };
  }
}

export function activate() {
  return {
    name: "gemini-hooks",
    sources: [{
      name: "gemini-cli",
      parse(input) {
        const p = input.json;
        if (
          !p || typeof p !== "object" || Array.isArray(p) || typeof p.hook_event_name !== "string"
        ) return null;
        if (input.source !== "gemini-cli" && !GEMINI_ONLY.has(p.hook_event_name)) return null;
        return fields(p);
      },
    }],
  };
}

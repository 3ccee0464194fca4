/**
 * Whether an agent can continue a conversation, as it said in its last `initialize`, so a
 * resume it cannot do is refused before anything starts or is recorded. One small file in
 * the plugin's data folder.
 */
import { join } from "../../core/path.ts";
import { writeFileAtomic } from "../../core/files.ts";
import { ensurePrivateDir, handoffHome } from "../../core/paths.ts";

type Json = Record<string, unknown>;
const isMap = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** The method an agent continues a session with, from its capabilities; null: it cannot. Pure. */
export function resumeMethod(caps: Json): "session/load" | "session/resume" | null {
  const sessionCaps = isMap(caps.sessionCapabilities) ? caps.sessionCapabilities : {};
  return caps.loadSession === true
    ? "session/load"
    : isMap(sessionCaps.resume) || sessionCaps.resume === true
    ? "session/resume"
    : null;
}

const dir = () => join(handoffHome(), "plugins", ".data", "acp");
const file = () => join(dir(), "resume-support.json");

/**
 * What the note is filed under: the whole argv (`node agent.mjs`, `npx x` are different
 * agents), and the program's size and time, so an upgraded agent is asked again.
 */
function agentKey(argv: string[]): string {
  let stamp = "";
  try {
    const st = Deno.statSync(argv[0]);
    stamp = `${st.size}@${st.mtime?.getTime() ?? 0}`;
  } catch { /* not there: the run itself will say so */ }
  return JSON.stringify([...argv, stamp]);
}

function known(): Record<string, string | null> {
  try {
    const j = JSON.parse(Deno.readTextFileSync(file()));
    return isMap(j) ? Object.assign(Object.create(null), j) : Object.create(null);
  } catch {
    return Object.create(null);
  }
}

/** What the agent said last time: its resume method, null for none, undefined when unknown. */
export function knownResumeMethod(argv: string[]): string | null | undefined {
  const v = known()[agentKey(argv)];
  return typeof v === "string" || v === null ? v : undefined;
}

/** Notes what the agent said (written only when it changed; a failure only costs the note). */
export function noteResumeMethod(argv: string[], method: string | null): void {
  const all = known();
  const key = agentKey(argv);
  if (all[key] === method) return;
  // Only the newest notes: one per agent build, not one per upgrade forever.
  const kept = Object.entries(all).slice(-49);
  try {
    ensurePrivateDir(dir());
    const text = JSON.stringify(Object.fromEntries([...kept, [key, method]]), null, 2);
    writeFileAtomic(file(), text + "\n", 0o600);
  } catch { /* the driver still refuses such a resume, after the agent started */ }
}

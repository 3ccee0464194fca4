/**
 * Whether an agent can continue a conversation, as it said in its last `initialize`, so a
 * resume it cannot do is refused before anything starts or is recorded. One small file in
 * the plugin's data folder, keyed by the agent's absolute command.
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

function known(): Record<string, string | null> {
  try {
    const j = JSON.parse(Deno.readTextFileSync(file()));
    return isMap(j) ? j as Record<string, string | null> : {};
  } catch {
    return {};
  }
}

/** What `command` said last time: its resume method, null for none, undefined when unknown. */
export function knownResumeMethod(command: string): string | null | undefined {
  const v = known()[command];
  return typeof v === "string" || v === null ? v : undefined;
}

/** Notes what `command` said (written only when it changed; a failure only costs the note). */
export function noteResumeMethod(command: string, method: string | null): void {
  const all = known();
  if (all[command] === method) return;
  try {
    ensurePrivateDir(dir());
    writeFileAtomic(file(), JSON.stringify({ ...all, [command]: method }, null, 2) + "\n", 0o600);
  } catch { /* the driver still refuses such a resume, after the agent started */ }
}

/** A world with the fake Gemini API running, for tests that drive the real Gemini CLI. */
import { dirname, join } from "node:path";
import { startFakeGemini } from "../fakes/fake_gemini.ts";
import type { FakeServer } from "../fakes/serve.ts";
import { defaultConfig, withWorld, type World } from "./handoff.ts";
import { REPO_ROOT } from "./agents.ts";

/** True when no folder from `dir` up to / is writable by group or others. */
function privatePath(dir: string): boolean {
  for (let d = dir;; d = dirname(d)) {
    try {
      if ((Deno.statSync(d).mode ?? 0) & 0o022) return false;
    } catch { /* not there yet: its parent decides */ }
    if (d === dirname(d)) return true;
  }
}

/**
 * Where worlds for the Gemini CLI go: it ignores settings below a folder that group or
 * others may write (/tmp, and a checkout under /tmp), so the first candidate whose every
 * parent is private: the checkout's .tmp, else ~/.cache.
 */
export function geminiWorldsDir(): string {
  const candidates = [
    join(REPO_ROOT, ".tmp"),
    join(Deno.env.get("HOME") ?? "/root", ".cache", "handoff-test-worlds"),
  ];
  const dir = candidates.find(privatePath);
  if (!dir) {
    throw new Error(
      `no folder for Gemini CLI worlds: each of ${candidates.join(", ")} has a parent that ` +
        "group or others may write, and the Gemini CLI then ignores its settings",
    );
  }
  return dir;
}

/**
 * `backends` gives the YAML of the backends to add (indented as entries of `backends:`).
 */
export async function withGeminiWorld(
  backends: (w: World, fake: FakeServer) => string,
  fn: (w: World, fake: FakeServer) => Promise<void>,
): Promise<void> {
  const fake = await startFakeGemini();
  try {
    await withWorld((w) => fn(w, fake), {
      under: geminiWorldsDir(),
      config: (w) => defaultConfig(w) + backends(w, fake),
    });
  } finally {
    await fake.close();
  }
}

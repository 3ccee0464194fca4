/** Environment building shared by launchers. */

/**
 * handoff is usually called from inside another agent session whose environment points
 * at a different endpoint or model. These prefixes must never leak into a backend: the
 * backend's own `env:` block is the only source of truth for them.
 */
export function withoutPrefixes(
  env: Record<string, string>,
  prefixes: string[],
  names: string[] = [],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (prefixes.some((p) => k.startsWith(p)) || names.includes(k)) continue;
    out[k] = v;
  }
  return out;
}

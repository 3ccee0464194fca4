/**
 * The installed plugins as registry entries, for whoever assembles a registry: the full
 * plugin list, and the hot paths (`notify`, the delivery process) that want only the
 * installed plugins' sources or sinks next to their own.
 */
import { errLine } from "../output.ts";
import type { Plugin } from "../registry.ts";
import { type Lock, readLock } from "./lock.ts";

/** The lock, or null with a warning: a damaged lock must not take the other commands down. */
export function lockOrWarn(home: string): Lock | null {
  try {
    return readLock(home);
  } catch (e) {
    errLine(`handoff: warning: ${(e as Error).message} (installed plugins are skipped)`);
    return null;
  }
}

/** The enabled installed plugins, each a manifest-only entry until one of its hooks is called. */
export async function installedPlugins(home: string, lock: Lock | null): Promise<Plugin[]> {
  const disabled = new Set(lock?.disabled ?? []);
  const entries = Object.values(lock?.plugins ?? {}).filter((e) => !disabled.has(e.manifest.name));
  if (entries.length === 0) return [];
  const { installedPlugin } = await import("./host.ts");
  const { loadPluginSettings } = await import("../config.ts");
  return entries.map((entry) =>
    installedPlugin(entry, {
      home,
      settings: (e) => loadPluginSettings(e.manifest.name, e.manifest.config),
    })
  );
}

/** True when an enabled installed plugin has an event sink (then writers start a delivery). */
export function hasInstalledSinks(lock: Lock | null): boolean {
  const disabled = new Set(lock?.disabled ?? []);
  return Object.values(lock?.plugins ?? {}).some((e) =>
    !disabled.has(e.manifest.name) && e.manifest.provides.sinks.length > 0
  );
}

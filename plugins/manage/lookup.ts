/** Finding one plugin by name for info, remove, enable, disable. */
import { notFound } from "../../core/errors.ts";
import { HandoffError } from "../../core/errors.ts";
import { type Manifest, manifestOf } from "../../core/plugin/manifest.ts";
import type { CommandContext, PluginOrigin } from "../../core/registry.ts";

/** This plugin: what enables the others, so it is never disabled or removed. */
export const MANAGER = "manage";

export function knownPlugin(ctx: CommandContext, name: string): PluginOrigin {
  const k = ctx.registry.known().find((p) => p.name === name);
  if (!k) {
    throw notFound(
      `no plugin named "${name}"`,
      `handoff plugin list shows them (known: ${
        ctx.registry.known().map((p) => p.name).join(", ")
      })`,
    );
  }
  return k;
}

/** The manifest, or an error saying the only thing left to do with the plugin. */
export async function readableManifest(k: PluginOrigin): Promise<Manifest> {
  const m = await manifestOf(k);
  if (m) return m;
  throw brokenPlugin(k.name, k.problem ?? "");
}

/** A plugin that cannot be used, and the one way out. */
export function brokenPlugin(name: string, problem: string): HandoffError {
  return new HandoffError(
    `plugin ${name}: ${problem}`,
    1,
    `handoff plugin remove ${name}, then add it again`,
  );
}

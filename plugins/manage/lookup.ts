/** Finding one plugin by name for info, remove, enable, disable. */
import { notFound } from "../../core/errors.ts";
import type { CommandContext, PluginOrigin } from "../../core/registry.ts";

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

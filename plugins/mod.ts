/**
 * The first-party plugins, registered exactly as a third-party plugin would be. This
 * module must stay light: plugins import their heavy parts inside their handlers.
 */
import { Registry } from "../core/registry.ts";
import { dispatchPlugin } from "./dispatch/mod.ts";
import { claudePlugin } from "../backends/claude.ts";
import { codexPlugin } from "../backends/codex.ts";
import { notifyPlugin } from "./notify/mod.ts";
import { phonePlugin } from "./phone/plugin.ts";

export function firstPartyRegistry(): Registry {
  return new Registry().use(dispatchPlugin).use(claudePlugin).use(codexPlugin)
    .use(notifyPlugin)
    .use(phonePlugin);
}

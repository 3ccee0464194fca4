/**
 * The plugin list: the first-party plugins, registered exactly as a third-party plugin
 * is, then the installed ones from the lock file (manifests only: their code loads when a
 * hook of theirs is called). This module must stay light: plugins import their heavy
 * parts inside their handlers.
 */
import { errLine, escapeControls } from "../core/output.ts";
import { isPluginName } from "../core/plugin/manifest.ts";
import { Registry } from "../core/registry.ts";
import type { Plugin } from "../core/registry.ts";
import { handoffHome } from "../core/paths.ts";
import { installedPlugins, lockOrWarn } from "../core/plugin/installed.ts";
import { managePlugin } from "./manage/mod.ts";
import { dispatchPlugin } from "./dispatch/mod.ts";
import { claudePlugin } from "../backends/claude.ts";
import { codexPlugin } from "../backends/codex.ts";
import { acpPlugin } from "./acp/plugin.ts";
import { notifyPlugin } from "./notify/mod.ts";
import { approvalsPlugin } from "./approvals/mod.ts";
import { phonePlugin } from "./phone/plugin.ts";
import { gatePlugin } from "./gate/plugin.ts";
import { tmuxPlugin } from "./tmux/plugin.ts";
import { sshdPlugin } from "./sshd/plugin.ts";
import { tailscalePlugin } from "./tailscale/plugin.ts";
import { completionPlugin } from "./completion/mod.ts";

const json = { with: { type: "json" } } as const;

/** In registration order (sources are asked in this order), each with its manifest. */
export const FIRST_PARTY: readonly {
  plugin: Plugin;
  manifest: () => Promise<{ default: unknown }>;
}[] = [
  { plugin: managePlugin, manifest: () => import("./manage/handoff-plugin.json", json) },
  { plugin: dispatchPlugin, manifest: () => import("./dispatch/handoff-plugin.json", json) },
  { plugin: claudePlugin, manifest: () => import("../backends/claude.plugin.json", json) },
  { plugin: codexPlugin, manifest: () => import("../backends/codex.plugin.json", json) },
  { plugin: acpPlugin, manifest: () => import("./acp/handoff-plugin.json", json) },
  { plugin: notifyPlugin, manifest: () => import("./notify/handoff-plugin.json", json) },
  { plugin: approvalsPlugin, manifest: () => import("./approvals/handoff-plugin.json", json) },
  { plugin: phonePlugin, manifest: () => import("./phone/handoff-plugin.json", json) },
  { plugin: gatePlugin, manifest: () => import("./gate/handoff-plugin.json", json) },
  { plugin: tmuxPlugin, manifest: () => import("./tmux/handoff-plugin.json", json) },
  { plugin: sshdPlugin, manifest: () => import("./sshd/handoff-plugin.json", json) },
  { plugin: tailscalePlugin, manifest: () => import("./tailscale/handoff-plugin.json", json) },
  { plugin: completionPlugin, manifest: () => import("./completion/handoff-plugin.json", json) },
];

/** First-party plugins that cannot be disabled: the one that enables them again. */
export const ALWAYS_ON: readonly string[] = ["manage"];

/**
 * The registry: the first-party plugins that are not disabled, then the enabled installed
 * ones. An installed plugin that clashes with one registered before it (a backend type or
 * command name taken) is skipped with a warning.
 */
export async function pluginRegistry(home = handoffHome()): Promise<Registry> {
  const lock = lockOrWarn(home);
  const disabled = new Set(lock?.disabled ?? []);
  const registry = new Registry();
  for (const { plugin, manifest } of FIRST_PARTY) {
    const origin = { origin: "builtin" as const, manifest: async () => (await manifest()).default };
    if (disabled.has(plugin.name) && !ALWAYS_ON.includes(plugin.name)) {
      registry.skip({ name: plugin.name, ...origin });
    } else registry.use(plugin, origin);
  }
  for (const entry of Object.values(lock?.plugins ?? {})) {
    if (disabled.has(entry.manifest.name)) {
      registry.skip({
        name: entry.manifest.name,
        origin: "installed",
        manifest: () => Promise.resolve(entry.manifest),
      });
    }
  }
  // Known though not registered, so that info, disable and remove still find it.
  const broken = (name: string, problem: string, manifest: () => Promise<unknown>) => {
    // A lock entry's name is only its key: shown escaped, and its hint only if removable.
    const shown = escapeControls(name);
    errLine(
      `handoff: warning: plugin ${shown} skipped: ${escapeControls(problem)}` +
        (isPluginName(name) ? ` (handoff plugin remove ${name}, then add it again)` : ""),
    );
    registry.skip({ name, origin: "installed", manifest, problem });
  };
  for (const [name, u] of Object.entries(lock?.unreadable ?? {})) {
    broken(name, `its lock entry cannot be read: ${u.problem}`, () => Promise.resolve(null));
  }
  for (const plugin of await installedPlugins(home, lock)) {
    const manifest = () => Promise.resolve(lock!.plugins[plugin.name].manifest);
    try {
      registry.use(plugin, { origin: "installed", manifest });
    } catch (e) {
      broken(plugin.name, (e as Error).message.replace(/^plugin \S+: /, ""), manifest);
    }
  }
  return registry;
}

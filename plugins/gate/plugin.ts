/**
 * The gate plugin: the SSH forced command every paired phone talks to. Its commands
 * (`gate`, and the internal `attach-guard`) are on hot paths (plugins/hot.ts), so the
 * registry entry only names it.
 */
import type { Plugin } from "../../core/registry.ts";

export const gatePlugin: Plugin = { name: "gate" };

/** The tailscale plugin: the tailnet address `pair` puts in the QR code, and its checks. */
import type { Plugin } from "../../core/registry.ts";

export const tailscalePlugin: Plugin = { name: "tailscale" };

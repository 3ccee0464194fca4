/** The tailscale plugin: the tailnet address `pair` puts in the QR code, and its checks. */
import type { Plugin } from "../../core/registry.ts";
import type { DialAddress, Transport } from "../../core/transport.ts";

async function address(): Promise<DialAddress> {
  const { TAILNET_FROM, tailscaleInfo } = await import("./tailscale.ts");
  const ts = await tailscaleInfo();
  const warnings = ts.ssh
    ? [
      "Tailscale SSH is on: tailscaled answers port 22 and ignores authorized_keys, so the " +
      "phone would bypass handoff's gate. Turn it off: tailscale set --ssh=false",
    ]
    : [];
  if (!ts.ipv4) {
    return {
      host: null,
      name: null,
      from: null,
      detail: ts.cli ? "Tailscale has no address" : "Tailscale is not installed",
      problem: ts.cli
        ? {
          message: "Tailscale has no IPv4 address (is it up and logged in?)",
          fix: "tailscale up",
        }
        : {
          message: "no address for the phone to dial",
          fix: "install and start Tailscale (`tailscale up`)",
        },
      warnings,
    };
  }
  return {
    host: ts.ipv4,
    name: ts.dnsName,
    from: TAILNET_FROM,
    detail: `Tailscale: ${ts.ipv4}${ts.dnsName ? ` (${ts.dnsName})` : ""}`,
    warnings,
  };
}

const tailscaleTransport: Transport = {
  name: "tailscale",
  address,
  async checks() {
    const { tailscaleInfo } = await import("./tailscale.ts");
    const { tailscaleChecks } = await import("./checks.ts");
    return tailscaleChecks(await tailscaleInfo());
  },
};

export const tailscalePlugin: Plugin = { name: "tailscale", transports: [tailscaleTransport] };

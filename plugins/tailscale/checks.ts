// The tailnet address pair puts in the QR code, and the Tailscale setting that would let
// phones bypass the gate.

import type { Check } from "../../core/transport.ts";
import type { TailscaleInfo } from "./tailscale.ts";

const MAC = Deno.build.os === "darwin";

/** What doctor and status show about Tailscale, from one `tailscale status`. */
export function tailscaleChecks(ts: TailscaleInfo): Check[] {
  const checks: Check[] = [];
  if (!ts.cli) {
    checks.push({
      id: "address",
      label: "phone address",
      status: "warn",
      detail: "Tailscale is not installed: pair needs --host <address the phone can reach>",
      fix: MAC
        ? "install Tailscale (brew install --cask tailscale, or the App Store), then tailscale up"
        : "install Tailscale (https://tailscale.com/download/linux), then sudo tailscale up",
    });
  } else if (!ts.ipv4) {
    checks.push({
      id: "address",
      label: "phone address",
      status: "warn",
      detail: `Tailscale is ${ts.state ?? "not running"}: no tailnet address`,
      fix: "tailscale up",
    });
  } else {
    checks.push({
      id: "address",
      label: "phone address",
      status: "ok",
      detail: `${ts.ipv4}${ts.dnsName ? ` (${ts.dnsName})` : ""} via Tailscale`,
    });
  }
  if (ts.ssh) {
    checks.push({
      id: "tailscale-ssh",
      label: "Tailscale SSH",
      status: "fail",
      detail:
        "on: tailscaled answers port 22 itself and ignores authorized_keys, bypassing the gate",
      fix: "tailscale set --ssh=false",
    });
  }
  return checks;
}

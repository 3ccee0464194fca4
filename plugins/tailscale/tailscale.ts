// The address a phone dials, from Tailscale: `tailscale ip -4` and the MagicDNS name from
// `tailscale status --json`. Also tells whether Tailscale SSH is on: tailscaled then
// answers port 22 on the tailnet address itself and ignores authorized_keys, so the gate
// would be bypassed (or logins would fail). Tests put a fake `tailscale` on PATH: the
// tailnet is the one part that cannot run here.

const MAC_APP_CLI = "/Applications/Tailscale.app/Contents/MacOS/Tailscale";

export interface TailscaleInfo {
  /** Absolute path of the CLI, or null when Tailscale is not installed. */
  cli: string | null;
  /** `Running`, `NeedsLogin`, `Stopped`…; null when unknown. */
  state: string | null;
  ipv4: string | null;
  /** MagicDNS name without the trailing dot, e.g. `desk.tail1234.ts.net`. */
  dnsName: string | null;
  /** Tailscale SSH is serving this machine (true), is off (false), or unknown (null). */
  ssh: boolean | null;
}

function findCli(): string | null {
  const dirs = (Deno.env.get("PATH") ?? "").split(":").filter((d) => d.startsWith("/"));
  for (const p of [...dirs.map((d) => `${d}/tailscale`), MAC_APP_CLI, "/usr/bin/tailscale"]) {
    try {
      if (Deno.statSync(p).isFile) return p;
    } catch { /* not here */ }
  }
  return null;
}

async function run(cli: string, args: string[], timeoutMs = 3000): Promise<string | null> {
  try {
    const child = new Deno.Command(cli, { args, stdin: "null", stdout: "piped", stderr: "null" })
      .spawn();
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* gone */ }
    }, timeoutMs);
    const out = await child.output();
    clearTimeout(timer);
    return out.success ? new TextDecoder().decode(out.stdout) : null;
  } catch {
    return null;
  }
}

/** Reads the bits of `tailscale status --json` we use. Pure. */
export function parseStatus(
  text: string,
): { state: string | null; dnsName: string | null; ips: string[] } {
  try {
    const o = JSON.parse(text);
    const self = o?.Self ?? {};
    const dns = typeof self.DNSName === "string" && self.DNSName
      ? self.DNSName.replace(/\.$/, "")
      : null;
    const ips = Array.isArray(self.TailscaleIPs)
      ? self.TailscaleIPs.filter((x: unknown) => typeof x === "string")
      : [];
    return {
      state: typeof o?.BackendState === "string" ? o.BackendState : null,
      dnsName: dns,
      ips,
    };
  } catch {
    return { state: null, dnsName: null, ips: [] };
  }
}

/** First IPv4 address in `tailscale ip -4` output. Pure. */
export function parseIpv4(text: string): string | null {
  const line = text.split("\n").map((l) => l.trim()).find((l) => /^\d+\.\d+\.\d+\.\d+$/.test(l));
  return line ?? null;
}

/** `RunSSH` from `tailscale debug prefs` (JSON). Pure. */
export function parseRunSsh(text: string): boolean | null {
  try {
    const v = JSON.parse(text)?.RunSSH;
    return typeof v === "boolean" ? v : null;
  } catch {
    return null;
  }
}

export async function tailscaleInfo(): Promise<TailscaleInfo> {
  const cli = findCli();
  if (!cli) return { cli: null, state: null, ipv4: null, dnsName: null, ssh: null };
  const [ip, status, prefs] = await Promise.all([
    run(cli, ["ip", "-4"]),
    run(cli, ["status", "--json"]),
    run(cli, ["debug", "prefs"]),
  ]);
  const st = status ? parseStatus(status) : { state: null, dnsName: null, ips: [] };
  const ipv4 = (ip ? parseIpv4(ip) : null) ?? st.ips.find((x) => /^\d+\.\d+\.\d+\.\d+$/.test(x)) ??
    null;
  return {
    cli,
    state: st.state,
    ipv4,
    dnsName: st.dnsName,
    ssh: prefs ? parseRunSsh(prefs) : null,
  };
}

/** The tailnet's address ranges, for the key line's `from=` when the phone comes over Tailscale. */
export const TAILNET_FROM = "100.64.0.0/10,fd7a:115c:a1e0::/48";

// doctor's checks of OpenSSH: installed, recent enough, listening, public-key login into
// the file handoff writes, that file's mode, and AcceptEnv (which can widen what a phone
// sets in the gate's environment).

import { userHome } from "../../core/paths.ts";
import type { Check } from "../../core/transport.ts";
import { findSshd, sshBanner, sshdVersion } from "./sshd.ts";

const MAC = Deno.build.os === "darwin";

export async function checkSshd(): Promise<Check[]> {
  const sshd = findSshd();
  if (!sshd) {
    return [{
      id: "sshd",
      label: "OpenSSH server",
      status: "fail",
      detail: "sshd is not installed",
      fix: MAC
        ? "System Settings → General → Sharing → Remote Login (or: sudo systemsetup -setremotelogin on)"
        : "sudo apt-get install openssh-server",
    }];
  }
  const v = sshdVersion(sshd);
  const checks: Check[] = [];
  if (v && (v[0] < 7 || (v[0] === 7 && v[1] < 7))) {
    checks.push({
      id: "sshd",
      label: "OpenSSH server",
      status: "fail",
      detail: `OpenSSH ${v.join(".")} is too old (restrict and expiry-time need 7.7)`,
      fix: "upgrade openssh-server",
    });
  } else {
    checks.push({
      id: "sshd",
      label: "OpenSSH server",
      status: "ok",
      detail: `${v ? `OpenSSH ${v.join(".")}` : "sshd"} at ${sshd}`,
    });
  }
  const banner = await sshBanner("127.0.0.1", 22);
  checks.push(
    banner
      ? {
        id: "sshd-running",
        label: "sshd reachable",
        status: "ok",
        detail: `port 22 answers (${banner})`,
      }
      : {
        id: "sshd-running",
        label: "sshd reachable",
        status: "fail",
        detail: "nothing answers SSH on port 22",
        fix: MAC
          ? "sudo systemsetup -setremotelogin on (the terminal may need Full Disk Access)"
          : "sudo systemctl enable --now ssh (without systemd: sudo service ssh start)",
      },
  );
  return checks;
}

/** `sshd -T` (effective config; needs root for the host keys on most systems). */
export async function checkPubkeyLogin(file: string): Promise<Check> {
  const sshd = findSshd();
  const base = { id: "pubkey", label: "public-key login" };
  if (!sshd) return { ...base, status: "info", detail: "no sshd to ask" };
  const out = await new Deno.Command(sshd, {
    args: ["-T"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  })
    .output().catch(() => null);
  if (!out || !out.success) {
    return {
      ...base,
      status: "info",
      detail: "could not read sshd's settings (sshd -T needs root)",
    };
  }
  const text = new TextDecoder().decode(out.stdout);
  const get = (k: string) => new RegExp(`^${k} (.*)$`, "m").exec(text)?.[1] ?? "";
  if (get("pubkeyauthentication") !== "yes") {
    return {
      ...base,
      status: "fail",
      detail: "PubkeyAuthentication is off",
      fix: "set `PubkeyAuthentication yes` in /etc/ssh/sshd_config and reload sshd",
    };
  }
  const files = get("authorizedkeysfile").split(/\s+/).map((f) =>
    f.replace(/^%h\//, `${userHome()}/`).replace(/^(?!\/)/, `${userHome()}/`)
  );
  if (!files.includes(file)) {
    return {
      ...base,
      status: "warn",
      detail: `sshd reads ${files.join(", ")}, handoff writes ${file}`,
      fix: "point handoff at a file sshd reads: handoff setup --authorized-keys <file>",
    };
  }
  return { ...base, status: "ok", detail: `PubkeyAuthentication yes; keys go to ${file}` };
}

export function checkKeysFile(file: string): Check {
  const base = { id: "authorized-keys", label: "authorized_keys" };
  try {
    const mode = (Deno.statSync(file).mode ?? 0) & 0o777;
    if (mode & 0o022) {
      return {
        ...base,
        status: "fail",
        detail: `${file} is writable by others (${mode.toString(8)})`,
        fix: `chmod 600 ${file}`,
      };
    }
    return { ...base, status: "ok", detail: `${file} (${mode.toString(8)})` };
  } catch {
    return {
      ...base,
      status: "info",
      detail: `${file} does not exist yet (pair creates it, 0600)`,
    };
  }
}

/**
 * AcceptEnv names beyond `LANG LC_*`: variables a phone could set in the gate's (and so
 * tmux's) environment, such as PATH, TMUX_TMPDIR or HANDOFF_*. `LC_*` and plain `LC_…`
 * names are the locale; anything else is reported.
 */
export function wideAcceptEnv(names: readonly string[]): string[] {
  return names.filter((n) => n !== "LANG" && !/^LC_[A-Z_]*\*?$/.test(n));
}

/** The names of every `AcceptEnv` line of sshd_config text (comments ignored). */
export function acceptEnvOf(config: string): string[] {
  const names: string[] = [];
  for (const raw of config.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim();
    const m = /^acceptenv\s+(.+)$/i.exec(line);
    if (m) names.push(...m[1].split(/\s+/).filter((n) => n !== ""));
  }
  return names;
}

async function sshdEffectiveConfig(): Promise<string | null> {
  const sshd = findSshd();
  if (!sshd) return null;
  const out = await new Deno.Command(sshd, {
    args: ["-T"],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output().catch(() => null);
  return out?.success ? new TextDecoder().decode(out.stdout) : null;
}

/** sshd_config and the files its `Include` lines name in sshd_config.d (no root needed). */
function sshdConfigFiles(): string {
  const texts: string[] = [];
  const read = (f: string) => {
    try {
      texts.push(Deno.readTextFileSync(f));
    } catch { /* not readable */ }
  };
  read("/etc/ssh/sshd_config");
  try {
    for (const e of Deno.readDirSync("/etc/ssh/sshd_config.d")) {
      if (e.name.endsWith(".conf")) read(`/etc/ssh/sshd_config.d/${e.name}`);
    }
  } catch { /* no drop-in directory */ }
  return texts.join("\n");
}

export async function checkAcceptEnv(): Promise<Check> {
  const base = { id: "sshd-acceptenv", label: "sshd AcceptEnv" };
  const text = (await sshdEffectiveConfig()) ?? sshdConfigFiles();
  const wide = wideAcceptEnv(acceptEnvOf(text));
  if (wide.length === 0) {
    return { ...base, status: "ok", detail: "a phone can set at most LANG and LC_*" };
  }
  return {
    ...base,
    status: "warn",
    detail: `sshd lets every client set ${wide.join(" ")} in the gate's environment`,
    fix: "limit sshd_config to `AcceptEnv LANG LC_*` (or none) and reload sshd",
  };
}

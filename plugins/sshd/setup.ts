// What `handoff setup` does for OpenSSH: the package when sshd is missing (Linux), and
// starting it when it is installed but nothing answers on port 22.

import { asRoot, which } from "../../core/proc.ts";
import type { SetupStep } from "../../core/transport.ts";
import { checkSshd } from "./checks.ts";
import { findSshd } from "./sshd.ts";

/** openssh-server when sshd is missing; macOS has it (Remote Login turns it on). */
export function missingPackages(): string[] {
  return findSshd() === null && Deno.build.os !== "darwin" ? ["openssh-server"] : [];
}

/** How to start sshd here when it is installed and stopped; null otherwise. */
export async function startSshdStep(): Promise<SetupStep | null> {
  if (!findSshd()) return null;
  const stopped = (await checkSshd()).some((ch) =>
    ch.id === "sshd-running" && ch.status === "fail"
  );
  return stopped ? startStep() : null;
}

/** How to start sshd here (systemd, else the init script), or null. */
function startStep(): SetupStep | null {
  if (Deno.build.os === "darwin") return null; // Remote Login needs the user (Full Disk Access)
  let systemd = false;
  try {
    systemd = Deno.statSync("/run/systemd/system").isDirectory;
  } catch { /* no systemd */ }
  if (systemd && which("systemctl")) {
    return { what: "enable and start sshd", argv: asRoot(["systemctl", "enable", "--now", "ssh"]) };
  }
  if (which("service") || which("/usr/sbin/service")) {
    return { what: "start sshd", argv: asRoot(["service", "ssh", "start"]) };
  }
  return null;
}

// The system's OpenSSH server as seen from here: where sshd is, its version (for the
// `expiry-time` form), and whether something answers SSH on a port.

const SSHD_DIRS = ["/usr/sbin", "/usr/local/sbin", "/sbin", "/opt/homebrew/sbin"];

export function findSshd(): string | null {
  for (const dir of SSHD_DIRS) {
    try {
      const st = Deno.statSync(`${dir}/sshd`);
      if (st.isFile) return `${dir}/sshd`;
    } catch { /* not here */ }
  }
  return null;
}

/** `OpenSSH_9.2p1 …` → [9, 2]; null when it cannot be told. */
export function parseOpenSshVersion(text: string): [number, number] | null {
  const m = /OpenSSH_(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/** sshd's version (`sshd -V` prints it on stderr, with a usage complaint on older ones). */
export function sshdVersion(sshd = findSshd()): [number, number] | null {
  if (!sshd) return null;
  try {
    const out = new Deno.Command(sshd, {
      args: ["-V"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    })
      .outputSync();
    const d = new TextDecoder();
    return parseOpenSshVersion(d.decode(out.stderr) + d.decode(out.stdout));
  } catch {
    return null;
  }
}

/** OpenSSH ≥ 9.1 reads `expiry-time="…Z"` as UTC; older ones only local time. */
export function supportsUtcExpiry(version: [number, number] | null): boolean {
  return version !== null && (version[0] > 9 || (version[0] === 9 && version[1] >= 1));
}

/** Connects and reads the `SSH-2.0-…` banner; null when nothing SSH answers in time. */
export async function sshBanner(
  host: string,
  port = 22,
  timeoutMs = 1500,
): Promise<string | null> {
  let conn: Deno.TcpConn | undefined;
  const timer = setTimeout(() => {
    try {
      conn?.close();
    } catch { /* closed */ }
  }, timeoutMs);
  try {
    conn = await Promise.race([
      Deno.connect({ hostname: host, port }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timeout")), timeoutMs)),
    ]);
    const buf = new Uint8Array(256);
    const n = await conn.read(buf);
    const line = new TextDecoder().decode(buf.subarray(0, n ?? 0)).split("\n")[0].trim();
    return line.startsWith("SSH-") ? line : null;
  } catch {
    return null;
  } finally {
    clearTimeout(timer);
    try {
      conn?.close();
    } catch { /* closed */ }
  }
}

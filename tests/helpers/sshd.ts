// Test harness: a real OpenSSH sshd on 127.0.0.1, private to one test.
//
// Each call to startSshd() gets its own temp dir with its own host key, config,
// pid file and (by default) authorized_keys file, so tests never touch
// /etc/ssh or ~/.ssh and can run side by side.
//
// How sshd treats a forced command (seen on Debian 12 / OpenSSH 9.2; the
// machine-independent parts are asserted in tests/harness_sshd_test.ts):
// - The client's command never runs; sshd puts it verbatim in
//   SSH_ORIGINAL_COMMAND (unset, not empty, for a shell request) and runs the
//   forced command as `$SHELL -c "<forced command>"`: the user's shell from
//   passwd, argv[0] its basename, not a login shell, cwd = HOME. bash started
//   this way still sources ~/.bashrc (Debian builds bash with
//   SSH_SOURCE_BASHRC), so whatever ~/.bashrc prints or exports (PATH!) ends
//   up in the forced command's output and environment, and it costs time.
//   This harness skips it unless asked (`userShellStartup`): sshd's SetEnv
//   SHLVL=1 makes bash think it is nested. Root's ~/.bashrc here runs
//   `pyenv rehash`, which takes a lock; a test that kills ssh early (a timeout)
//   can kill it holding the lock, and every later ssh then hangs on it.
// - In authorized_keys, command="…" only unescapes \"; `$`, `;` etc. reach
//   that shell as written.
// - sshd builds a fresh environment: USER, LOGNAME, HOME, SHELL, MAIL, PATH
//   (compiled-in default; Debian root: /usr/local/sbin:/usr/local/bin:
//   /usr/sbin:/usr/bin:/sbin:/bin), SSH_CLIENT, SSH_CONNECTION,
//   SSH_ORIGINAL_COMMAND, and with a PTY also SSH_TTY and TERM (the client's
//   TERM). Nothing else from the environment of whoever started sshd leaks in
//   except TZ. No LANG/LC_* (no PAM, no AcceptEnv), no SSH_AUTH_SOCK.
// - Without the `pty` option (`restrict` alone), `ssh -tt` does not fall back
//   to no PTY: ssh exits 255 with "PTY allocation request failed".

import { processTree, signalTree } from "../../core/proc.ts";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

export type Sshd = {
  port: number;
  /** The login name clients use: the user running the tests. */
  user: string;
  /** Temp dir holding the host key, config, pid file and default files. */
  dir: string;
  /** Absolute path of the authorized_keys file sshd reads (re-read on every login). */
  authorizedKeysFile: string;
  /** known_hosts pinning this sshd's host key for `[127.0.0.1]:<port>`. */
  knownHostsFile: string;
  /** sshd's stderr so far (LogLevel VERBOSE): why a key was refused, etc. */
  logs(): string;
  /** Stops the listener and removes the temp dir. */
  close(): Promise<void>;
};

export type ExecResult = { code: number; stdout: string; stderr: string };

export type ClientKey = {
  /** Private key file (0600, no passphrase). */
  keyFile: string;
  /** The public key line: `ssh-ed25519 AAAA… <comment>`. */
  publicKey: string;
  /** `SHA256:…`, as sshd and `ssh-keygen -l` print it. */
  fingerprint: string;
};

const READY_TIMEOUT_MS = 5000;

/** Finds sshd; it must be run by absolute path (sshd re-executes itself). */
export async function findSshd(): Promise<string> {
  const dirs = ["/usr/sbin", "/usr/local/sbin", "/sbin"];
  dirs.push(...(Deno.env.get("PATH") ?? "").split(":").filter((d) => d));
  for (const dir of dirs) {
    const path = join(dir, "sshd");
    if (path.startsWith("/") && await isExecutable(path)) return path;
  }
  throw new Error(
    "sshd not found (looked in /usr/sbin and PATH): install openssh-server " +
      "(Debian/Ubuntu: apt-get install openssh-server)",
  );
}

export type SshdOptions = {
  authorizedKeysFile?: string;
  /** Let the user's shell run its startup files (~/.bashrc) as a real sshd does. */
  userShellStartup?: boolean;
};

/** Starts a private sshd on a free loopback port. Call close() in `finally`. */
export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  const sshdPath = await findSshd();
  const dir = await mkdtemp(join(tmpdir(), "handoff-sshd-"));
  try {
    return await launch(sshdPath, dir, opts);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function launch(sshdPath: string, dir: string, opts: SshdOptions): Promise<Sshd> {
  const hostKey = join(dir, "ssh_host_ed25519_key");
  await keygen(hostKey, "handoff-test-host");
  const authorizedKeysFile = opts.authorizedKeysFile ??
    join(dir, "authorized_keys");
  if (!authorizedKeysFile.startsWith("/")) {
    throw new Error(
      `authorizedKeysFile must be absolute: ${authorizedKeysFile}`,
    );
  }
  if (opts.authorizedKeysFile === undefined) {
    await writeFile(authorizedKeysFile, "", { mode: 0o600 });
  }

  // As root, sshd refuses to start without its privilege separation dir
  // (normally created by systemd's RuntimeDirectory). Not needed as non-root.
  if (Deno.uid() === 0) {
    await Deno.mkdir("/run/sshd", { recursive: true, mode: 0o755 });
  }

  const version = await sshdVersion(sshdPath);
  // "ssh-ed25519 AAAA… comment" → "ssh-ed25519 AAAA…" for known_hosts.
  const hostPublicKey = (await Deno.readTextFile(hostKey + ".pub"))
    .split(" ").slice(0, 2).join(" ");
  const configFile = join(dir, "sshd_config");

  // The free port is found by binding port 0 and closing it, which can race
  // with another process; a lost race shows up as sshd exiting, so retry.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = freePort();
    await writeFile(
      configFile,
      sshdConfig(dir, port, hostKey, authorizedKeysFile, version, opts.userShellStartup ?? false),
    );
    const knownHostsFile = join(dir, "known_hosts");
    await writeFile(knownHostsFile, `[127.0.0.1]:${port} ${hostPublicKey}\n`);
    const child = new Deno.Command(sshdPath, {
      args: ["-D", "-e", "-f", configFile],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();

    // sshd logs every connection to stderr: keep draining it, or the pipe
    // fills up and sshd blocks.
    let log = "";
    const drained = (async () => {
      const text = child.stderr.pipeThrough(new TextDecoderStream());
      for await (const chunk of text) log += chunk;
    })();
    let exited = false;
    const status = child.status.then((s) => {
      exited = true;
      return s;
    });
    const stop = async () => {
      // The listener and every connection it forked (each in its own session, holding
      // our stderr pipe): a test that failed with a client still attached must not hang.
      if (!exited) signalTree(child.pid, processTree(child.pid), "SIGTERM");
      await status;
      await drained;
    };

    try {
      await waitForPort(port, () => exited);
    } catch (err) {
      await stop();
      lastError = new Error(`${(err as Error).message}\nsshd stderr:\n${log}`);
      if (log.includes("Address already in use")) continue;
      throw lastError;
    }

    return {
      port,
      user: userInfo().username,
      dir,
      authorizedKeysFile,
      knownHostsFile,
      logs: () => log,
      close: async () => {
        await stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  }
  throw lastError;
}

function sshdConfig(
  dir: string,
  port: number,
  hostKey: string,
  authorizedKeysFile: string,
  version: [number, number],
  userShellStartup: boolean,
): string {
  const lines = [
    `ListenAddress 127.0.0.1`,
    `Port ${port}`,
    `HostKey ${hostKey}`,
    `PidFile ${join(dir, "sshd.pid")}`,
    `AuthorizedKeysFile ${authorizedKeysFile}`,
    `PubkeyAuthentication yes`,
    `PasswordAuthentication no`,
    `KbdInteractiveAuthentication no`,
    // No PAM: it would need the system's /etc/pam.d setup and a real login.
    `UsePAM no`,
    // Root may log in with a key only; a non-root user is unaffected.
    `PermitRootLogin prohibit-password`,
    // Temp dirs and test files have loose modes; don't let that refuse keys.
    `StrictModes no`,
    `PrintMotd no`,
    `PrintLastLog no`,
    `UseDNS no`,
    `LogLevel VERBOSE`,
    // No Subsystem line: no sftp, only exec and shell requests.
  ];
  // bash sources ~/.bashrc under sshd only as a top-level shell (SHLVL < 2 after its +1).
  if (!userShellStartup) lines.push(`SetEnv SHLVL=1`);
  // OpenSSH 9.8+ penalises addresses whose logins fail; our tests fail logins
  // on purpose from 127.0.0.1, which would then lock out the next test.
  if (version[0] > 9 || (version[0] === 9 && version[1] >= 8)) {
    lines.push(`PerSourcePenalties no`);
  }
  return lines.join("\n") + "\n";
}

/** argv (without the program) for the real `ssh` client to reach this sshd. */
export function sshArgs(
  sshd: Sshd,
  keyFile: string,
  opts: { tty?: boolean; bind?: string } = {},
): string[] {
  return [
    // A loopback source address other than 127.0.0.1 plays a second phone elsewhere.
    ...(opts.bind ? ["-b", opts.bind] : []),
    // Ignore ~/.ssh/config, the agent and ~/.ssh/known_hosts: only this key, this host key.
    "-F",
    "/dev/null",
    "-o",
    `UserKnownHostsFile=${sshd.knownHostsFile}`,
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    "BatchMode=yes",
    "-o",
    "IdentityAgent=none",
    "-o",
    "LogLevel=ERROR",
    "-i",
    keyFile,
    "-p",
    String(sshd.port),
    ...(opts.tty ? ["-tt"] : []),
    `${sshd.user}@127.0.0.1`,
  ];
}

/**
 * Runs `ssh … <command>` without a PTY, like the Android app's exec channel.
 * With a forced command, `command` only reaches it as SSH_ORIGINAL_COMMAND.
 * ssh exits 255 when it cannot connect or log in.
 */
export async function sshExec(
  sshd: Sshd,
  keyFile: string,
  command: string,
  opts: { stdin?: string; timeoutMs?: number; bind?: string } = {},
): Promise<ExecResult> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const child = new Deno.Command("ssh", {
    args: [...sshArgs(sshd, keyFile, { bind: opts.bind }), command],
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, timeoutMs);
  try {
    if (opts.stdin !== undefined) {
      const writer = child.stdin.getWriter();
      try {
        await writer.write(new TextEncoder().encode(opts.stdin));
        await writer.close();
      } catch { /* ssh exited without reading it all: its output says why */ }
    }
    const out = await child.output();
    const result = {
      code: out.code,
      stdout: new TextDecoder().decode(out.stdout),
      stderr: new TextDecoder().decode(out.stderr),
    };
    if (timedOut) {
      const got = JSON.stringify(result);
      throw new Error(`ssh ${command} timed out after ${timeoutMs} ms: ${got}`);
    }
    return result;
  } finally {
    clearTimeout(timer);
  }
}

/** Makes a throwaway ed25519 client key (no passphrase) in `dir`. */
export async function generateClientKey(
  dir: string,
  name = "id_ed25519",
  comment = "handoff-test-client",
): Promise<ClientKey> {
  const keyFile = join(dir, name);
  await keygen(keyFile, comment);
  const publicKey = (await Deno.readTextFile(keyFile + ".pub")).trim();
  // "256 SHA256:… comment (ED25519)"
  const fingerprint = (await run("ssh-keygen", ["-l", "-f", keyFile + ".pub"])).split(" ")[1];
  return { keyFile, publicKey, fingerprint };
}

/** Replaces the authorized_keys file; sshd reads it afresh on every login. */
export async function writeAuthorizedKeys(
  sshd: Sshd,
  lines: string[],
): Promise<void> {
  await writeFile(
    sshd.authorizedKeysFile,
    lines.map((l) => l + "\n").join(""),
    { mode: 0o600 },
  );
}

/** Writes an executable `#!/bin/sh` script (for forced commands). */
export async function writeScript(path: string, body: string): Promise<string> {
  await writeFile(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return path;
}

/** Quotes a string for /bin/sh (for the few scripts tests write). */
export function shQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** ssh-keygen writes `path` (0600, no passphrase) and `path.pub`. */
async function keygen(path: string, comment: string): Promise<void> {
  const args = ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path];
  await run("ssh-keygen", args);
}

async function sshdVersion(sshdPath: string): Promise<[number, number]> {
  // `sshd -V` prints e.g. "OpenSSH_9.2p1 Debian-2+deb12u3, OpenSSL …" on stderr.
  const out = await new Deno.Command(sshdPath, {
    args: ["-V"],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder().decode(out.stderr) +
    new TextDecoder().decode(out.stdout);
  const m = text.match(/OpenSSH_(\d+)\.(\d+)/);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

async function waitForPort(port: number, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (true) {
    if (exited()) {
      throw new Error(`sshd exited before listening on 127.0.0.1:${port}`);
    }
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch {
      if (Date.now() > deadline) {
        throw new Error(
          `sshd did not accept connections on 127.0.0.1:${port} within ${READY_TIMEOUT_MS} ms`,
        );
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!out.success) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed (${out.code}): ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    const st = await Deno.stat(path);
    return st.isFile && ((st.mode ?? 0) & 0o111) !== 0;
  } catch {
    return false;
  }
}

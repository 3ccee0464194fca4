// A throwaway world for the phone half: its own HANDOFF_HOME and HOME, a private tmux
// server (the desk), a real sshd on 127.0.0.1 whose authorized_keys is the file handoff
// writes, and `handoff` run as a separate process exactly as a user runs it. The phone is
// played by the real `ssh` client with the key taken from the pairing payload, rebuilt into
// a PEM the way both apps do it.

import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { type ExecResult, sshArgs, type Sshd, sshExec, startSshd } from "./sshd.ts";
import { startTmux, type Tmux } from "./tmux.ts";
import { BIN_DIR } from "./agents.ts";
import { runHandoff, spawnHandoff } from "./handoff.ts";
import { qrTextToPgm } from "./qr.ts";

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export interface PhoneWorld {
  dir: string;
  home: string;
  authorizedKeys: string;
  desk: Tmux;
  sshd: Sshd;
  env: Record<string, string>;
  handoff(args: string[], opts?: { stdin?: string; env?: Record<string, string> }): Promise<Result>;
  spawn(args: string[], opts?: { env?: Record<string, string> }): Deno.ChildProcess;
  /** Runs the gate directly (no sshd): `SSH_ORIGINAL_COMMAND=<command> handoff gate <fp>`. */
  gate(fingerprint: string, command: string | undefined): Promise<Result>;
  /** The flags every pairing in a test needs (this sshd's file, this tmux server). */
  pairFlags: string[];
  accessLog(): string[];
  sql(query: string, ...args: (string | number | null)[]): unknown[];
  close(): Promise<void>;
}

/** Runs `fn` in a fresh phone world, closed afterwards whatever happens. */
export async function withPhoneWorld(fn: (w: PhoneWorld) => Promise<void>): Promise<void> {
  const w = await startPhoneWorld();
  try {
    await fn(w);
  } finally {
    await w.close();
  }
}

export async function startPhoneWorld(): Promise<PhoneWorld> {
  const dir = await Deno.makeTempDir({ prefix: "handoff-phone-" });
  const home = join(dir, "handoff-home");
  const userHome = join(dir, "home");
  await Deno.mkdir(userHome, { recursive: true });
  const authorizedKeys = join(dir, "ssh", "authorized_keys");
  await Deno.mkdir(join(dir, "ssh"), { recursive: true, mode: 0o700 });
  // Someone else's key that must survive every edit handoff makes.
  await Deno.writeTextFile(
    authorizedKeys,
    "# the user's own keys\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl someone@laptop\n",
    { mode: 0o600 },
  );
  const desk = await startTmux();
  const sshd = await startSshd({ authorizedKeysFile: authorizedKeys });
  const env: Record<string, string> = {
    PATH: `${BIN_DIR}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin`,
    HOME: userHome,
    HANDOFF_HOME: home,
    NO_COLOR: "1",
    // The real deno cache: a fresh HOME would mean a cold module cache on every spawn.
    DENO_DIR: Deno.env.get("DENO_DIR") ?? join(Deno.env.get("HOME") ?? "/root", ".cache", "deno"),
    RUST_BACKTRACE: "0",
    USER: Deno.env.get("USER") ?? "root",
  };
  const spawn = (args: string[], o: { env?: Record<string, string> } = {}) =>
    spawnHandoff(args, { env: { ...env, ...o.env }, cwd: dir, stdin: "piped" });
  const run = (args: string[], o: { stdin?: string; env?: Record<string, string> } = {}) =>
    runHandoff(args, { env: { ...env, ...o.env }, cwd: dir, stdin: o.stdin });
  const world: PhoneWorld = {
    dir,
    home,
    authorizedKeys,
    desk,
    sshd,
    env,
    handoff: run,
    spawn,
    gate: (fp, command) =>
      run(["gate", fp], { env: command === undefined ? {} : { SSH_ORIGINAL_COMMAND: command } }),
    pairFlags: [
      "--host",
      "127.0.0.1",
      "--authorized-keys",
      authorizedKeys,
      "--tmux-socket",
      desk.socket,
    ],
    accessLog() {
      try {
        return Deno.readTextFileSync(join(home, "access.log")).split("\n").filter((l) => l !== "");
      } catch {
        return [];
      }
    },
    sql(query, ...args) {
      const db = new DatabaseSync(join(home, "handoff.db"), { timeout: 5000 });
      try {
        const stmt = db.prepare(query);
        // Plain objects (node:sqlite rows have a null prototype), so deepEqual compares values.
        return /^\s*select/i.test(query)
          ? stmt.all(...args).map((row) => ({ ...row }))
          : [stmt.run(...args)];
      } finally {
        db.close();
      }
    },
    async close() {
      await sshd.close();
      await desk.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
  return world;
}

export interface PairPayloadJson {
  v: number;
  i: string;
  u: string;
  k: string;
  t: string;
  n: string;
}

/** What the Android app does with `k`: 70-column lines inside the OpenSSH armour. */
export function pemFromPayload(p: PairPayloadJson): string {
  const lines = p.k.match(/.{1,70}/g) ?? [];
  return [
    "-----BEGIN OPENSSH PRIVATE KEY-----",
    ...lines,
    "-----END OPENSSH PRIVATE KEY-----",
    "",
  ].join("\n");
}

/** The phone: a key file from the payload, and `ssh` calls with it. */
export interface Phone {
  keyFile: string;
  payload: PairPayloadJson;
  exec(command: string): Promise<ExecResult>;
  /** argv for `ssh -tt … <command>` (for a terminal inside the outer tmux). */
  ttyArgv(command: string): string[];
}

export async function phoneFromPayload(
  w: PhoneWorld,
  payload: PairPayloadJson,
  name: string,
): Promise<Phone> {
  const keyFile = join(w.dir, `phone-${name.replace(/\W/g, "_")}`);
  await Deno.writeTextFile(keyFile, pemFromPayload(payload), { mode: 0o600 });
  return {
    keyFile,
    payload,
    exec: (command) => sshExec(w.sshd, keyFile, command),
    ttyArgv: (command) => ["ssh", ...sshArgs(w.sshd, keyFile, { tty: true }), command],
  };
}

export interface Paired {
  phone: Phone;
  name: string;
  fingerprint: string;
  code: string;
}

/**
 * The Android flow (seed §4.4): `pair --no-wait --json`, then the phone's `list` (pending),
 * `pair <model>` (verify:NNNNNN), then `devices approve` with that code.
 */
export async function pairPhone(
  w: PhoneWorld,
  model: string,
  flags: string[],
): Promise<Paired> {
  const r = await w.handoff(["pair", "--no-wait", "--json", ...w.pairFlags, ...flags]);
  if (r.code !== 0) throw new Error(`pair failed (${r.code}): ${r.stderr}`);
  const device = JSON.parse(r.stdout);
  const phone = await phoneFromPayload(w, device.payload, model);
  const first = await phone.exec("list");
  if (first.stdout !== "error:pending\n") {
    throw new Error(`list before pairing: ${JSON.stringify(first)}`);
  }
  const verify = await phone.exec(`pair ${model}`);
  const code = /^verify:(\d{6})\n$/.exec(verify.stdout)?.[1];
  if (!code) throw new Error(`pair ${model}: ${JSON.stringify(verify)}`);
  const approve = await w.handoff(["devices", "approve", model, "--code", code]);
  if (approve.code !== 0) throw new Error(`approve: ${approve.stderr}`);
  return { phone, name: model, fingerprint: device.fingerprint, code };
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Finds the QR block in terminal text and decodes it with zbarimg. */
export async function scanQr(text: string, dir: string): Promise<string> {
  const lines = text.split("\n").filter((l) => /^[ ▀▄█]{20,}$/.test(l));
  const file = join(dir, `qr-${crypto.randomUUID()}.pgm`);
  await Deno.writeFile(file, qrTextToPgm(lines));
  try {
    const out = await new Deno.Command("zbarimg", {
      args: ["--raw", "-q", file],
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    if (!out.success) throw new Error(`zbarimg could not read the QR (${out.code})`);
    return new TextDecoder().decode(out.stdout).replace(/\n$/, "");
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}

/** One NDJSON record of a stream. */
export type Rec = Record<string, unknown> & { type: string; id?: number; message?: string };

/** An open stream (see openStream). */
export type Stream = ReturnType<typeof openStream>;

/** An open `ssh … subscribe …` exec channel, as the Android app holds one. */
export function openStream(w: PhoneWorld, keyFile: string, command: string) {
  const child = new Deno.Command("ssh", {
    args: [...sshArgs(w.sshd, keyFile), command],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const records: Rec[] = [];
  let buf = "";
  const reading = (async () => {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        try {
          records.push(JSON.parse(line));
        } catch {
          records.push({ type: "not-json", text: line }); // e.g. an `error:` reply
        }
        buf = buf.slice(i + 1);
      }
    }
  })();
  const stderr = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  return {
    records,
    /** Resolves when ssh exits (the gate ended the stream, or close()). */
    status: child.status,
    /** Freezes the ssh client, as a phone that vanished without closing anything. */
    stop() {
      child.kill("SIGSTOP");
    },
    resume() {
      child.kill("SIGCONT");
    },
    async until(pred: (r: Rec[]) => boolean, ms = 10_000) {
      const deadline = Date.now() + ms;
      while (!pred(records)) {
        if (Date.now() > deadline) {
          throw new Error(
            `stream: timed out; got:\n${records.map((r) => JSON.stringify(r)).join("\n")}`,
          );
        }
        await delay(20);
      }
    },
    async close() {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
      await reading.catch(() => {});
      await stderr.cancel().catch(() => {});
    },
  };
}

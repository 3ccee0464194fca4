// Replacing the gate with tmux (execve), so the tmux client owns the SSH terminal and the
// gate is not in the keystroke path. Deno has no exec, so libc's execve is called through
// FFI; the pid stays the same, which is what the attachment record and the scope hook key
// on. Without FFI (denied, or an unknown libc), tmux is spawned with inherited stdio and
// the gate waits for it.

const LIBC: Partial<Record<typeof Deno.build.os, string>> = {
  linux: "libc.so.6",
  darwin: "/usr/lib/libSystem.B.dylib",
};

const SYMBOLS = {
  execve: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
  signal: { parameters: ["i32", "pointer"], result: "pointer" },
  ttyname: { parameters: ["i32"], result: "pointer" },
} as const;

type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let libc: Libc | null | undefined;

function openLibc(): Libc | null {
  if (libc !== undefined) return libc;
  const path = LIBC[Deno.build.os];
  try {
    libc = path ? Deno.dlopen(path, SYMBOLS).symbols : null;
  } catch {
    libc = null;
  }
  return libc;
}

const encoder = new TextEncoder();

/** A NULL-terminated `char *[]`; `keep` holds the strings so they outlive the call. */
function cStringArray(items: string[], keep: Uint8Array[]): Uint8Array {
  const ptrs = new BigUint64Array(items.length + 1);
  items.forEach((s, i) => {
    if (s.includes("\0")) throw new Error("NUL in an exec argument");
    const bytes = encoder.encode(s + "\0");
    keep.push(bytes);
    ptrs[i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(bytes)));
  });
  return new Uint8Array(ptrs.buffer);
}

/** The terminal on fd 0 (`/dev/pts/3`), or null when stdin is not a terminal. */
export function stdinTty(): string | null {
  if (!Deno.stdin.isTerminal()) return null;
  if (Deno.build.os === "linux") {
    try {
      return Deno.readLinkSync("/proc/self/fd/0");
    } catch { /* fall through to ttyname */ }
  }
  const p = openLibc()?.ttyname(0);
  if (p) return Deno.UnsafePointerView.getCString(p);
  // No FFI (and Deno then refuses /proc/self/fd too): ask tty(1) about our stdin.
  try {
    const out = new Deno.Command("tty", { stdin: "inherit", stdout: "piped", stderr: "null" })
      .outputSync();
    const name = new TextDecoder().decode(out.stdout).trim();
    return out.success && name.startsWith("/dev/") ? name : null;
  } catch {
    return null;
  }
}

/** True when execve is available here (libc found and FFI allowed). */
export function canExec(): boolean {
  return openLibc() !== null;
}

/**
 * Becomes `argv[0] argv[1…]` with exactly `env`. Returns only if execve failed (then the
 * caller reports it); without FFI, runs the program (telling `onChild` its pid) and exits
 * with its status.
 */
export async function execOrRun(
  argv: string[],
  env: Record<string, string>,
  onChild?: (pid: number) => void,
): Promise<number> {
  const c = openLibc();
  if (c) {
    const keep: Uint8Array[] = [];
    const envList = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    const path = encoder.encode(argv[0] + "\0");
    // Deno ignores SIGPIPE; an ignored signal stays ignored across execve.
    c.signal(13, null);
    c.execve(path, cStringArray(argv, keep), cStringArray(envList, keep));
    return 127; // execve only returns on failure
  }
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    env,
    clearEnv: true,
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  // A hang-up or stop meant for the client (from its guard, or `devices rm`) reaches it
  // through us too.
  const forward = () => {
    try {
      child.kill("SIGHUP");
    } catch { /* already gone */ }
  };
  const signals: Deno.Signal[] = ["SIGHUP", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, forward);
  try {
    onChild?.(child.pid);
  } catch {
    forward(); // unrecorded, its guard could not reach it: do not leave it running
  }
  try {
    return (await child.status).code;
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, forward);
  }
}

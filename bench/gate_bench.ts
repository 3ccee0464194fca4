/**
 * The gate, which a phone calls (1 + sessions) times every 5 s:
 * - `handoff gate <fp>` answering `list` (process start to exit), also through the shim
 *   sshd really runs, and `windows main`, next to a `deno run` hello world;
 * - the round trip of `ssh … list` through a real sshd on 127.0.0.1 with the device key,
 *   next to the same ssh with a forced `/bin/echo` (ssh + sshd + login shell, no gate).
 *
 *   deno run -A bench/gate_bench.ts
 *
 * Target: gate `list` ≤ 60 ms median. Figures only: nothing fails on a number.
 */
import { join } from "node:path";
import { cleanEnv, handoffArgv, measure, ms, stats, table, timerName } from "./lib.ts";
import { generateClientKey, sshArgs, startSshd } from "../tests/helpers/sshd.ts";
import { startTmux } from "../tests/helpers/tmux.ts";
import { pemFromPayload } from "../tests/helpers/phone.ts";

async function run(argv: string[], env: Record<string, string>): Promise<string> {
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(`${argv.join(" ")}: ${out.code} ${new TextDecoder().decode(out.stderr)}`);
  }
  return text;
}

function row(name: string, times: number[], base: number): string[] {
  const s = stats(times);
  return [name, ms(s.median), ms(s.mean), ms(s.p90), ms(s.min), (s.median / base).toFixed(2)];
}

async function main() {
  const dir = await Deno.makeTempDir({ prefix: "handoff-bench-gate-" });
  const tmux = await startTmux();
  // As a real sshd: the user's ~/.bashrc runs before every forced command.
  const sshd = await startSshd({
    authorizedKeysFile: join(dir, "authorized_keys"),
    userShellStartup: true,
  });
  try {
    const home = join(dir, "home");
    const handoffHome = join(dir, "handoff-home");
    await Deno.mkdir(home, { recursive: true });
    const hello = join(dir, "hello.ts");
    await Deno.writeTextFile(hello, 'console.log("hello");\n');
    for (const s of ["main", "work-api", "work-web", "notes"]) {
      await tmux.newSession(s, { cmd: ["/bin/sh", "-c", "exec sleep 600"] });
    }
    const env = await cleanEnv(home, { HANDOFF_HOME: handoffHome });

    // A device paired the scripted way: pending, the phone's `pair`, approve with its code.
    const paired = JSON.parse(
      await run(
        handoffArgv(
          "pair",
          "--no-wait",
          "--json",
          "--host",
          "127.0.0.1",
          "--sessions",
          "main,work-*",
          "--authorized-keys",
          sshd.authorizedKeysFile,
          "--tmux-socket",
          tmux.socket,
        ),
        env,
      ),
    );
    const fp: string = paired.fingerprint;
    const verify = await run(handoffArgv("gate", fp), {
      ...env,
      SSH_ORIGINAL_COMMAND: "pair Bench",
    });
    const code = verify.trim().slice("verify:".length);
    await run(handoffArgv("devices", "approve", "Bench", "--code", code), env);
    const keyFile = join(dir, "device_key");
    await Deno.writeTextFile(keyFile, pemFromPayload(paired.payload), { mode: 0o600 });
    const shim = join(handoffHome, "bin", "handoff");

    console.log(`# gate: a phone request, start to exit

measures  wall time of the whole process; the gate answering list (4 tmux sessions, 3 visible)
timer     ${timerName()}, 5 warm-ups, 40 runs
baseline  deno run -A --quiet hello.ts (console.log only)
`);
    const listEnv = { ...env, SSH_ORIGINAL_COMMAND: "list" };
    const local = await measure([
      { name: "deno hello world", argv: [Deno.execPath(), "run", "-A", "--quiet", hello] },
      { name: "handoff gate (list)", argv: handoffArgv("gate", fp) },
      { name: "shim --home … gate (list)", argv: [shim, "--home", handoffHome, "gate", fp] },
    ], { warmup: 5, runs: 40, env: listEnv, cwd: dir });
    const windows = await measure([
      { name: "handoff gate (windows main)", argv: handoffArgv("gate", fp) },
    ], { warmup: 3, runs: 30, env: { ...env, SSH_ORIGINAL_COMMAND: "windows main" }, cwd: dir });
    const base = stats(local[0].times).median;
    console.log(table([
      ["", "median", "mean", "p90", "min", "× baseline"],
      ...[...local, ...windows].map((r) => row(r.name, r.times, base)),
    ]));

    // The same sshd, a second key whose forced command is /bin/echo: what ssh, sshd and the
    // login shell cost without the gate.
    const plain = await generateClientKey(dir, "plain_key");
    await Deno.writeTextFile(
      sshd.authorizedKeysFile,
      `restrict,command="/bin/echo ok" ${plain.publicKey}\n`,
      { append: true },
    );
    const shell = Deno.env.get("SHELL") ?? "/bin/sh";
    console.log(`
# ssh round trip: \`ssh … list\` through a real sshd on 127.0.0.1

measures  wall time of the ssh client: connect, key auth, forced command, output, close
timer     ${timerName()}, 3 warm-ups, 20 runs
note      sshd runs forced commands as \`${shell} -c …\`; \`handoff doctor\` shows what the
          login shell's startup costs here (bash sources ~/.bashrc even then)
`);
    const sshEnv = { PATH: env.PATH, HOME: home };
    const remote = await measure([
      {
        name: "ssh → /bin/echo ok (no gate)",
        argv: ["ssh", ...sshArgs(sshd, plain.keyFile), "list"],
      },
      { name: "ssh → handoff gate (list)", argv: ["ssh", ...sshArgs(sshd, keyFile), "list"] },
    ], { warmup: 3, runs: 20, env: sshEnv, cwd: dir });
    const sshBase = stats(remote[0].times).median;
    console.log(table([
      ["", "median", "mean", "p90", "min", "× no gate"],
      ...remote.map((r) => row(r.name, r.times, sshBase)),
    ]));
    const gate = stats(local[1].times).median;
    console.log(
      `\ntarget: gate list ≤ 60 ms median — measured ${ms(gate)} (${
        gate <= 60 ? "met" : "MISSED"
      })`,
    );
  } finally {
    await sshd.close();
    await tmux.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await main();

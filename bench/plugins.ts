/**
 * What installed plugins cost the commands that must stay fast: `--version`, `notify`
 * (every agent turn) and the gate (every phone request), with no plugin installed, with
 * five (three exec, two module; none of them a sink), and with those five plus the
 * webhook sink: "cold" when `notify` has to start the delivery process (the first event of
 * a burst), "warm" when one is still lingering from the previous event (the rest of it).
 * All in one measuring run, next to a `deno run` hello world.
 *
 *   deno run -A bench/plugins.ts
 *
 * The gate is measured as sshd starts it (`handoff gate <fingerprint>` with the phone's
 * `list` in SSH_ORIGINAL_COMMAND) for a device paired in each home, without sshd in the
 * figure (bench/gate_bench.ts has the whole ssh round trip).
 * Target: each with five plugins ≤ 5 ms above the same command with none.
 */
import { join } from "node:path";
import { startTmux } from "../tests/helpers/tmux.ts";
import { pidsWith } from "../tests/helpers/handoff.ts";
import { cleanEnv, handoffArgv, measure, ms, stats, table } from "./lib.ts";

async function handoff(
  env: Record<string, string>,
  cwd: string,
  ...args: string[]
): Promise<string> {
  const argv = handoffArgv(...args);
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    env,
    cwd,
    clearEnv: true,
    stdin: "null",
  })
    .output();
  if (!out.success) {
    throw new Error(`handoff ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** A device paired the scripted way (pending, the phone's `pair`, approve): its fingerprint. */
async function pairDevice(
  env: Record<string, string>,
  dir: string,
  socket: string,
): Promise<string> {
  const paired = JSON.parse(
    await handoff(
      env,
      dir,
      "pair",
      "--no-wait",
      "--json",
      "--host",
      "127.0.0.1",
      "--authorized-keys",
      join(env.HANDOFF_HOME, "authorized_keys"),
      "--tmux-socket",
      socket,
    ),
  );
  const verify = await handoff(
    { ...env, SSH_ORIGINAL_COMMAND: "pair Bench" },
    dir,
    "gate",
    paired.fingerprint,
  );
  await handoff(
    env,
    dir,
    "devices",
    "approve",
    "Bench",
    "--code",
    verify.trim().slice("verify:".length),
  );
  return paired.fingerprint;
}

/** Pids of the `handoff … deliver` processes of this home. */
const deliveries = (home: string) => pidsWith(home, "deliver");

/** Waits until no delivery process of this home is running. */
async function deliveriesGone(home: string): Promise<void> {
  for (let i = 0; i < 200 && deliveries(home).length > 0; i++) {
    await new Promise((r) => setTimeout(r, 25));
  }
}

function stopDeliveries(home: string): void {
  for (const pid of deliveries(home)) {
    try {
      Deno.kill(pid, "SIGTERM");
    } catch { /* gone */ }
  }
}

async function main() {
  const dir = await Deno.makeTempDir({ prefix: "handoff-bench-plugins-" });
  const tmux = await startTmux();
  // The webhook answers at once, so the delivery processes end quickly.
  const hook = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    await req.body?.cancel();
    return new Response("ok");
  });
  try {
    const hello = join(dir, "hello.ts");
    await Deno.writeTextFile(hello, 'console.log("hello");\n');
    const home = join(dir, "home");
    await Deno.mkdir(home);
    const homes = {
      none: join(dir, "none"),
      five: join(dir, "five"),
      sink: join(dir, "sink"),
      warm: join(dir, "warm"),
    };
    const envs: Record<string, Record<string, string>> = {};
    for (const [name, h] of Object.entries(homes)) {
      await Deno.mkdir(h);
      await Deno.writeTextFile(
        join(h, "config.yaml"),
        `backends:\n  x:\n    model: m\nplugins:\n  webhook:\n    url: http://127.0.0.1:${hook.addr.port}/t\n`,
      );
      // "sink": every notify finds no delivery process; "warm": it always finds one.
      envs[name] = await cleanEnv(home, {
        HANDOFF_HOME: h,
        HANDOFF_DELIVERY_LIFETIME_MS: name === "warm" ? "600000" : "2000",
        HANDOFF_DELIVERY_LINGER_MS: name === "warm" ? "600000" : "0",
      });
    }
    const plugins = join(dir, "src");
    await Deno.mkdir(plugins);
    for (const [i, kind] of ["exec", "exec", "exec", "module", "module"].entries()) {
      await handoff(envs.none, plugins, "plugin", "new", `p${i}`, "--kind", kind);
      for (const h of ["five", "sink", "warm"]) {
        await handoff(envs[h], plugins, "plugin", "add", join(plugins, `p${i}`), "--yes");
      }
    }
    for (const h of ["sink", "warm"]) {
      await handoff(
        envs[h],
        dir,
        "plugin",
        "add",
        join(Deno.cwd(), "examples", "plugins", "webhook"),
        "--yes",
      );
    }

    console.log(`# plugins: start-up of the fast paths with 0 and 5 installed plugins

measures  wall time of the whole process (deno run -A --quiet main.ts …)
timer     internal loop (interleaved; a delivery process is waited for, untimed), 3 warm-ups, 20 runs
five      p0-p2 exec, p3-p4 module (each a command); sink: the same five + the webhook sink
cold      notify starts the delivery process; warm: one lingers from the event before
baseline  deno run -A --quiet hello.ts
`);
    await tmux.newSession("main", { cmd: ["/bin/sh", "-c", "exec sleep 600"] });
    const fps: Record<string, string> = {};
    for (const [name, env] of Object.entries(envs)) {
      fps[name] = await pairDevice(env, dir, tmux.socket);
    }
    const gateEnv = (h: Record<string, string>) => ({ ...h, SSH_ORIGINAL_COMMAND: "list" });
    const cmds = [{
      name: "deno hello world",
      argv: [Deno.execPath(), "run", "-A", "--quiet", hello],
      env: envs.none,
    }];
    for (
      const [label, key] of [
        ["0 plugins", "none"],
        ["5 plugins", "five"],
        ["5 + sink, cold", "sink"],
        ["5 + sink, warm", "warm"],
      ] as const
    ) {
      const env = envs[key];
      cmds.push({ name: `--version, ${label}`, argv: handoffArgv("--version"), env });
      cmds.push({ name: `notify, ${label}`, argv: handoffArgv("notify", "-m", "bench"), env });
      cmds.push({
        name: `gate list, ${label}`,
        argv: handoffArgv("gate", fps[key]),
        env: gateEnv(env),
      });
    }
    // Interleaved, each in its own home. After a notify that started a delivery, the next
    // command waits (untimed) until that process is gone: two processes on a small machine
    // would otherwise time each other.
    const results = await measure(
      cmds.map((c) => ({
        ...c,
        after: c.env === envs.warm ? undefined : () => deliveriesGone(c.env.HANDOFF_HOME),
      })),
      { warmup: 3, runs: 20, env: envs.none, cwd: dir },
    );
    const base = stats(results[0].times).median;
    const byName = new Map(results.map((r) => [r.name, stats(r.times).median]));
    console.log(table([
      ["", "median", "min", "× baseline", "+ same with 0 plugins"],
      ...results.map((r) => {
        const s = stats(r.times);
        const zero = byName.get(r.name.replace(/, .*$/, ", 0 plugins"));
        return [
          r.name,
          ms(s.median),
          ms(s.min),
          (s.median / base).toFixed(2),
          zero === undefined || r.name.endsWith("0 plugins") ? "" : ms(s.median - zero),
        ];
      }),
    ]));
    console.log("\ntarget: with 5 plugins ≤ 5 ms above the same command with none");
  } finally {
    await hook.shutdown();
    await tmux.close();
    stopDeliveries(join(dir, "warm"));
    await new Promise((r) => setTimeout(r, 2500)); // the others end by themselves
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) await main();

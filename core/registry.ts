/**
 * The hook points. The core knows no backend, transport or notification channel by
 * name: first-party plugins (claude, codex, tmux, gate, …) register here exactly as a
 * third-party plugin would. A plugin is a plain object with optional named hooks.
 */
import type { Command } from "@commander-js/extra-typings";
import { escapeControls } from "./output.ts";
import type { RunEvent } from "./events.ts";
import type { EventRecord, RunTab } from "./event_log.ts";
import type { DeviceAccess, DialAddress, Transport } from "./transport.ts";
import type { IoStreams } from "./io.ts";
import type { Paths } from "./paths.ts";
import type { Config } from "./config.ts";
import type { Db } from "./store.ts";

/** What a backend launcher is asked to start. */
export interface LaunchTask {
  /** The CLI to run (the backend's `command`, default the launcher's `defaultCommand`). */
  command: string;
  /** The backend's `args`: they go right after the command. */
  args: string[];
  /** The backend's `mode` (an ACP agent's session mode), when set. */
  mode: string | null;
  model: string;
  cwd: string;
  /** Conversation to continue; absent for a fresh run. */
  resumeSession?: string;
  /** Session id handoff chose for a fresh run, when the backend lets us choose. */
  newSession?: string;
  permissionMode: string;
  systemPrompt: string;
  /** The backend's resolved `env:` block. */
  env: Record<string, string>;
  /** The environment handoff itself was started with. */
  inheritedEnv: Record<string, string>;
}

/** What to spawn. `env` is complete (the child gets exactly this). */
export interface LaunchSpec {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  /** Written to the child's stdin, then closed: prompts never travel in argv. */
  stdin: string | null;
}

/** A started CLI as a driving launcher gets it (see BackendLauncher.drive). */
export interface DrivenCli {
  stdin: WritableStream<Uint8Array>;
  stdout: ReadableStream<Uint8Array>;
  /** Also its process group's id: it runs in a session of its own. */
  pid: number;
  exited: Promise<Deno.CommandStatus>;
  /** Aborts when the run is to stop. */
  stop: AbortSignal;
  runId: string;
  /** One of the run's events, as a parser's would be. */
  emit(ev: RunEvent): void;
  /** One line for the run's raw log, which the launcher's parser reads back (`tail --json`). */
  raw(line: string): void;
}

/**
 * Turns a backend's stdout into normalized events, one line at a time, in order. An
 * out-of-process plugin answers asynchronously; the caller awaits each line before the next.
 */
export interface StreamParser {
  /** One line of the backend's stdout (without the newline) → normalized events. */
  push(line: string): RunEvent[] | Promise<RunEvent[]>;
}

export interface BackendLauncher {
  type: string;
  defaultCommand: string;
  /** npm package that provides the CLI, for "not installed" hints. */
  installHint: string;
  permissionModes: readonly string[];
  defaultPermissionMode: string;
  /** True when handoff may choose the session id of a fresh run (claude --session-id). */
  choosesSessionId: boolean;
  /** True when a resume only finds its conversation from the original cwd. */
  resumeNeedsCwd: boolean;
  /**
   * For a CLI spoken to over its stdio (ACP) rather than one that reads the prompt on
   * stdin and prints a stream: the engine starts `launch()`'s argv with stdin and stdout
   * piped (not writing `stdin`) and hands them here with the run's prompt; `drive` reports
   * the run's events and resolves with the run's exit status (0 success) once the turn is
   * over, while it may still be stopping the CLI: the engine records a success meanwhile
   * and waits for the exit before it returns. When `cli.stop`
   * aborts (kill, --timeout, Ctrl-C) it ends the turn its own way; the engine stops the
   * process group if the CLI is still there after the grace period. `createParser` is not
   * used for such a backend.
   */
  drive?(cli: DrivenCli, task: LaunchTask, prompt: string): Promise<number>;
  /**
   * Refuses a resume before anything starts or is recorded: throws (a usage error, exit 2)
   * when the CLI (`command` with the backend's `args`) is known to be unable to continue
   * a conversation.
   */
  checkResume?(o: { command: string; args: string[]; backend: string }): void | Promise<void>;
  /** True when usage events count the whole conversation, not just this run (codex). */
  usageIsThreadTotal?: boolean;
  /** Non-interactive run (fresh or resumed); the prompt goes to stdin. */
  launch(task: LaunchTask, prompt: string): LaunchSpec | Promise<LaunchSpec>;
  /** The interactive CLI opened on an existing conversation (stdio inherited). */
  interactive(task: LaunchTask): LaunchSpec | Promise<LaunchSpec>;
  createParser(): StreamParser;
  /** True when the cost the CLI reports is an estimate (e.g. list prices for another endpoint). */
  costIsEstimate?(task: LaunchTask): boolean | Promise<boolean>;
  /** A hint for a failure, from the tail of the CLI's stderr (e.g. root without IS_SANDBOX). */
  diagnose?(stderrTail: string, task: LaunchTask): string | undefined | Promise<string | undefined>;
}

/**
 * What every command is handed (like GitHub CLI's Factory): the registry, the streams it
 * writes to, where handoff's files are, the ledger, the config, and the clock. A test runs commands
 * in-process by giving `runCli` its own streams (core/io.ts `bufferIo`) and a HANDOFF_HOME
 * of its own.
 */
export interface CommandContext {
  registry: Registry;
  io: IoStreams;
  /** handoff's files (HANDOFF_HOME, the ledger, the config), resolved when called. */
  paths: () => Paths;
  /** The ledger of `paths()`, opened for the caller (who closes it). */
  openStore: (o?: { readOnly?: boolean }) => Promise<Db>;
  /** config.yaml (`paths().config`), read and checked against the registered backends. */
  config: () => Promise<Config>;
  now: () => Date;
}

/**
 * A subcommand: `register` adds it to the commander tree. (Commands on a hot path, which
 * must not pay for the plugin list or commander, are listed in plugins/hot.ts.)
 */
export interface CommandSpec {
  name: string;
  summary: string;
  register?: (program: Command, ctx: CommandContext) => void | Promise<void>;
  /**
   * A command that parses its own arguments (a third-party plugin's): handed everything
   * after its name; returns the exit code. Used when there is no `register`.
   */
  run?: (args: string[]) => number | Promise<number>;
  /**
   * Runs a plain command line without building the commander tree (its start-up is paid
   * on every dispatch): handed everything after the name; returns the exit code, or null
   * to let `register`'s commander command parse the line (help, errors, rare spellings).
   */
  quick?: (args: string[], ctx: CommandContext) => Promise<number | null>;
}

/** A paired device as the gate hands it to an event sink (already authorised). */
export interface GateDevice {
  id: number;
  name: string;
  fingerprint: string;
  sessions: string[];
  readOnly: boolean;
}

/** A `gate subscribe` request the policy has allowed. */
export interface Subscription {
  device: GateDevice;
  since: number;
  types: string[] | null;
  /** Writes one NDJSON record (the line ends in "\n"); rejects when the client has gone away. */
  write(line: string): Promise<void>;
  /** Aborted when the client disconnects or the device loses access. */
  signal: AbortSignal;
}

/** What `handoff notify` received, handed to each notification source in turn. */
export interface SourceInput {
  /** The payload's text: stdin, or a JSON argument (Codex); null when none came. */
  text: string | null;
  /** The payload parsed as JSON; undefined when it is not JSON. */
  json: unknown;
  /** Where the payload came from. */
  via: "stdin" | "argument" | null;
  /** `--source NAME`, when given: a source that has that name is asked first. */
  source?: string;
}

/** An event's fields as a notification source reads them from its input. */
export interface SourceEvent {
  type: string;
  title?: string;
  message: string;
  cwd?: string;
  agentSessionId?: string;
  /** Who sent it (`claude-code`, `codex`, `gemini-cli` …). */
  source: string;
}

/**
 * A notification source turns outside input (an agent's hook payload) into an event.
 * Sequential, first answer wins: sources are asked in registration order (first-party
 * first), and one that does not recognise the input answers null.
 */
export interface NotificationSource {
  name: string;
  parse(input: SourceInput): SourceEvent | null | Promise<SourceEvent | null>;
}

/**
 * An event sink receives every stored event (notify events and run notices, lost runs
 * included), in id order, after it is stored, from a delivery process of its own: it
 * never slows the writer. Delivery is at least once: a batch that throws is offered again
 * later with back-off, so a sink de-duplicates by `id`. Parallel: each sink has its own
 * cursor, and one that fails holds back no other.
 */
export interface EventSink {
  name: string;
  deliver(events: EventRecord[], signal: AbortSignal): Promise<void>;
}

/**
 * A plugin: a name and the hooks it fills. Every hook is optional. How each is called:
 *   backends   first-wins by type (two plugins may not register one type)
 *   commands   first-wins by name (likewise)
 *   sources    sequential, first non-null answer wins
 *   sinks      parallel, each on its own cursor (see EventSink)
 *   subscribe  first-wins: the live stream behind the gate's `subscribe` verb
 *   runOrigin  sequential, first non-null answer wins
 *   transports see core/transport.ts (address and access first-wins; checks, setup all)
 *   gateVerbs  first-wins by name: verbs a phone may send beyond the gate's own
 */
export interface Plugin {
  name: string;
  backends?: BackendLauncher[];
  commands?: CommandSpec[];
  sources?: NotificationSource[];
  sinks?: EventSink[];
  /**
   * The live event stream of the gate's `subscribe` verb: streams events to a device
   * until the client goes away. Resolves with the gate's exit code.
   */
  subscribe?: (sub: Subscription) => Promise<number>;
  /**
   * The tab a run is being started from, given handoff's environment. Recorded with the
   * run, so its events reach only the devices allowed that session.
   */
  runOrigin?: (env: Record<string, string>) => Promise<RunTab | null>;
  /** How phones reach this machine and how their access is installed. */
  transports?: Transport[];
  /** Verbs the gate answers beyond its own (first-party plugins only in API 1). */
  gateVerbs?: GateVerb[];
}

/**
 * A command whose module loads only when the command tree is built, so a plugin's entry
 * stays light (the registry loads on every start-up).
 */
export function lazyCommand(
  name: string,
  summary: string,
  load: () => Promise<CommandSpec>,
): CommandSpec {
  return {
    name,
    summary,
    quick: async (args, ctx) => (await (await load()).quick?.(args, ctx)) ?? null,
    register: async (program: Command, ctx: CommandContext) =>
      (await load()).register?.(program, ctx),
  };
}

/** One call of a plugin's gate verb: the device already passed the gate's own checks. */
export interface GateVerbCall {
  device: GateDevice;
  /** Everything after the verb and its space, verbatim (untrusted). */
  args: string;
  now: Date;
  db: Db;
  home: string;
}

/** What the gate prints (one line) and writes as the call's audit result. */
export interface GateVerbReply {
  reply: string;
  result: string;
}

/**
 * A verb a phone may send (`approve <id>`), first-wins by name. The gate has already
 * refused unknown, revoked, pending and expired devices and applied the rate limit; the
 * verb checks its own rights (read-only, session patterns) and validates its arguments.
 */
export interface GateVerb {
  name: string;
  run(call: GateVerbCall): GateVerbReply | Promise<GateVerbReply>;
}

/** The plugin API this handoff speaks: a plugin's manifest names the one it was built for. */
export const PLUGIN_API_VERSION = 1;
/** Every API version this handoff can load (older ones stay loadable while they can). */
export const PLUGIN_API_VERSIONS: readonly number[] = [1];

/** A sink with the plugin that provides it: `<plugin>/<sink>` is its cursor's key. */
export interface RegisteredSink {
  plugin: string;
  sink: EventSink;
  key: string;
}

/** Where a registered (or skipped) plugin comes from, and its manifest (read when asked). */
export interface PluginOrigin {
  name: string;
  origin: "builtin" | "installed";
  enabled: boolean;
  /** The manifest's JSON (first-party ones are embedded in the binary). */
  manifest: () => Promise<unknown>;
  /** Why an enabled plugin was not registered (a clash, an unreadable lock entry). */
  problem?: string;
}

export class Registry {
  readonly plugins: Plugin[] = [];
  private backendsByType = new Map<string, BackendLauncher>();
  private commandsByName = new Map<string, CommandSpec>();
  private origins = new Map<string, PluginOrigin>();

  /** Every plugin known, enabled or not, in registration order (`handoff plugin list`). */
  known(): PluginOrigin[] {
    return [...this.origins.values()];
  }

  /** Records a plugin that is known but not registered (a disabled or broken one). */
  skip(origin: Omit<PluginOrigin, "enabled">): this {
    this.origins.set(origin.name, { ...origin, enabled: false });
    return this;
  }

  use(plugin: Plugin, origin?: Omit<PluginOrigin, "name" | "enabled">): this {
    // One name, one plugin: an installed one cannot pass for a first-party one.
    if (this.plugins.some((p) => p.name === plugin.name) || this.origins.has(plugin.name)) {
      throw new Error(`plugin ${plugin.name}: the name "${plugin.name}" is already registered`);
    }
    for (const b of plugin.backends ?? []) {
      if (this.backendsByType.has(b.type)) {
        throw new Error(
          `plugin ${plugin.name}: backend type "${b.type}" is already registered`,
        );
      }
    }
    for (const c of plugin.commands ?? []) {
      if (this.commandsByName.has(c.name)) {
        throw new Error(
          `plugin ${plugin.name}: command "${c.name}" is already registered`,
        );
      }
    }
    // One name, one transport: a plugin's cannot pass for sshd's or tailscale's.
    for (const t of plugin.transports ?? []) {
      if (this.transports().some((x) => x.name === t.name)) {
        throw new Error(`plugin ${plugin.name}: transport "${t.name}" is already registered`);
      }
    }
    this.plugins.push(plugin);
    if (origin) this.origins.set(plugin.name, { ...origin, name: plugin.name, enabled: true });
    for (const b of plugin.backends ?? []) this.backendsByType.set(b.type, b);
    for (const c of plugin.commands ?? []) this.commandsByName.set(c.name, c);
    return this;
  }

  backend(type: string): BackendLauncher | undefined {
    return this.backendsByType.get(type);
  }

  backendTypes(): string[] {
    return [...this.backendsByType.keys()];
  }

  command(name: string): CommandSpec | undefined {
    return this.commandsByName.get(name);
  }

  commands(): CommandSpec[] {
    return [...this.commandsByName.values()];
  }

  /** Every notification source, in the order they are asked. */
  sources(): NotificationSource[] {
    return this.plugins.flatMap((p) => p.sources ?? []);
  }

  sinks(): RegisteredSink[] {
    return this.plugins.flatMap((p) =>
      (p.sinks ?? []).map((sink) => ({ plugin: p.name, sink, key: `${p.name}/${sink.name}` }))
    );
  }

  /** The plugin that streams the gate's `subscribe` verb, if any. */
  subscriber(): Plugin["subscribe"] {
    return this.plugins.find((p) => p.subscribe)?.subscribe;
  }

  /** The plugin verb the gate answers for `name`, if any. */
  gateVerb(name: string): GateVerb | undefined {
    for (const p of this.plugins) {
      const v = p.gateVerbs?.find((v) => v.name === name);
      if (v) return v;
    }
    return undefined;
  }

  /** Every transport, in registration order. */
  transports(): Transport[] {
    return this.plugins.flatMap((p) => p.transports ?? []);
  }

  /** The first transport that installs device access; null when none does. */
  async access(): Promise<DeviceAccess | null> {
    const t = this.transports().find((t) => t.access);
    return t?.access ? await t.access() : null;
  }

  /**
   * Where a phone dials: the first transport with a host. Without one, the first
   * transport's answer (it says why); null when no transport gives addresses.
   */
  async address(): Promise<DialAddress | null> {
    // Asked all at once (each may take seconds); answers taken in registration order.
    const asked = this.plugins.flatMap((p) =>
      (p.transports ?? []).filter((t) => t.address).map(async (t): Promise<DialAddress> => {
        try {
          return await t.address!();
        } catch (e) {
          // A broken transport plugin costs its own answer, not the pairing. (A plugin's
          // own errors name it already.)
          const error = e as Error;
          const message = escapeControls(
            error.name === "PluginError"
              ? error.message
              : `transport ${t.name} failed: ${error.message}`,
          );
          return {
            host: null,
            from: null,
            name: null,
            detail: message,
            problem: { message, fix: `fix or disable it (handoff plugin disable ${p.name})` },
            warnings: [],
          };
        }
      })
    );
    const answers = await Promise.all(asked);
    return answers.find((a) => a.host) ?? answers[0] ?? null;
  }

  /** The first answer of a plugin's `runOrigin` hook; null when none knows (or all fail). */
  async runOrigin(env: Record<string, string>): Promise<RunTab | null> {
    for (const p of this.plugins) {
      if (!p.runOrigin) continue;
      try {
        const tab = await p.runOrigin(env);
        if (tab) return tab;
      } catch { /* an origin is a scope hint: unknown is the safe answer */ }
    }
    return null;
  }
}

/**
 * Installed (third-party) plugins as registry entries. Each is built from its manifest
 * alone, so listing backends or commands costs no plugin code; the code is loaded the
 * first time one of its hooks is called, after its files are checked against what the
 * user consented to:
 *   exec    the entry program is started once per handoff process (JSON-RPC on stdio)
 *   module  the entry module is imported by its absolute real path and handed the host API
 */
import { err, errLine, isVisibleText, out } from "../output.ts";
import { io } from "../io.ts";
import { join, toFileUrl } from "../path.ts";
import { checkRunEvents, type RunEvent } from "../events.ts";
import type { EventRecord } from "../event_log.ts";
import type {
  BackendLauncher,
  CommandSpec,
  EventSink,
  LaunchSpec,
  LaunchTask,
  NotificationSource,
  Plugin,
  SourceEvent,
  SourceInput,
  StreamParser,
} from "../registry.ts";
import { PLUGIN_API_VERSION } from "../registry.ts";
import { VERSION } from "../version.ts";
import type { LockEntry } from "./lock.ts";
import {
  HANDSHAKE_TIMEOUT_MS,
  PluginError,
  type PluginProcess,
  REQUEST_TIMEOUT_MS,
} from "./rpc.ts";
import { envMs } from "../duration.ts";
import { deadline } from "../deadline.ts";
import type { BackendDecl } from "./manifest.ts";
import {
  type Check,
  type CheckStatus,
  type DialAddress,
  isDialHost,
  isFromPatterns,
  type Transport,
} from "../transport.ts";

/** What a module plugin's `activate(host)` is handed. */
export interface HostApi {
  apiVersion: number;
  handoffVersion: string;
  /** The plugin's own name. */
  plugin: string;
  /** Its settings: `plugins: { <name>: {…} }` in config.yaml, checked against its manifest. */
  config: Record<string, unknown>;
  /** A private folder for its state (created 0700 when first asked for). */
  dataDir: string;
  /** A line on handoff's stderr, prefixed with the plugin's name. */
  log(message: string): void;
}

export interface HostOptions {
  home: string;
  /** The plugin's settings from config.yaml (loaded only when its code is). */
  settings(entry: LockEntry): Promise<Record<string, unknown>>;
}

interface Loaded {
  /** exec: the running process. */
  proc?: PluginProcess;
  /** module: what activate() returned. */
  plugin?: Plugin;
}

/**
 * Refuses a copied plugin whose files differ from the ones consented to, and a linked one
 * that someone else could change.
 */
async function checkConsent(entry: LockEntry): Promise<void> {
  if (entry.linked) {
    // The user's own working copy: not hashed, but no one else may be able to change it.
    const { writableByOthers } = await import("./trust.ts");
    const loose = writableByOthers(entry.path, entry.manifest.entry);
    if (!loose) return;
    throw new PluginError(
      entry.manifest.name,
      `${loose}, so another user could change the code handoff runs as you: refused ` +
        "(chmod go-w that path)",
    );
  }
  const { changedSinceConsent } = await import("./digest.ts");
  let changed: string[] | null;
  try {
    changed = changedSinceConsent(entry);
  } catch (e) {
    throw new PluginError(entry.manifest.name, `its files cannot be read: ${(e as Error).message}`);
  }
  if (changed === null) return;
  throw new PluginError(
    entry.manifest.name,
    `its files changed since you agreed to run it (${changed.slice(0, 3).join(", ")}${
      changed.length > 3 ? ", …" : ""
    }): refused. \`handoff plugin add ${entry.source} --yes\` installs that source's files ` +
      `again (replacing these), or \`handoff plugin remove ${entry.manifest.name}\` removes it`,
  );
}

function hostApi(entry: LockEntry, home: string, config: Record<string, unknown>): HostApi {
  const name = entry.manifest.name;
  return {
    apiVersion: PLUGIN_API_VERSION,
    handoffVersion: VERSION,
    plugin: name,
    config,
    get dataDir() {
      const dir = join(home, "plugins", ".data", name);
      Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
      return dir;
    },
    log(message: string) {
      errLine(`plugin ${name}: ${message}`);
    },
  };
}

/** The manifest's promise, kept by what the plugin's code registered (module plugins). */
function checkModulePlugin(entry: LockEntry, plugin: unknown): Plugin {
  const name = entry.manifest.name;
  if (!plugin || typeof plugin !== "object") {
    throw new PluginError(name, "activate() returned no plugin object");
  }
  const p = plugin as Plugin;
  if (p.name !== name) {
    throw new PluginError(name, `its code says its name is ${JSON.stringify(p.name)}`);
  }
  const m = entry.manifest.provides;
  const missing = [
    ...m.backends.filter((b) => !p.backends?.some((x) => x.type === b.type)).map((b) =>
      `backend ${b.type}`
    ),
    ...m.commands.filter((c) => !p.commands?.some((x) => x.name === c.name)).map((c) =>
      `command ${c.name}`
    ),
    ...m.sources.filter((s) => !p.sources?.some((x) => x.name === s)).map((s) => `source ${s}`),
    ...m.sinks.filter((s) => !p.sinks?.some((x) => x.name === s)).map((s) => `sink ${s}`),
    ...m.transports.filter((t) => !p.transports?.some((x) => x.name === t)).map((t) =>
      `transport ${t}`
    ),
  ];
  if (missing.length) {
    throw new PluginError(
      name,
      `its manifest promises ${missing.join(", ")}, which its code lacks`,
    );
  }
  return p;
}

/** A registry entry for one installed plugin; its code loads on the first hook call. */
export function installedPlugin(entry: LockEntry, opts: HostOptions): Plugin {
  const m = entry.manifest;
  const name = m.name;
  let loading: Promise<Loaded> | null = null;
  const load = (): Promise<Loaded> => {
    loading ??= (async () => {
      await checkConsent(entry);
      const config = await opts.settings(entry);
      const entryPath = join(entry.path, m.entry);
      if (m.kind === "exec") {
        const { PluginProcess } = await import("./rpc.ts");
        const proc = await PluginProcess.start({
          name,
          program: entryPath,
          cwd: entry.path,
          handoffVersion: VERSION,
          initialize: { config, dataDir: hostApi(entry, opts.home, config).dataDir },
        });
        return { proc };
      }
      let real: string;
      try {
        real = Deno.realPathSync(entryPath);
      } catch (e) {
        throw new PluginError(name, `its module ${entryPath} is missing: ${(e as Error).message}`);
      }
      // A module that never settles (a top-level await, a hung activate()) must not hang
      // the command that needed it: it has the handshake's time, as an exec plugin has.
      const limit = envMs("HANDOFF_PLUGIN_HANDSHAKE_MS", HANDSHAKE_TIMEOUT_MS);
      const mod: Record<string, unknown> = await within(
        name,
        { what: "loading its module", failed: "its module failed to load" },
        limit,
        () => import(toFileUrl(real).href),
      );
      const activate = (mod.activate ?? mod.default) as ((h: HostApi) => unknown) | undefined;
      if (typeof activate !== "function") {
        throw new PluginError(name, "its module exports no activate(host) function");
      }
      const plugin = await within(
        name,
        { what: "activate()" },
        limit,
        () => activate(hostApi(entry, opts.home, config)),
      );
      try {
        return { plugin: checkModulePlugin(entry, plugin) };
      } catch (e) {
        if (e instanceof PluginError) throw e;
        throw new PluginError(name, `what activate() returned cannot be read: ${thrown(e)}`);
      }
    })();
    // A failed load is not cached: the next call tries again (a sink's retry, say).
    loading.catch(() => loading = null);
    return loading;
  };

  /**
   * Calls a module's hook, or sends the request to the process: either way within
   * `timeoutMs` (default: the request limit).
   */
  const call = async <T>(
    method: string,
    params: Record<string, unknown>,
    viaModule: (p: Plugin) => T | Promise<T>,
    timeoutMs = envMs("HANDOFF_PLUGIN_TIMEOUT_MS", REQUEST_TIMEOUT_MS),
  ): Promise<T> => {
    let loaded = await load();
    if (loaded.proc?.failed) { // it crashed or hung before: a fresh process gets this call
      loading = null;
      loaded = await load();
    }
    if (loaded.proc) return await loaded.proc.request(method, params, timeoutMs) as T;
    return await within(name, { what: method }, timeoutMs, () => viaModule(loaded.plugin!));
  };

  const backend = (decl: BackendDecl): BackendLauncher => {
    const mod = (p: Plugin) => p.backends!.find((b) => b.type === decl.type)!;
    const spec = async (
      method: string,
      params: Record<string, unknown>,
      f: (b: BackendLauncher) => LaunchSpec | Promise<LaunchSpec>,
    ) =>
      checkLaunchSpec(name, await call(method, { type: decl.type, ...params }, (p) => f(mod(p))));
    return {
      ...decl,
      launch: (task: LaunchTask, prompt: string) =>
        spec("backend/launch", { task, prompt }, (b) => b.launch(task, prompt)),
      interactive: (task: LaunchTask) =>
        spec("backend/interactive", { task }, (b) => b.interactive(task)),
      createParser(): StreamParser {
        const parser = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
        let local: StreamParser | null = null;
        let warned = false;
        return {
          async push(line: string): Promise<RunEvent[]> {
            const raw = await call("backend/parse", { type: decl.type, parser, line }, (p) => {
              local ??= mod(p).createParser();
              return local.push(line);
            });
            const value = raw && typeof raw === "object" && !Array.isArray(raw)
              ? (raw as { events?: unknown }).events
              : raw;
            const { events, problem } = checkRunEvents(value);
            if (problem && !warned) {
              warned = true;
              errLine(`handoff: plugin ${name}: ${problem}`);
            }
            return events;
          },
        };
      },
      async diagnose(stderrTail: string, task: LaunchTask) {
        try {
          const hint = await call(
            "backend/diagnose",
            { type: decl.type, stderrTail, task },
            (p) => mod(p).diagnose?.(stderrTail, task),
          );
          const text = hint && typeof hint === "object" ? (hint as { hint?: unknown }).hint : hint;
          return typeof text === "string" && text !== "" ? text : undefined;
        } catch {
          return undefined; // a hint is a nicety: a plugin without one says nothing
        }
      },
    };
  };

  const command = (c: { name: string; summary: string }): CommandSpec => ({
    name: c.name,
    summary: `${c.summary} (plugin ${name})`,
    run: (args) => runCommand(c.name, args),
  });

  const runCommand = async (command: string, args: string[]): Promise<number> => {
    const loaded = await load();
    if (loaded.proc) {
      loaded.proc.onNotification = (method, params) => {
        if (method !== "output" || typeof params.text !== "string") return;
        (params.stream === "stderr" ? err : out)(params.text);
      };
      // A command runs as long as its user wants (a day at most); Ctrl-C or SIGTERM stops
      // the plugin with handoff, as it would a program of handoff's own.
      const proc = loaded.proc;
      const stop = async () => {
        await proc.terminate();
        Deno.exit(130);
      };
      const handlers = (["SIGINT", "SIGTERM"] as const).map((sig) => [sig, stop] as const);
      for (const [sig, h] of handlers) Deno.addSignalListener(sig, h);
      let r: { exitCode?: unknown } | null;
      try {
        r = await proc.request("command/run", {
          name: command,
          args,
          cwd: Deno.cwd(),
          stdoutIsTerminal: io().stdoutIsTerminal(),
        }, COMMAND_TIMEOUT_MS) as { exitCode?: unknown } | null;
      } finally {
        for (const [sig, h] of handlers) Deno.removeSignalListener(sig, h);
      }
      return exitCode(r?.exitCode);
    }
    const spec = loaded.plugin!.commands!.find((x) => x.name === command)!;
    if (!spec.run) throw new PluginError(name, `command ${command} has no run(args) function`);
    const run = spec.run;
    return exitCode(
      await within(name, { what: `command ${command}` }, COMMAND_TIMEOUT_MS, () => run(args)),
    );
  };

  const source = (sourceName: string): NotificationSource => ({
    name: sourceName,
    async parse(input: SourceInput): Promise<SourceEvent | null> {
      const r = await call(
        "source/parse",
        { name: sourceName, input },
        (p) => p.sources!.find((s) => s.name === sourceName)!.parse(input),
      );
      const ev = r && typeof r === "object" && "event" in (r as object)
        ? (r as unknown as { event: unknown }).event
        : r;
      return checkSourceEvent(name, ev);
    },
  });

  const sink = (sinkName: string): EventSink => ({
    name: sinkName,
    async deliver(events: EventRecord[], signal: AbortSignal): Promise<void> {
      await call(
        "sink/deliver",
        { name: sinkName, events },
        (p) => p.sinks!.find((s) => s.name === sinkName)!.deliver(events, signal),
      );
    },
  });

  // A third-party transport gives the address for the QR code and its doctor checks;
  // installing device keys (`access`) stays with handoff's own sshd plugin in API 1.
  // `pair`, `status` and `doctor` wait for it: a transport has seconds, not the 30 s of
  // other requests.
  const transportTimeout = () => envMs("HANDOFF_PLUGIN_TIMEOUT_MS", TRANSPORT_TIMEOUT_MS);
  const transport = (transportName: string): Transport => {
    const mod = (p: Plugin) => p.transports!.find((t) => t.name === transportName)!;
    return {
      name: transportName,
      async address() {
        const r = await call(
          "transport/address",
          { name: transportName },
          (p) => mod(p).address?.() ?? null,
          transportTimeout(),
        );
        return checkDialAddress(name, transportName, r);
      },
      async checks(o) {
        const r = await call(
          "transport/checks",
          { name: transportName, brief: o.brief },
          (p) => mod(p).checks?.(o) ?? [],
          transportTimeout(),
        );
        return checkChecks(name, r);
      },
    };
  };

  return {
    name,
    backends: m.provides.backends.map(backend),
    commands: m.provides.commands.map(command),
    sources: m.provides.sources.map(source),
    sinks: m.provides.sinks.map(sink),
    transports: m.provides.transports.map(transport),
  };
}

/** A command's answer as an exit status: an integer 0–255, anything else 1. */
function exitCode(code: unknown): number {
  return typeof code === "number" && Number.isInteger(code) && code >= 0 && code < 256 ? code : 1;
}

/** What a plugin threw, as text: it may throw anything (null, a string, a Proxy). */
function thrown(e: unknown): string {
  try {
    return e instanceof Error ? e.message : String(e);
  } catch {
    return "something that is not an error";
  }
}

/**
 * A module's code, called and awaited within `ms`: what it throws, or its silence, becomes
 * a PluginError naming the plugin and `what` (`failed` words the throw, "<what> failed" by
 * default).
 */
async function within<T>(
  plugin: string,
  o: { what: string; failed?: string },
  ms: number,
  code: () => T | Promise<T>,
): Promise<T> {
  // Kept alive: a module's promise that never settles may hold nothing else open.
  const limit = deadline(ms, { keepAlive: true });
  try {
    return await Promise.race([
      Promise.resolve().then(code),
      limit.expired.then(() => {
        throw new PluginError(plugin, `${o.what}: no answer within ${ms} ms`);
      }),
    ]);
  } catch (e) {
    if (e instanceof PluginError) throw e;
    throw new PluginError(plugin, `${o.failed ?? `${o.what} failed`}: ${thrown(e)}`);
  } finally {
    limit.cancel();
  }
}

/** A plugin's command, like any command, may run long: a day bounds a forgotten one. */
const COMMAND_TIMEOUT_MS = 24 * 3600_000;

/** How long a transport's address or checks may take. */
const TRANSPORT_TIMEOUT_MS = 5_000;

/** Text of at most `max` characters with nothing that can pass for other text on a terminal. */
function visible(v: unknown, max: number): v is string {
  return typeof v === "string" && v.length <= max && isVisibleText(v);
}

/** A transport's answer to `transport/address`: null means it has no address now. */
function checkDialAddress(plugin: string, transport: string, v: unknown): DialAddress {
  if (v === null || v === undefined) {
    return { host: null, from: null, name: null, detail: `${transport}: no address`, warnings: [] };
  }
  const a = v as Partial<DialAddress>;
  const nullable = (x: unknown, max: number) => x === null || x === undefined || visible(x, max);
  const ok = typeof a === "object" &&
    (a.host === null || a.host === undefined ||
      (typeof a.host === "string" && isDialHost(a.host))) &&
    (a.from === null || a.from === undefined ||
      (typeof a.from === "string" && isFromPatterns(a.from))) &&
    nullable(a.name, 253) && visible(a.detail ?? "", 300) &&
    (a.warnings === undefined ||
      (Array.isArray(a.warnings) && a.warnings.length <= 10 &&
        a.warnings.every((w) => visible(w, 500)))) &&
    (a.problem === undefined ||
      (visible(a.problem?.message, 300) && visible(a.problem?.fix, 300)));
  if (!ok) {
    throw new PluginError(
      plugin,
      `its address answer (transport ${transport}) is not {host, from, name, detail, ` +
        "warnings} (a host name or IP, sshd from= patterns, printable text)",
    );
  }
  return {
    host: a.host ?? null,
    from: a.from ?? null,
    name: a.name ?? null,
    detail: a.detail || `${transport}: ${a.host ?? "no address"}`,
    warnings: a.warnings ?? [],
    ...(a.problem ? { problem: a.problem } : {}),
  };
}

const CHECK_STATUSES: readonly CheckStatus[] = ["ok", "warn", "fail", "info"];

/** A transport's answer to `transport/checks`: each check is shown under the plugin's name. */
function checkChecks(plugin: string, v: unknown): Check[] {
  const list = v ?? [];
  const ok = Array.isArray(list) && list.length <= 20 &&
    list.every((c) =>
      c && typeof c === "object" && typeof c.id === "string" &&
      /^[a-z0-9][a-z0-9_-]{0,39}$/.test(c.id) &&
      visible(c.label, 80) && CHECK_STATUSES.includes(c.status) && visible(c.detail, 500) &&
      (c.fix === undefined || visible(c.fix, 300))
    );
  if (!ok) {
    throw new PluginError(
      plugin,
      "its checks answer is not a list of {id, label, status: ok|warn|fail|info, detail, fix?}",
    );
  }
  // Named after the plugin, so none can pass for one of handoff's own checks.
  return (list as Check[]).map((c) => ({
    ...c,
    id: `${plugin}/${c.id}`,
    label: `${plugin}: ${c.label}`,
  }));
}

function checkLaunchSpec(plugin: string, v: unknown): LaunchSpec {
  const s = v as Partial<LaunchSpec> | null;
  const strings = (a: unknown) => Array.isArray(a) && a.every((x) => typeof x === "string");
  if (
    !s || typeof s !== "object" || !strings(s.argv) || (s.argv as string[]).length === 0 ||
    typeof s.cwd !== "string" || !(s.stdin === null || typeof s.stdin === "string") ||
    !s.env || typeof s.env !== "object" ||
    !Object.values(s.env).every((x) => typeof x === "string")
  ) {
    throw new PluginError(
      plugin,
      "its launch answer is not {argv: [program, …], env: {NAME: value}, cwd, stdin}",
    );
  }
  return s as LaunchSpec;
}

function checkSourceEvent(plugin: string, v: unknown): SourceEvent | null {
  if (v === null || v === undefined) return null;
  const e = v as Partial<SourceEvent>;
  const optional = (x: unknown) => x === undefined || typeof x === "string";
  if (
    typeof e !== "object" || typeof e.type !== "string" || typeof e.message !== "string" ||
    typeof e.source !== "string" || !optional(e.title) || !optional(e.cwd) ||
    !optional(e.agentSessionId)
  ) {
    throw new PluginError(plugin, "its source answer is not {type, message, source, …} or null");
  }
  return e as SourceEvent;
}

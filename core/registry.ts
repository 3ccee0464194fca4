/**
 * The hook points. The core knows no backend, transport or notification channel by
 * name: first-party plugins (claude, codex, tmux, gate, …) register here exactly as a
 * third-party plugin would. A plugin is a plain object with optional named hooks.
 */
import type { Command } from "@commander-js/extra-typings";
import type { RunEvent } from "./events.ts";

/** What a backend launcher is asked to start. */
export interface LaunchTask {
  /** The CLI to run (the backend's `command`, default the launcher's `defaultCommand`). */
  command: string;
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

export interface StreamParser {
  /** One line of the backend's stdout (without the newline) → normalized events. */
  push(line: string): RunEvent[];
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
  /** True when usage events count the whole conversation, not just this run (codex). */
  usageIsThreadTotal?: boolean;
  /** Non-interactive run (fresh or resumed); the prompt goes to stdin. */
  launch(task: LaunchTask, prompt: string): LaunchSpec;
  /** The interactive CLI opened on an existing conversation (stdio inherited). */
  interactive(task: LaunchTask): LaunchSpec;
  createParser(): StreamParser;
  /** True when the cost the CLI reports is an estimate (e.g. list prices for another endpoint). */
  costIsEstimate?(task: LaunchTask): boolean;
  /** A hint for a failure, from the tail of the CLI's stderr (e.g. root without IS_SANDBOX). */
  diagnose?(stderrTail: string, task: LaunchTask): string | undefined;
}

export interface CommandContext {
  registry: Registry;
}

/**
 * A subcommand: `register` adds it to the commander tree. (Commands on a hot path, which
 * must not pay for the plugin list or commander, are listed in plugins/hot.ts.)
 */
export interface CommandSpec {
  name: string;
  summary: string;
  register?: (program: Command, ctx: CommandContext) => void | Promise<void>;
}

/** The terminal tab a run was started from (a tmux session and window). */
export interface RunTab {
  session: string;
  window: number | null;
}

/** A finished run as the run engine reports it to listeners. */
export interface RunEnded {
  runId: string;
  backend: string;
  status: string;
  exitCode: number | null;
  resultPath: string;
  resultHead: string;
  cwd: string;
  /** Where it was started from; null when that is not known (not in tmux). */
  tab: RunTab | null;
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

export interface Plugin {
  name: string;
  backends?: BackendLauncher[];
  commands?: CommandSpec[];
  /**
   * Event sink for the gate's `subscribe` verb: streams events to a device until the
   * client goes away. Resolves with the gate's exit code.
   */
  subscribe?: (sub: Subscription) => Promise<number>;
  /** Called by the run engine when a run ends or shows a permission denial. */
  onRunEvent?: (event: RunNotice) => void | Promise<void>;
  /**
   * The tab a run is being started from, given handoff's environment (first plugin to
   * answer wins). Recorded with the run, so its events reach only the devices allowed
   * that session.
   */
  runOrigin?: (env: Record<string, string>) => Promise<RunTab | null>;
}

export type RunNotice =
  | { kind: "ended"; run: RunEnded }
  | {
    kind: "permission_denied";
    runId: string;
    backend: string;
    cwd: string;
    detail: string;
    tab: RunTab | null;
  };

export class Registry {
  readonly plugins: Plugin[] = [];
  private backendsByType = new Map<string, BackendLauncher>();
  private commandsByName = new Map<string, CommandSpec>();

  use(plugin: Plugin): this {
    this.plugins.push(plugin);
    for (const b of plugin.backends ?? []) {
      if (this.backendsByType.has(b.type)) {
        throw new Error(
          `plugin ${plugin.name}: backend type "${b.type}" is already registered`,
        );
      }
      this.backendsByType.set(b.type, b);
    }
    for (const c of plugin.commands ?? []) {
      if (this.commandsByName.has(c.name)) {
        throw new Error(
          `plugin ${plugin.name}: command "${c.name}" is already registered`,
        );
      }
      this.commandsByName.set(c.name, c);
    }
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

  /** Tells every plugin about a run notice; a failing plugin never fails the run. */
  async notify(notice: RunNotice): Promise<void> {
    for (const p of this.plugins) {
      if (!p.onRunEvent) continue;
      try {
        await p.onRunEvent(notice);
      } catch (e) {
        console.error(
          `handoff: plugin ${p.name} failed on a run event: ${(e as Error).message}`,
        );
      }
    }
  }
}

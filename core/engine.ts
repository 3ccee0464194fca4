/**
 * The run engine: validate everything, record the run, start the backend CLI in its own
 * process group, turn its stream into progress lines and a result file, and finish the
 * ledger row whatever happens (success, failure, Ctrl-C, SIGTERM, `handoff kill`).
 *
 * Protocol (skills rely on it, byte for byte):
 *   stdout  RUN_ID=<id> at the start; the final answer at the end (success only)
 *   stderr  progress lines `HH:MM:SS text`; `RESULT=<abs .result.md>` as the LAST line
 */
import { lines } from "./lines.ts";
import { resolve } from "./path.ts";
import {
  type BackendConfig,
  checkToken,
  findBackend,
  loadConfig,
  resolveBackendEnv,
  resolveValue,
} from "./config.ts";
import { EXIT, usageError } from "./errors.ts";
import { emptyUsage, type RunEvent, subtractUsage, type Usage } from "./events.ts";
import {
  finishRun,
  getRun,
  insertRun,
  insertRunWithId,
  promptTitle,
  type RunRow,
  setChild,
  setCostEstimated,
  setOrigin,
  setSession,
  startReserved,
} from "./ledger.ts";
import { clock, err, errLine, formatDuration, out } from "./output.ts";
import { ensurePrivateDir, paths, type RunFiles, runFiles } from "./paths.ts";
import {
  inNewSession,
  isSameProcess,
  killPid,
  processStartTime,
  processTree,
  signalTree,
  which,
} from "./proc.ts";
import type { BackendLauncher, LaunchTask, Registry } from "./registry.ts";
import { appendEvent, type RunNotice, runNoticeEvent } from "./event_log.ts";
import { kickDelivery } from "./delivery_kick.ts";
import { type Db, openDb } from "./store.ts";
import { heartbeatText, RunTally, type Verdict, verdict } from "./run_tally.ts";
import { runToJson } from "./run_view.ts";

export interface RunRequest {
  registry: Registry;
  prompt: string;
  cwd: string;
  backendName?: string;
  pro?: boolean;
  model?: string;
  slug?: string;
  /** Continue this run's conversation (a new run linked to it). */
  parent?: RunRow;
  /** Take over an id made by `handoff new`: a reserved row, or a bare id from an older handoff. */
  adopt?: { row: RunRow | null; runId: string };
  /** Stop the backend after this long (wall clock); the run ends as an error, exit 124. */
  timeoutMs?: number;
  verbose?: boolean;
  /** The prompt's bytes as received (file or stdin): prompt.md keeps them exactly. */
  promptBytes?: Uint8Array | null;
  /** Invalid UTF-8 sequences in those bytes (the backend gets U+FFFD for each). */
  invalidBytes?: number;
  /** The file the prompt was read from, named in the start line. */
  promptFile?: string | null;
  /** stdout: one JSON document (the run and its answer) at the end, no RUN_ID= line. */
  json?: boolean;
}

/** Everything checked before a row exists, so a bad request leaves nothing behind. */
interface Plan {
  backend: BackendConfig;
  launcher: BackendLauncher;
  model: string;
  command: string;
  cwd: string;
  systemPrompt: string;
  configFile: string;
}

const HEARTBEAT_MS = 60_000;
const KILL_GRACE_MS = 5_000;

async function plan(req: RunRequest): Promise<Plan> {
  const { registry } = req;
  const config = await loadConfig((t) => registry.backend(t));
  for (const w of config.warnings) errLine(`handoff: warning: ${w}`);
  const wanted = req.backendName ?? req.parent?.backend ??
    req.adopt?.row?.backend;
  const backend = findBackend(config, wanted);
  const launcher = registry.backend(backend.type)!;
  if (req.parent && req.parent.backend_type !== backend.type) {
    throw usageError(
      `run ${req.parent.run_id} is a ${req.parent.backend_type} conversation (backend "${req.parent.backend}"); it cannot continue on "${backend.name}" (type ${backend.type})`,
      `start a new conversation instead: handoff run --backend ${backend.name} …`,
    );
  }
  if (
    req.adopt?.row && req.backendName &&
    req.adopt.row.backend !== req.backendName
  ) {
    throw usageError(
      `run ${req.adopt.runId} was reserved for backend "${req.adopt.row.backend}", not "${req.backendName}"`,
      `drop --backend, or reserve a new id with: handoff new --backend ${req.backendName}`,
    );
  }
  if (req.model !== undefined && req.model.trim() === "") {
    throw usageError(
      "-m/--model needs a model name (it was empty)",
      "drop -m to use the backend's",
    );
  }
  const modelTemplate = req.model ??
    (req.pro ? backend.proModel ?? backend.model : backend.model);
  const model = resolveValue(backend, "model", modelTemplate);
  const cwd = resolve(req.cwd);
  let cwdStat: Deno.FileInfo | null = null;
  try {
    cwdStat = Deno.statSync(cwd);
  } catch { /* below */ }
  if (!cwdStat) throw usageError(`working directory not found: ${cwd}`);
  if (!cwdStat.isDirectory) {
    throw usageError(`working directory is not a directory: ${cwd}`, "-C takes a directory");
  }
  if (
    req.parent && launcher.resumeNeedsCwd && resolve(req.parent.cwd) !== cwd
  ) {
    throw usageError(
      `${backend.type} keeps conversations per directory: run ${req.parent.run_id} can only continue in ${req.parent.cwd}`,
      "drop --cwd",
    );
  }
  // Resolve the env once now so a missing variable or placeholder token fails early.
  const env = resolveBackendEnv(backend, { model, cwd, runId: "" });
  checkToken(backend, env, config.file);
  const commandName = resolveValue(
    backend,
    "command",
    backend.command ?? launcher.defaultCommand,
  );
  const pathEnv = env.PATH ?? Deno.env.get("PATH") ?? "";
  const command = which(commandName, pathEnv);
  if (!command) {
    throw usageError(
      `backend "${backend.name}": ${commandName} ${
        commandName.includes("/") ? "not found (or not executable)" : "not found on PATH"
      }`,
      `install it (${launcher.installHint}) or set backends.${backend.name}.command in ${config.file}`,
    );
  }
  if (req.parent && !req.parent.session_id) {
    throw usageError(
      `run ${req.parent.run_id} has no conversation to continue (it ended before the backend assigned one)`,
      "start a new run instead",
    );
  }
  if (req.parent) {
    await launcher.checkResume?.({ command, args: backend.args, backend: backend.name });
  }
  return {
    backend,
    launcher,
    model,
    command,
    cwd,
    systemPrompt: backend.systemPrompt ?? config.systemPrompt,
    configFile: config.file,
  };
}

function allocate(
  db: Db,
  req: RunRequest,
  p: Plan,
  sessionId: string | null,
): RunRow {
  const owner = { ownerPid: Deno.pid, ownerStart: processStartTime(Deno.pid) };
  const title = promptTitle(req.prompt);
  if (req.adopt?.row) {
    const row = startReserved(db, req.adopt.runId, {
      model: p.model,
      pro: !!req.pro,
      permissionMode: p.backend.permissionMode,
      cwd: p.cwd,
      title,
      sessionId,
      parentRunId: req.parent?.run_id ?? null,
      ...owner,
    });
    if (!row) {
      throw usageError(
        `run ${req.adopt.runId} was already started: duplicate dispatch rejected`,
      );
    }
    return row;
  }
  const fields = {
    backend: p.backend.name,
    backendType: p.backend.type,
    slug: req.slug ?? req.parent?.slug ?? "task",
    cwd: p.cwd,
    title,
    status: "running" as const,
    model: p.model,
    pro: !!req.pro,
    permissionMode: p.backend.permissionMode,
    sessionId,
    parentRunId: req.parent?.run_id ?? null,
    ...owner,
  };
  if (req.adopt) {
    if (getRun(db, req.adopt.runId)) {
      throw usageError(
        `run ${req.adopt.runId} already exists: duplicate dispatch rejected`,
      );
    }
    return insertRunWithId(db, req.adopt.runId, fields);
  }
  return insertRun(db, fields);
}

function openTruncated(path: string): Deno.FsFile {
  return Deno.openSync(path, {
    write: true,
    create: true,
    truncate: true,
    mode: 0o600,
  });
}

/** Files a run could not write to (a full disk): noted once, the run goes on. */
const unwritable = new Set<Deno.FsFile>();

/**
 * Appends to one of the run's logs. A failing write (no space left) must not end the
 * run's supervision: the backend goes on, the ledger and RESULT= still get their end.
 */
function writeText(f: Deno.FsFile, text: string): void {
  if (unwritable.has(f)) return;
  const bytes = new TextEncoder().encode(text);
  try {
    let off = 0;
    while (off < bytes.length) off += f.writeSync(bytes.subarray(off));
  } catch (e) {
    unwritable.add(f);
    errLine(`handoff run: a run log could not be written (${(e as Error).message}): going on`);
  }
}

export async function runTask(req: RunRequest): Promise<number> {
  // From the first moment to the last: a hang-up never ends a run's supervisor.
  const ignoreHangup = () => {};
  Deno.addSignalListener("SIGHUP", ignoreHangup);
  try {
    return await runTaskSupervised(req);
  } finally {
    Deno.removeSignalListener("SIGHUP", ignoreHangup);
  }
}

async function runTaskSupervised(req: RunRequest): Promise<number> {
  const p = await plan(req);
  const dirs = paths();
  ensurePrivateDir(dirs.tasks);
  ensurePrivateDir(dirs.runs);
  const db = openDb(dirs.db);
  try {
    const newSession = !req.parent && p.launcher.choosesSessionId ? crypto.randomUUID() : null;
    const row = allocate(db, req, p, req.parent?.session_id ?? newSession);
    return await supervise(db, req, p, row, newSession);
  } finally {
    db.close();
  }
}

/** The run's open files: readable progress, the raw stream, the backend's stderr. */
class RunLogs {
  readonly files: RunFiles;
  readonly out: Deno.FsFile;
  readonly raw: Deno.FsFile;
  readonly stderr: Deno.FsFile;
  constructor(readonly runId: string) {
    this.files = runFiles(runId);
    this.out = openTruncated(this.files.out);
    this.raw = openTruncated(this.files.raw);
    this.stderr = openTruncated(this.files.stderr);
  }
  close(): void {
    for (const f of [this.out, this.raw, this.stderr]) f.close();
  }
}

async function supervise(
  db: Db,
  req: RunRequest,
  p: Plan,
  row: RunRow,
  newSession: string | null,
): Promise<number> {
  const runId = row.run_id;
  const prompt = runFiles(runId).prompt;
  if (!req.adopt || (await readOrNull(prompt)) !== req.prompt) {
    if (req.promptBytes) await Deno.writeFile(prompt, req.promptBytes, { mode: 0o600 });
    else await Deno.writeTextFile(prompt, req.prompt, { mode: 0o600 });
  }
  const logs = new RunLogs(runId);
  const task: LaunchTask = {
    command: p.command,
    args: p.backend.args,
    mode: p.backend.mode,
    model: p.model,
    cwd: p.cwd,
    resumeSession: req.parent?.session_id ?? undefined,
    newSession: newSession ?? undefined,
    permissionMode: p.backend.permissionMode,
    systemPrompt: p.systemPrompt,
    env: resolveBackendEnv(p.backend, { model: p.model, cwd: p.cwd, runId }),
    inheritedEnv: Deno.env.toObject(),
  };
  const spec = await p.launcher.launch(task, req.prompt);
  if (await p.launcher.costIsEstimate?.(task)) setCostEstimated(db, runId);
  // Tells the backend's own hooks (`handoff notify`) which run they are in: the engine
  // reports the run's end itself, so a Stop hook in this headless session stays quiet.
  spec.env.HANDOFF_RUN_ID = runId;

  // With --json, stdout is one JSON document at the end instead of the line protocol.
  if (!req.json) out(`RUN_ID=${runId}\n`);
  errLine(
    `${clock()} ${req.parent ? "resume" : "start"}\tSESSION=${
      row.session_id ?? "pending"
    }\tBACKEND=${p.backend.name}\tMODEL=${p.model}${
      req.promptFile ? `\tPROMPT_FILE=${req.promptFile}` : ""
    }`,
  );
  if (req.verbose) errLine(`CMD: ${spec.argv.map(shellQuote).join(" ")}`);
  if (req.invalidBytes) {
    errLine(
      `${clock()} the prompt is not valid UTF-8: ${prompt} keeps its bytes as given; the ` +
        `backend gets ${req.invalidBytes} invalid sequence(s) as U+FFFD`,
    );
  }

  let lastProgressAt = Date.now();
  /** Set once RESULT= is printed: the protocol's last stderr line stays last. */
  let ended = false;
  const progress = (lines: string[]) => {
    if (ended) return;
    for (const text of lines) {
      const line = `${clock()} ${text}\n`;
      err(line);
      writeText(logs.out, line);
      lastProgressAt = Date.now();
    }
  };
  const tally = new RunTally(row.session_id);

  const origin = req.registry.runOrigin(Deno.env.toObject());
  // A driven CLI gets its prompt from its driver, not on stdin.
  const promptOnStdin = p.launcher.drive ? null : spec.stdin;
  let child: Deno.ChildProcess;
  try {
    const start = inNewSession(spec.argv);
    child = new Deno.Command(start.argv[0], {
      args: start.argv.slice(1),
      cwd: spec.cwd,
      env: spec.env,
      clearEnv: true,
      stdin: promptOnStdin !== null || p.launcher.drive ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
      // Its own session and process group: `kill` stops the whole tree, and a Ctrl-C
      // in the caller's terminal reaches the backend only through us.
      detached: start.detached,
    }).spawn();
  } catch (e) {
    const diagnostic = [`could not start ${spec.argv[0]}: ${(e as Error).message}`];
    const code = await finish(db, req, p, logs, tally, null, {
      status: "error",
      answer: null,
      diagnostic,
      partial: null,
    });
    logs.close();
    return code;
  }
  // The prompt first: a CLI that waits only so long for stdin (claude: 3 s) must not wait
  // on our bookkeeping below, whose SQLite writes block this thread while the database is
  // busy. Bounded: a backend that never reads its stdin must still be recorded and guarded.
  const promptWritten = promptOnStdin === null
    ? Promise.resolve()
    : writePrompt(child, promptOnStdin);
  let bound: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([promptWritten, new Promise((r) => bound = setTimeout(r, 2000))]);
  clearTimeout(bound);
  setChild(db, runId, child.pid, processStartTime(child.pid));
  // Asked while the backend starts, so it costs the dispatch nothing.
  const tab = await origin;
  if (tab) setOrigin(db, runId, tab);
  // A driven CLI's turn is ended by its driver first (ACP: session/cancel).
  const stopping = new AbortController();
  const pid = child.pid;
  const guard = guardChild(pid, {
    timeoutMs: req.timeoutMs,
    gracefully: p.launcher.drive ? () => stopping.abort() : undefined,
    onTimeout: (ms) => progress([`timed out after ${formatDuration(ms)}: stopping the backend`]),
    onHangup: () =>
      progress([
        `the terminal hung up: the run goes on (handoff tail ${runId}; handoff kill ${runId} stops it)`,
      ]),
  }, () => {
    if (Date.now() - lastProgressAt < HEARTBEAT_MS) return;
    const minutes = Math.round((Date.now() - (row.started_at ?? row.created_at)) / 60000);
    progress([heartbeatText(minutes, tally.tools)]);
  });

  await promptWritten;

  const stderrTail: string[] = [];
  const readStderr = (async () => {
    for await (const line of lines(child.stderr)) {
      writeText(logs.stderr, line + "\n");
      stderrTail.push(line);
      if (stderrTail.length > 20) stderrTail.shift();
    }
  })();
  const onEvent = (ev: RunEvent) => {
    const session = tally.sessionId;
    progress(tally.apply(ev));
    if (tally.sessionId && tally.sessionId !== session) setSession(db, runId, tally.sessionId);
    if (ev.kind === "permission_denied") {
      announce(db, req.registry, {
        kind: "permission_denied",
        runId,
        backend: p.backend.name,
        cwd: p.cwd,
        detail: ev.detail,
        tab,
      });
    }
  };
  let drivenCode: number | null = null;
  if (p.launcher.drive) {
    drivenCode = await p.launcher.drive(
      {
        stdin: child.stdin,
        stdout: child.stdout,
        pid,
        exited: child.status,
        stop: stopping.signal,
        runId,
        emit: onEvent,
        raw: (line) => writeText(logs.raw, line + "\n"),
      },
      task,
      req.prompt,
    ).catch((e) => {
      onEvent({ kind: "result", text: `handoff: ${(e as Error).message}`, isError: true });
      return EXIT.FAILED;
    });
  } else {
    const parse = p.launcher.createParser();
    for await (const line of lines(child.stdout)) {
      writeText(logs.raw, line + "\n");
      for (const ev of await parse.push(line)) onEvent(ev);
    }
  }
  const exited = readStderr.then(() => child.status);
  // A driven CLI whose turn ended well is recorded and answered while its driver stops it
  // (an agent takes 10 ms or more to exit once its input closes); any other end waits for
  // the exit, whose status and stderr the verdict needs.
  const answeredWell = drivenCode === EXIT.OK && tally.result?.isError === false &&
    !stopping.signal.aborted && getRun(db, runId)?.status !== "interrupted";
  const status = answeredWell ? { code: EXIT.OK, signal: null } : await exited;
  const interrupted = !answeredWell && (guard.stop(status.signal !== null) ||
    // `handoff kill` marks the row before signalling us.
    getRun(db, runId)?.status === "interrupted");
  progress(tally.flush());
  const v = verdict(
    tally,
    {
      // A driven CLI is stopped by its driver after the turn: the driver's status counts.
      code: drivenCode ?? status.code,
      signal: drivenCode === null ? status.signal : null,
      interrupted,
      timedOutAfterMs: guard.timedOut ? req.timeoutMs! : null,
    },
    p.launcher.type,
    {
      hint: answeredWell ? undefined : await p.launcher.diagnose?.(stderrTail.join("\n"), task),
      stderrTail,
    },
  );
  const code = await finish(db, req, p, logs, tally, status.code, v);
  ended = true;
  if (answeredWell) {
    await exited;
    guard.stop(false);
  }
  logs.close();
  return code;
}

async function writePrompt(child: Deno.ChildProcess, text: string): Promise<void> {
  const writer = child.stdin.getWriter();
  try {
    await writer.write(new TextEncoder().encode(text));
    await writer.close();
  } catch { /* the backend exited before reading its prompt: its status tells why */ }
}

/**
 * Records a run notice in the event log (phones and `handoff events` read it there), and
 * starts a delivery when a sink wants it. A notice that cannot be stored costs the run
 * nothing but a warning.
 */
function announce(db: Db, registry: Registry, notice: RunNotice): void {
  try {
    appendEvent(db, runNoticeEvent(notice));
  } catch (e) {
    errLine(`handoff run: the event log could not record this (${(e as Error).message})`);
    return;
  }
  if (registry.sinks().length > 0) kickDelivery(paths().home, db);
}

/**
 * While the backend runs: Ctrl-C and SIGTERM (or the run's timeout) stop its whole
 * process tree (SIGKILL after a grace period, or at a second signal), and every second the
 * tree is noted so tools a killed CLI leaves behind can be stopped too. `tick` runs every
 * second.
 */
function guardChild(
  pid: number,
  limit: {
    timeoutMs?: number;
    onTimeout: (ms: number) => void;
    onHangup: () => void;
    /** How to ask the CLI to stop before its tree is signalled (BackendLauncher.drive). */
    gracefully?: () => void;
  },
  tick: () => void,
) {
  let interrupted = false;
  let timedOut = false;
  let stopping = false;
  let tree: number[] = [];
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const stopTree = () => {
    if (stopping) return signalTree(pid, tree, "SIGKILL");
    stopping = true;
    // Collected before the first signal: once the CLI dies its tools are reparented.
    tree = processTree(pid);
    if (limit.gracefully) limit.gracefully();
    else signalTree(pid, tree, "SIGTERM");
    killTimer = setTimeout(() => signalTree(pid, tree, "SIGKILL"), KILL_GRACE_MS);
  };
  const onSignal = () => {
    interrupted = true;
    stopTree();
  };
  const { timeoutMs } = limit;
  const deadline = timeoutMs === undefined ? undefined : setTimeout(() => {
    timedOut = true;
    limit.onTimeout(timeoutMs);
    stopTree();
  }, timeoutMs);
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  // A hang-up (the terminal or tmux window that started the run closed) is not a request
  // to stop: the run goes on, writes its files and its end as usual.
  let hungUp = false;
  const onHangup = () => {
    if (!hungUp) limit.onHangup();
    hungUp = true;
  };
  Deno.addSignalListener("SIGHUP", onHangup);
  const descendants = new Map<number, string | null>();
  const timer = setInterval(() => {
    for (const d of processTree(pid)) {
      if (d !== pid && !descendants.has(d)) descendants.set(d, processStartTime(d));
    }
    tick();
  }, 1_000);
  return {
    /** Whether the timeout stopped the backend. */
    get timedOut() {
      return timedOut;
    },
    /** Ends the guard; returns whether the run was interrupted by a signal. */
    stop(killed: boolean): boolean {
      clearInterval(timer);
      clearTimeout(killTimer);
      clearTimeout(deadline);
      for (const s of signals) Deno.removeSignalListener(s, onSignal);
      Deno.removeSignalListener("SIGHUP", onHangup);
      if (killed || stopping) {
        for (const [d, start] of descendants) if (isSameProcess(d, start)) killPid(d, "SIGKILL");
      }
      return interrupted;
    },
  };
}

/** Codex counts usage per thread: the share of this run is what grew since the last run of it. */
function previousThreadUsage(db: Db, runId: string, sessionId: string | null): Usage {
  if (!sessionId) return emptyUsage();
  const row = db.prepare(
    "SELECT thread_usage FROM runs WHERE session_id = ? AND run_id != ? AND thread_usage IS NOT NULL ORDER BY id DESC LIMIT 1",
  ).get(sessionId, runId) as { thread_usage: string } | undefined;
  return row ? { ...emptyUsage(), ...JSON.parse(row.thread_usage) } : emptyUsage();
}

/** The result file's text for each outcome (skills read it; `INTERRUPTED` is the seed's). */
function resultBody(v: Verdict, rawPath: string): string {
  if (v.status === "success") return v.answer ?? "";
  if (v.status === "interrupted") {
    return "INTERRUPTED\n" +
      (v.partial ? `\nLast output before the interruption:\n\n${v.partial}\n` : "");
  }
  return v.diagnostic.map((l) => `handoff: ${l}`).join("\n") + `\nJSONL=${rawPath}\n` +
    (v.partial ? `\nLast output:\n\n${v.partial}\n` : "");
}

/**
 * Writes the result file, finishes the ledger row, tells plugins, prints the protocol's
 * end. The caller closes the logs (the backend's stderr may still be coming).
 */
async function finish(
  db: Db,
  req: RunRequest,
  p: Plan,
  logs: RunLogs,
  tally: RunTally,
  exitCode: number | null,
  v: Verdict,
): Promise<number> {
  const { files, runId } = logs;
  const body = resultBody(v, files.raw);
  // On a full disk both writes below can fail: the run still ends with a status, its
  // RESULT= line and (on stdout) its answer; what could not be recorded is said.
  const trouble: string[] = [];
  try {
    await Deno.writeTextFile(files.result, body, { mode: 0o600 });
  } catch (e) {
    trouble.push(`the result file is incomplete (${(e as Error).message})`);
  }
  const threadTotals = p.launcher.usageIsThreadTotal ? tally.usage : null;
  let row: RunRow | null = null;
  try {
    row = finishRun(db, runId, {
      status: v.status,
      exitCode,
      error: v.status === "success" ? null : v.diagnostic.join("; ").slice(0, 2000),
      usage: threadTotals
        ? subtractUsage(threadTotals, previousThreadUsage(db, runId, tally.sessionId))
        : tally.usage,
      threadUsage: threadTotals,
    });
  } catch (e) {
    trouble.push(`the ledger could not record the end (${(e as Error).message})`);
  }
  for (const t of trouble) errLine(`handoff run: ${t}`);
  const status = row?.status ?? v.status;
  announce(db, req.registry, {
    kind: "ended",
    run: {
      runId,
      backend: p.backend.name,
      status,
      exitCode,
      resultPath: files.result,
      resultHead: body.slice(0, 400),
      cwd: p.cwd,
      tab: row?.tmux_session ? { session: row.tmux_session, window: row.tmux_window } : null,
    },
  });
  if (status === "interrupted") errLine("\nhandoff run: interrupted");
  else if (status === "error") { for (const l of v.diagnostic) errLine(`handoff run: ${l}`); }
  const resultLine = `RESULT=${files.result}\n`;
  writeText(logs.out, resultLine);
  err(resultLine);
  if (req.json) {
    const ended = row ?? getRun(db, runId);
    out(
      JSON.stringify(
        {
          ...(ended ? runToJson(ended) : { run_id: runId, status }),
          answer: status === "success" ? body : null,
        },
        null,
        2,
      ) + "\n",
    );
  } else if (status === "success") out(body.endsWith("\n") ? body : body + "\n");
  if (status === "success") return EXIT.OK;
  if (status === "interrupted") return EXIT.INTERRUPTED;
  return v.timedOut ? EXIT.TIMEOUT : EXIT.FAILED;
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return null;
  }
}

/** For the --verbose CMD line only: a copy-pastable rendering, never executed. */
function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * Opens the backend's interactive CLI on a run's conversation, in this terminal. Not a
 * new run: nothing is recorded. The exit status is the CLI's own.
 */
export async function openInteractive(
  req: Omit<RunRequest, "prompt"> & { parent: RunRow },
): Promise<number> {
  if (!Deno.stdin.isTerminal() || !Deno.stdout.isTerminal()) {
    throw usageError(
      "opening the interactive CLI needs a terminal",
      "to continue the conversation from a script, pass a prompt: handoff resume <run> - <<'EOF' …",
    );
  }
  const p = await plan({ ...req, prompt: "" });
  const spec = await p.launcher.interactive({
    command: p.command,
    args: p.backend.args,
    mode: p.backend.mode,
    model: p.model,
    cwd: p.launcher.resumeNeedsCwd ? req.parent.cwd : p.cwd,
    resumeSession: req.parent.session_id ?? undefined,
    permissionMode: p.backend.permissionMode,
    systemPrompt: p.systemPrompt,
    env: resolveBackendEnv(p.backend, {
      model: p.model,
      cwd: p.cwd,
      runId: req.parent.run_id,
    }),
    inheritedEnv: Deno.env.toObject(),
  });
  if (req.verbose) errLine(`CMD: ${spec.argv.map(shellQuote).join(" ")}`);
  const child = new Deno.Command(spec.argv[0], {
    args: spec.argv.slice(1),
    cwd: spec.cwd,
    env: spec.env,
    clearEnv: true,
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  // The CLI owns the terminal now; Ctrl-C is for it, not for us.
  const ignore = () => {};
  Deno.addSignalListener("SIGINT", ignore);
  try {
    const status = await child.status;
    return status.code;
  } finally {
    Deno.removeSignalListener("SIGINT", ignore);
  }
}

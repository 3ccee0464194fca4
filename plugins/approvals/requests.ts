// Permission requests in SQLite: one row per request an agent is waiting on, and the
// `permission` / `permission-resolved` events that tell every phone about it. The first
// decision wins: every change of state is one conditional UPDATE under the write lock.

import { type EventRecord, insertEvent, type NewEvent } from "../../core/event_log.ts";
import { isoUtc } from "../../core/instant.ts";
import { type Db, ensureSchema, transaction } from "../../core/store.ts";
import { isOptionKind, type RequestOption } from "./summary.ts";

/** The approvals plugin's tables, in order (see ensureSchema). */
export const APPROVALS_SCHEMA = {
  owner: "approvals",
  steps: [
    `CREATE TABLE permission_requests (
       request_id TEXT PRIMARY KEY,
       created_at TEXT NOT NULL,
       expires_ms INTEGER NOT NULL,
       session TEXT,
       window INTEGER,
       cwd TEXT,
       agent TEXT NOT NULL,
       source TEXT NOT NULL,
       agent_session_id TEXT,
       run_id TEXT,
       tool TEXT NOT NULL,
       summary TEXT NOT NULL,
       options TEXT NOT NULL,
       status TEXT NOT NULL DEFAULT 'open',
       option_id TEXT,
       decided_by TEXT,
       decided_at TEXT,
       message TEXT,
       event_id INTEGER,
       scope TEXT NOT NULL DEFAULT ''
     );
     CREATE INDEX permission_requests_open ON permission_requests(status, expires_ms);`,
  ],
} as const;

/** At most this many requests may wait at once for one tab (one agent session off tmux). */
export const MAX_OPEN_PER_TAB = 3;
/** Decided requests kept for `approvals --all`; older ones go (their events stay in the log). */
const KEEP_DECIDED = 1000;

/** open → allowed | denied (someone chose an option) | expired | elsewhere (the agent's own prompt). */
export type RequestStatus = "open" | "allowed" | "denied" | "expired" | "elsewhere";

export interface NewRequest {
  agent: string;
  /** The event source (`claude-code`, `codex`, `handoff` for a run). */
  source: string;
  tool: string;
  summary: string;
  options: RequestOption[];
  session: string | null;
  window: number | null;
  cwd: string | null;
  agentSessionId?: string | null;
  runId?: string | null;
  /** How long it may wait for an answer. */
  waitMs: number;
}

export interface PermissionRequest {
  requestId: string;
  createdAt: string;
  expiresAt: string;
  expiresMs: number;
  session: string | null;
  window: number | null;
  cwd: string | null;
  agent: string;
  source: string;
  agentSessionId: string | null;
  runId: string | null;
  tool: string;
  summary: string;
  options: RequestOption[];
  status: RequestStatus;
  optionId: string | null;
  decidedBy: string | null;
  decidedAt: string | null;
  message: string | null;
}

interface Row {
  request_id: string;
  created_at: string;
  expires_ms: number;
  session: string | null;
  window: number | null;
  cwd: string | null;
  agent: string;
  source: string;
  agent_session_id: string | null;
  run_id: string | null;
  tool: string;
  summary: string;
  options: string;
  status: string;
  option_id: string | null;
  decided_by: string | null;
  decided_at: string | null;
  message: string | null;
}

function parseOptions(text: string): RequestOption[] {
  try {
    const v = JSON.parse(text);
    return Array.isArray(v)
      ? v.filter((o) => typeof o?.id === "string" && isOptionKind(o?.kind))
        .map((o) => ({ id: o.id, kind: o.kind, label: String(o.label ?? o.id) }))
      : [];
  } catch {
    return [];
  }
}

function fromRow(r: Row): PermissionRequest {
  return {
    requestId: r.request_id,
    createdAt: r.created_at,
    expiresAt: isoUtc(r.expires_ms),
    expiresMs: r.expires_ms,
    session: r.session,
    window: r.window,
    cwd: r.cwd,
    agent: r.agent,
    source: r.source,
    agentSessionId: r.agent_session_id,
    runId: r.run_id,
    tool: r.tool,
    summary: r.summary,
    options: parseOptions(r.options),
    status: r.status as RequestStatus,
    optionId: r.option_id,
    decidedBy: r.decided_by,
    decidedAt: r.decided_at,
    message: r.message,
  };
}

/**
 * 128 random bits, URL-safe base64 without padding (22 characters), never starting with
 * "-": the id is typed as an argument (`handoff approve <id>`), where it would pass for
 * an option.
 */
export function newRequestId(): string {
  for (;;) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    const id = btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_")
      .replace(/=+$/, "");
    if (!id.startsWith("-")) return id;
  }
}

/** What a request id a phone sends must look like before it is looked up. */
export const REQUEST_ID = /^[A-Za-z0-9_-]{22}$/;

/** Opens the approvals tables (creating them the first time). */
export function useApprovals(db: Db): Db {
  ensureSchema(db, APPROVALS_SCHEMA);
  return db;
}

export function requestById(db: Db, id: string): PermissionRequest | null {
  const r = useApprovals(db).prepare("SELECT * FROM permission_requests WHERE request_id = ?")
    .get(id) as Row | undefined;
  return r ? fromRow(r) : null;
}

/** Requests still waiting for an answer (not past their expiry), oldest first. */
export function openRequests(db: Db, now: Date): PermissionRequest[] {
  const rows = useApprovals(db).prepare(
    "SELECT * FROM permission_requests WHERE status = 'open' AND expires_ms > ? ORDER BY created_at, rowid",
  ).all(now.getTime()) as unknown as Row[];
  return rows.map(fromRow);
}

/** The newest requests whatever their state, newest last. */
export function recentRequests(db: Db, limit: number): PermissionRequest[] {
  const rows = useApprovals(db).prepare(
    "SELECT * FROM permission_requests ORDER BY rowid DESC LIMIT ?",
  ).all(limit) as unknown as Row[];
  return rows.reverse().map(fromRow);
}

const TITLES: Record<string, string> = {
  "claude-code": "Claude needs permission",
  codex: "Codex needs permission",
};

/** What the flood bound counts by: the tab, or the agent's session when there is no tab. */
function scopeOf(req: Pick<NewRequest, "session" | "window" | "agentSessionId">): string {
  return req.session !== null
    ? `tab:${req.session}:${req.window ?? ""}`
    : `agent:${req.agentSessionId ?? ""}`;
}

/**
 * Records a request and its `permission` event, unless too many wait for the same tab
 * already (then null: the agent's own prompt answers it). Expired requests are closed
 * first, so they neither count nor linger.
 */
export function createRequest(
  db: Db,
  req: NewRequest,
  now: Date,
): { request: PermissionRequest; event: EventRecord } | null {
  useApprovals(db);
  return transaction(db, () => {
    expireDue(db, now);
    const scope = scopeOf(req);
    const waiting = db.prepare(
      "SELECT count(*) AS n FROM permission_requests WHERE status = 'open' AND scope = ?",
    ).get(scope) as { n: number };
    if (waiting.n >= MAX_OPEN_PER_TAB) return null;
    const id = newRequestId();
    const expiresMs = now.getTime() + req.waitMs;
    const event = insertEvent(db, {
      type: "permission",
      title: TITLES[req.source] ?? `${req.agent} needs permission`,
      message: req.summary,
      session: req.session,
      window: req.window,
      cwd: req.cwd,
      source: req.source,
      agentSessionId: req.agentSessionId ?? null,
      runId: req.runId ?? null,
      at: now,
      data: {
        request_id: id,
        agent: req.agent,
        tool: req.tool,
        options: req.options.map((o) => ({ ...o })),
        expires_at: isoUtc(expiresMs),
      },
    });
    db.prepare(
      `INSERT INTO permission_requests (request_id, created_at, expires_ms, session, window, cwd,
         agent, source, agent_session_id, run_id, tool, summary, options, event_id, scope)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      id,
      isoUtc(now.getTime()),
      expiresMs,
      req.session,
      req.window,
      req.cwd,
      req.agent,
      req.source,
      req.agentSessionId ?? null,
      req.runId ?? null,
      req.tool,
      req.summary,
      JSON.stringify(req.options),
      event.id,
      scope,
    );
    db.prepare(
      `DELETE FROM permission_requests WHERE status != 'open' AND rowid <=
         (SELECT rowid FROM permission_requests ORDER BY rowid DESC LIMIT 1 OFFSET ?)`,
    ).run(KEEP_DECIDED);
    return { request: requestById(db, id)!, event };
  });
}

/** How a request ended, and who ended it. */
export interface Resolution {
  status: Exclude<RequestStatus, "open">;
  /** The option chosen (allowed and denied only). */
  option?: RequestOption;
  /** `phone:<device name>`, `desk`, `agent` (its own prompt), `timeout`. */
  by: string;
  message?: string | null;
}

export type ResolveResult =
  | { ok: true; request: PermissionRequest }
  | { ok: false; why: "not_found" | "already_decided" };

const OUTCOME_WORDS: Record<Resolution["status"], string> = {
  allowed: "allowed",
  denied: "denied",
  expired: "not answered in time",
  elsewhere: "answered at the desk",
};

function resolvedEvent(req: PermissionRequest, r: Resolution, now: Date): NewEvent {
  const who = r.by.startsWith("phone:")
    ? ` from ${r.by.slice(6)}`
    : r.by === "desk"
    ? " at the desk"
    : "";
  const always = r.option?.kind === "allow_always" ? " (always)" : "";
  return {
    type: "permission-resolved",
    title: `Permission ${OUTCOME_WORDS[r.status]}${who}${always}`,
    message: req.summary,
    session: req.session,
    window: req.window,
    cwd: req.cwd,
    source: req.source,
    agentSessionId: req.agentSessionId,
    runId: req.runId,
    at: now,
    data: {
      request_id: req.requestId,
      outcome: r.status,
      option: r.option?.id ?? null,
      decided_by: r.by,
    },
  };
}

/**
 * Ends an open request: the first call wins, any later one gets `already_decided`; an
 * unknown or expired id gets `not_found`. Writes the `permission-resolved` event in the
 * same transaction.
 */
export function resolveRequest(
  db: Db,
  id: string,
  r: Resolution,
  now: Date,
): ResolveResult {
  useApprovals(db);
  return transaction(db, () => {
    const before = requestById(db, id);
    if (before === null) return { ok: false, why: "not_found" };
    if (before.status !== "open") {
      return { ok: false, why: before.status === "expired" ? "not_found" : "already_decided" };
    }
    // Past its expiry it can no longer be answered, only closed as expired.
    if (r.status !== "expired" && before.expiresMs <= now.getTime()) {
      closeExpired(db, before, now);
      return { ok: false, why: "not_found" };
    }
    db.prepare(
      `UPDATE permission_requests SET status = ?, option_id = ?, decided_by = ?, decided_at = ?,
         message = ? WHERE request_id = ? AND status = 'open'`,
    ).run(r.status, r.option?.id ?? null, r.by, isoUtc(now.getTime()), r.message ?? null, id);
    insertEvent(db, resolvedEvent(before, r, now));
    return { ok: true, request: requestById(db, id)! };
  });
}

function closeExpired(db: Db, req: PermissionRequest, now: Date): void {
  db.prepare(
    `UPDATE permission_requests SET status = 'expired', decided_by = 'timeout', decided_at = ?
       WHERE request_id = ? AND status = 'open'`,
  ).run(isoUtc(now.getTime()), req.requestId);
  insertEvent(db, resolvedEvent(req, { status: "expired", by: "timeout" }, now));
}

/** Closes every open request past its expiry (each gets its `permission-resolved`). */
export function expireDue(db: Db, now: Date): number {
  const due = (useApprovals(db).prepare(
    "SELECT * FROM permission_requests WHERE status = 'open' AND expires_ms <= ?",
  ).all(now.getTime()) as unknown as Row[]).map(fromRow);
  if (due.length === 0) return 0;
  transaction(db, () => {
    for (const req of due) closeExpired(db, req, now);
  });
  return due.length;
}

// access.log on disk: $HANDOFF_HOME/access.log, 0600, one JSON line per gate call, each
// appended with a single write on an O_APPEND descriptor so concurrent gates never
// interleave inside a line.
//
// Size-bounded: past the limit the file becomes access.log.1 (the one old file kept) and a
// new one starts. Writers hold a shared lock on access.log.lock while they append and the
// rotation takes it exclusively, so no writer can still be appending to a file that a
// second rotation is about to replace: no line is lost.

import { ensurePrivateDir } from "../../core/paths.ts";

/** Default size at which access.log is rotated ($HANDOFF_ACCESS_LOG_MAX_BYTES overrides). */
export const AUDIT_LOG_MAX_BYTES = 5 * 1024 * 1024;

export function auditLogPath(home: string): string {
  return `${home}/access.log`;
}

/** The rotated file, older than everything in access.log. */
export function oldAuditLogPath(home: string): string {
  return `${home}/access.log.1`;
}

function maxBytes(): number {
  const n = Number(Deno.env.get("HANDOFF_ACCESS_LOG_MAX_BYTES"));
  return Number.isInteger(n) && n > 0 ? n : AUDIT_LOG_MAX_BYTES;
}

function writeAll(f: Deno.FsFile, bytes: Uint8Array): void {
  // A short write on a regular file means a full disk: finish it rather than leave half.
  for (let off = 0; off < bytes.length;) off += f.writeSync(bytes.subarray(off));
}

export function appendAuditLine(home: string, line: string): void {
  ensurePrivateDir(home);
  const path = auditLogPath(home);
  const bytes = new TextEncoder().encode(line.replace(/\n/g, "\\n") + "\n");
  const lock = Deno.openSync(`${path}.lock`, {
    read: true,
    write: true,
    create: true,
    mode: 0o600,
  });
  try {
    lock.lockSync(false);
    const f = Deno.openSync(path, { append: true, create: true, mode: 0o600 });
    let size: number;
    try {
      writeAll(f, bytes);
      size = f.statSync().size;
    } finally {
      f.close();
    }
    const max = maxBytes();
    if (size <= max) return;
    lock.unlockSync();
    lock.lockSync(true);
    // Another writer may have rotated while we waited for the exclusive lock.
    try {
      if (Deno.statSync(path).size > max) Deno.renameSync(path, oldAuditLogPath(home));
    } catch { /* already rotated */ }
  } finally {
    lock.close();
  }
}

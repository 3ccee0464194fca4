// access.log on disk: $HANDOFF_HOME/access.log, 0600, one JSON line per gate call, each
// appended with a single write on an O_APPEND descriptor so concurrent gates never
// interleave inside a line.

import { ensurePrivateDir } from "../../core/paths.ts";

export function auditLogPath(home: string): string {
  return `${home}/access.log`;
}

export function appendAuditLine(home: string, line: string): void {
  ensurePrivateDir(home);
  const bytes = new TextEncoder().encode(line.replace(/\n/g, "\\n") + "\n");
  const f = Deno.openSync(auditLogPath(home), { append: true, create: true, mode: 0o600 });
  try {
    const n = f.writeSync(bytes);
    // A short write on a regular file means a full disk: finish it rather than leave half.
    for (let off = n; off < bytes.length;) off += f.writeSync(bytes.subarray(off));
  } finally {
    f.close();
  }
}

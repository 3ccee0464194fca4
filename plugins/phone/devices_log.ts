// `handoff devices log [NAME]`: the gate's audit trail ($HANDOFF_HOME/access.log).

import type { Command } from "@commander-js/extra-typings";
import { setExitCode } from "../../core/cli.ts";
import type { CommandContext } from "../../core/registry.ts";
import { HandoffError, usageError } from "../../core/errors.ts";
import { errLine, escapeControls, jsonVisible, outColors, outLine } from "../../core/output.ts";
import { findAnyDevices } from "../gate/devices_db.ts";
import { auditLogPath, oldAuditLogPath } from "../gate/audit_file.ts";
import { filterLog, type LogEntry, parseLog } from "./log_view.ts";
import { shown } from "./ui.ts";

function clip(s: string, n: number): string {
  const chars = Array.from(s);
  return chars.length <= n ? s : chars.slice(0, n - 1).join("") + "…";
}

/** Every field as printable text: a stored newline or U+202E cannot forge a row. */
function field(s: string | null | undefined, fallback: string): string {
  return escapeControls(s ?? fallback);
}

function render(e: LogEntry, json: boolean): string {
  if (json) {
    return jsonVisible(
      e.invalid !== undefined ? { line: e.line, invalid: true, text: e.invalid } : e,
    );
  }
  const c = outColors();
  if (e.invalid !== undefined) {
    return c.red(`  line ${e.line}: not valid JSON: ${clip(escapeControls(e.invalid), 100)}`);
  }
  const ts = field(e.ts, "?").replace("T", " ").replace(/Z$/, "");
  const name = clip(field(e.name, "(unknown key)"), 16).padEnd(16);
  const cmd = clip(field(e.cmd, ""), 28).padEnd(28);
  const result = field(e.result, "?");
  return `  ${ts}  ${name}  ${cmd}  ${result.startsWith("ok") ? c.green(result) : c.red(result)}`;
}

/** Whole lines of a file from `offset` (a gate may be writing the next one right now). */
function readLines(file: string, offset = 0): { text: string; end: number; ino: number | null } {
  try {
    const f = Deno.openSync(file);
    try {
      const ino = f.statSync().ino;
      const all = new Uint8Array(f.statSync().size);
      let n = 0;
      while (n < all.length) {
        const got = f.readSync(all.subarray(n));
        if (got === null || got === 0) break;
        n += got;
      }
      const bytes = all.subarray(0, n);
      const end = Math.max(offset, bytes.lastIndexOf(10) + 1);
      return { text: new TextDecoder().decode(bytes.subarray(offset, end)), end, ino };
    } finally {
      f.close();
    }
  } catch {
    return { text: "", end: 0, ino: null };
  }
}

function lineCount(text: string): number {
  return text === "" ? 0 : text.split("\n").length - 1;
}

export async function devicesLog(
  ctx: CommandContext,
  name: string | undefined,
  f: { json?: boolean; follow?: boolean; limit?: string },
): Promise<number> {
  const limit = f.limit === undefined ? 50 : Number(f.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    throw usageError(`--limit: a positive number, got "${f.limit}"`);
  }
  const p = ctx.paths();
  let fps: Set<string> | null = null;
  if (name !== undefined) {
    const db = await ctx.openStore();
    try {
      const found = findAnyDevices(db, name);
      if (found.length === 0) {
        throw new HandoffError(`no device "${shown(name)}"`, 1, "see `handoff devices --all`");
      }
      fps = new Set(found.map((d) => d.fingerprint));
    } finally {
      db.close();
    }
  }
  const file = auditLogPath(p.home);
  // The rotated file first: it holds the older lines.
  const old = readLines(oldAuditLogPath(p.home));
  const current = readLines(file);
  const text = old.text + current.text;
  const entries = filterLog(parseLog(text), fps).slice(-limit);
  if (!f.json) outLine(name === undefined ? "Access log" : `Access log — ${shown(name)}`);
  if (entries.length === 0 && !f.json && !f.follow) errLine("  No log entries.");
  for (const e of entries) outLine(render(e, !!f.json));
  if (!f.follow) return 0;

  let offset = current.end;
  let ino = current.ino;
  let lineNo = lineCount(text) + 1;
  const stop = new Promise<void>((resolve) => {
    const onSig = () => resolve();
    Deno.addSignalListener("SIGINT", onSig);
    Deno.addSignalListener("SIGTERM", onSig);
  });
  let stopped = false;
  stop.then(() => stopped = true);
  while (!stopped) {
    await Promise.race([new Promise((r) => setTimeout(r, 250)), stop]);
    let chunk = readLines(file, offset);
    if (chunk.ino !== null && ino !== null && chunk.ino !== ino) {
      // Rotated: finish the file we were reading (now access.log.1), then the new one.
      const rest = readLines(oldAuditLogPath(p.home), offset);
      const fresh = readLines(file);
      chunk = {
        text: (rest.ino === ino ? rest.text : "") + fresh.text,
        end: fresh.end,
        ino: fresh.ino,
      };
    } else if (chunk.ino !== null && chunk.end < offset) {
      chunk = readLines(file); // truncated by hand: start over
    }
    if (chunk.ino !== null) ino = chunk.ino;
    offset = chunk.end;
    if (chunk.text === "") continue;
    const fresh = parseLog(chunk.text, lineNo);
    lineNo += fresh.length;
    for (const e of filterLog(fresh, fps)) outLine(render(e, !!f.json));
  }
  return 0;
}

/** `devices log` (alias logs); also the original tool's top-level `handoff logs`. */
export function registerDevicesLog(
  devices: Command,
  ctx: CommandContext,
  name = "log",
  aliases = ["logs"],
): void {
  devices.command(name)
    .aliases(aliases)
    .summary("the gate's audit log (all devices, or one)")
    .description(
      "Show the last entries of the gate's audit log: one line per phone request, allowed or " +
        "denied, and one when a live connection was ended (`ended:<why>`). Control and format " +
        "characters in any field are shown as escapes (\\n, \\u202e), so no entry can pass for " +
        "another. Lines that are not valid JSON are shown as such, never skipped. The log " +
        "rotates at 5 MB into access.log.1, which is read too. --json prints one JSON object " +
        "per line (NDJSON); --follow keeps printing new entries.",
    )
    .argument("[name]", "device name or fingerprint (revoked devices too)")
    .option("--json", "NDJSON on stdout")
    .option("-f, --follow", "keep printing new entries until Ctrl-C")
    .option("-n, --limit <n>", "how many entries (default 50)")
    .action(async (name, f) => setExitCode(await devicesLog(ctx, name, f)));
}

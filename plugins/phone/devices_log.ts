// `handoff devices log [NAME]`: the gate's audit trail ($HANDOFF_HOME/access.log).

import type { Command } from "@commander-js/extra-typings";
import { setExitCode } from "../../core/cli.ts";
import { HandoffError, usageError } from "../../core/errors.ts";
import { errLine, outColors, outLine, safeText } from "../../core/output.ts";
import { paths } from "../../core/paths.ts";
import { openDb } from "../../core/store.ts";
import { findAnyDevices } from "../gate/devices_db.ts";
import { auditLogPath } from "../gate/audit_file.ts";
import { filterLog, type LogEntry, parseLog } from "./log_view.ts";
import { shown } from "./ui.ts";

function clip(s: string, n: number): string {
  const chars = Array.from(s);
  return chars.length <= n ? s : chars.slice(0, n - 1).join("") + "…";
}

function render(e: LogEntry, json: boolean): string {
  if (json) {
    return JSON.stringify(
      e.invalid !== undefined ? { line: e.line, invalid: true, text: e.invalid } : e,
    );
  }
  const c = outColors();
  if (e.invalid !== undefined) {
    return c.red(`  line ${e.line}: not valid JSON: ${clip(safeText(e.invalid), 100)}`);
  }
  const ts = (e.ts ?? "?").replace("T", " ").replace(/Z$/, "");
  const name = clip(shown(e.name ?? "(unknown key)"), 16).padEnd(16);
  const cmd = clip(safeText(e.cmd ?? ""), 28).padEnd(28);
  const result = e.result ?? "?";
  return `  ${ts}  ${name}  ${cmd}  ${result.startsWith("ok") ? c.green(result) : c.red(result)}`;
}

export async function devicesLog(
  name: string | undefined,
  f: { json?: boolean; follow?: boolean; limit?: string },
): Promise<number> {
  const limit = f.limit === undefined ? 50 : Number(f.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    throw usageError(`--limit: a positive number, got "${f.limit}"`);
  }
  const p = paths();
  let fps: Set<string> | null = null;
  if (name !== undefined) {
    const db = openDb(p.db);
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
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(file);
  } catch {
    bytes = new Uint8Array();
  }
  // Only whole lines: a gate may be writing the next one right now.
  const end = bytes.lastIndexOf(10) + 1;
  const text = new TextDecoder().decode(bytes.subarray(0, end));
  const entries = filterLog(parseLog(text), fps).slice(-limit);
  if (!f.json) outLine(name === undefined ? "Access log" : `Access log — ${shown(name)}`);
  if (entries.length === 0 && !f.json && !f.follow) errLine("  No log entries.");
  for (const e of entries) outLine(render(e, !!f.json));
  if (!f.follow) return 0;

  let offset = end;
  let lineNo = text === "" ? 1 : text.split("\n").length;
  const stop = new Promise<void>((resolve) => {
    const onSig = () => resolve();
    Deno.addSignalListener("SIGINT", onSig);
    Deno.addSignalListener("SIGTERM", onSig);
  });
  let stopped = false;
  stop.then(() => stopped = true);
  while (!stopped) {
    await Promise.race([new Promise((r) => setTimeout(r, 250)), stop]);
    let chunk: Uint8Array;
    try {
      const all = Deno.readFileSync(file);
      if (all.length < offset) offset = 0; // replaced or truncated: start over
      chunk = all.subarray(offset, all.lastIndexOf(10) + 1);
    } catch {
      continue;
    }
    if (chunk.length === 0) continue;
    offset += chunk.length;
    const fresh = parseLog(new TextDecoder().decode(chunk), lineNo);
    lineNo += fresh.length;
    for (const e of filterLog(fresh, fps)) outLine(render(e, !!f.json));
  }
  return 0;
}

export function registerDevicesLog(devices: Command): void {
  devices.command("log")
    .alias("logs")
    .summary("the gate's audit log (all devices, or one)")
    .description(
      "Show the last entries of the gate's audit log: one line per phone request, allowed or " +
        "denied. Lines that are not valid JSON are shown as such, never skipped. --json prints " +
        "one JSON object per line (NDJSON); --follow keeps printing new entries.",
    )
    .argument("[name]", "device name or fingerprint (revoked devices too)")
    .option("--json", "NDJSON on stdout")
    .option("-f, --follow", "keep printing new entries until Ctrl-C")
    .option("-n, --limit <n>", "how many entries (default 50)")
    .action(async (name, f) => setExitCode(await devicesLog(name, f)));
}

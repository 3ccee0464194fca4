/** `handoff plugin info <name>`: its manifest, where it came from, consent, sink state. */
import { jsonVisible, outLine } from "../../core/output.ts";
import { escapeControls } from "../../core/output.ts";
import { handoffHome, tildePath } from "../../core/paths.ts";
import { providesSummary } from "../../core/plugin/manifest.ts";
import { readLock } from "../../core/plugin/lock.ts";
import type { CommandContext } from "../../core/registry.ts";
import { runsAs } from "./describe.ts";
import { knownPlugin, readableManifest } from "./lookup.ts";
import { type SinkRecord, sinkRecord, sinkSummary } from "./sinks.ts";

export async function info(
  ctx: CommandContext,
  name: string,
  f: { json?: boolean },
): Promise<number> {
  const k = knownPlugin(ctx, name);
  const m = await readableManifest(k);
  const entry = readLock(handoffHome()).plugins[name];
  let sinks: SinkRecord[] = [];
  if (m.provides.sinks.length) {
    const { pendingCount, sinkStates } = await import("../../core/delivery.ts");
    const db = await ctx.openStore({ readOnly: true });
    try {
      sinks = sinkStates(db).filter((s) => s.sink.startsWith(`${name}/`))
        .map((s) => sinkRecord(s, pendingCount(db, s)));
    } finally {
      db.close();
    }
  }
  if (f.json) {
    outLine(
      jsonVisible({
        ...m,
        origin: k.origin,
        enabled: k.enabled,
        problem: k.problem ?? null,
        install: entry ?? null,
        sinks,
      }),
    );
    return 0;
  }
  const e = escapeControls;
  outLine(
    `${e(m.name)} ${e(m.version)} — ${
      k.origin === "builtin" ? "first-party" : `${m.kind} plugin`
    }, ${k.enabled ? "enabled" : "disabled"}`,
  );
  if (k.problem) outLine(`  skipped: ${e(k.problem)}`);
  if (m.description) outLine(`  ${e(m.description)}`);
  if (m.homepage) outLine(`  homepage: ${e(m.homepage)}`);
  outLine(`  provides: ${providesSummary(m).join(", ") || "-"}`);
  if (m.dependsOn.length) outLine(`  depends on: ${m.dependsOn.join(", ")}`);
  for (const [key, d] of Object.entries(m.config)) {
    outLine(
      `  setting plugins.${m.name}.${key} (${d.type}${d.required ? ", required" : ""}) ${
        e(d.description)
      }`,
    );
  }
  if (entry) {
    outLine(
      `  source: ${e(entry.source)}${entry.resolved ? ` → ${e(entry.resolved)}` : ""}${
        entry.pinned ? ` (pinned ${e(entry.pinned)})` : ""
      }`,
    );
    outLine(`  ${runsAs(m, entry.path)}`);
    outLine(
      `  installed: ${entry.installedAt}; agreed to ${
        entry.linked ? "a linked folder" : `sha256 ${entry.consent.digest.slice(0, 16)}…`
      } on ${entry.consent.at} (${entry.consent.by})`,
    );
    if (entry.linked) outLine(`  linked: ${tildePath(entry.path)}`);
  }
  for (const s of sinks) outLine(`  sink ${sinkSummary(s)}`);
  return 0;
}

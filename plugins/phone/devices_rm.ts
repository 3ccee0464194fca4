// `handoff devices rm NAME` (alias revoke): the key line goes, live tmux clients of the
// device are detached, and the device is kept as `revoked` so its log stays readable.

import type { Command } from "@commander-js/extra-typings";
import { setExitCode } from "../../core/cli.ts";
import { errColors, errLine } from "../../core/output.ts";
import { deviceAccess, revokeEverywhere } from "./access.ts";
import type { CommandContext } from "../../core/registry.ts";

import { mustFind } from "./lookup.ts";
import { askYesNo, interactive, shown } from "./ui.ts";

export async function devicesRm(
  ctx: CommandContext,
  name: string,
  f: { yes?: boolean },
): Promise<number> {
  const access = await deviceAccess(ctx.registry);
  const db = await ctx.openStore();
  try {
    const d = mustFind(db, name);
    if (
      interactive() && !f.yes &&
      !(await askYesNo(`Remove "${shown(d.name)}"? This revokes all its access`, false))
    ) {
      errLine("Cancelled.");
      return 0;
    }
    const { lines, clients } = await revokeEverywhere(db, access, d);
    const extra = [
      lines ? "key removed from authorized_keys" : "no key line was left",
      clients ? `${clients} live client(s) detached` : "",
    ].filter((s) => s).join(", ");
    errLine(`${errColors().green("✓")} revoked "${shown(d.name)}" (${extra})`);
    return 0;
  } finally {
    db.close();
  }
}

/** `devices rm` (alias revoke); also the original tool's top-level `handoff revoke`. */
export function registerDevicesRm(
  devices: Command,
  ctx: CommandContext,
  name = "rm",
  aliases = ["revoke"],
): void {
  devices.command(name)
    .aliases(aliases)
    .summary("revoke a device: its key, its live sessions")
    .description(
      "Revoke a device: its authorized_keys line is removed (sshd refuses the key from the " +
        "next login), its attached tmux clients are detached, and its gate calls answer " +
        "error:not_found. On a terminal it asks first (--yes skips the question).",
    )
    .argument("<name>", "device name or fingerprint")
    .option("-y, --yes", "do not ask")
    .action(async (name, f) => setExitCode(await devicesRm(ctx, name, f)));
}

// Check lines for people: ✓ / ! / ✗ / · with the fix underneath.
import { errColors, outColors, type Palette } from "../../core/output.ts";
import type { Check } from "./checks.ts";

export function checkLine(c: Check, p: Palette, withFix: boolean): string {
  const mark = c.status === "ok"
    ? p.green("✓")
    : c.status === "warn"
    ? p.yellow("!")
    : c.status === "fail"
    ? p.red("✗")
    : p.dim("·");
  const line = `  ${mark} ${c.label}: ${c.detail}`;
  return withFix && c.fix && c.status !== "ok" ? `${line}\n      ${p.dim("fix:")} ${c.fix}` : line;
}

export function outChecks(): Palette {
  return outColors();
}

export function errChecks(): Palette {
  return errColors();
}

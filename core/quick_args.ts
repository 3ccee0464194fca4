/**
 * Parses a plain command line with the same option lines a command gives commander, so
 * the commands run on every dispatch (`run`, `resume`) start without commander, whose
 * import costs ~30 ms on this machine. Anything unusual (help, an unknown or malformed
 * option, a variadic option, the wrong number of arguments) gives null: commander then
 * parses the line and reports what is wrong exactly as before.
 */
import { FlagError, type FlagSpec, parseFlags } from "./flags.ts";

/** An option as commander's `.option(flags, description)` takes it: `-m, --model <model>`. */
export type OptionLine = readonly [flags: string, description: string];

export interface QuickArgs {
  positionals: string[];
  /** Keyed as commander keys them (`--dry-run` → `dryRun`); only the options given. */
  flags: Record<string, string | boolean>;
}

const OPTION_LINE = /^(?:-([A-Za-z]), )?--([a-z][a-z0-9-]*)(?: <([a-z-]+)>)?$/;

const camel = (name: string) => name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export function quickArgs(
  args: readonly string[],
  options: readonly OptionLine[],
  arity: { required: number; optional: number },
): QuickArgs | null {
  const specs: Record<string, FlagSpec> = {};
  for (const [flags] of options) {
    // Variadic or optional values are commander's to parse: left out, so using one bails.
    const m = OPTION_LINE.exec(flags);
    if (!m) continue;
    specs[m[2]] = { type: m[3] ? "string" : "boolean", ...(m[1] ? { short: m[1] } : {}) };
  }
  let parsed;
  try {
    parsed = parseFlags(args, specs, true);
  } catch (e) {
    if (e instanceof FlagError) return null;
    throw e;
  }
  const n = parsed.positionals.length;
  if (n < arity.required || n > arity.required + arity.optional) return null;
  const flags: Record<string, string | boolean> = {};
  for (const [name, value] of Object.entries(parsed.values)) {
    if (value !== undefined) flags[camel(name)] = value;
  }
  return { positionals: parsed.positionals, flags };
}

/**
 * A command-line parser for the hot commands (notify, the approval hook), with the
 * results of node:util's parseArgs for the options they declare (tests/flags_test.ts
 * compares them): importing node:util would start Deno's Node compatibility layer, which
 * costs more than the whole parse (see core/path.ts).
 */

/** One option: a string takes a value (`--title x`, `--title=x`, `-mx`), a boolean none. */
export interface FlagSpec {
  type: "string" | "boolean";
  short?: string;
}

export type FlagValues = Record<string, string | boolean | undefined>;

/** A command line that breaks the rules under `strict` (the message says which rule). */
export class FlagError extends Error {}

/**
 * Parses `args`. Positionals are always allowed; `--` ends the options. With `strict`,
 * an unknown option, a string option without a value or with one that starts with `-`
 * (`--title=-x` says it on purpose), and a boolean given a value, throw a FlagError;
 * without it, an unknown option is kept as given and a missing value reads as `true`.
 */
export function parseFlags(
  args: readonly string[],
  options: Record<string, FlagSpec>,
  strict: boolean,
): { values: FlagValues; positionals: string[] } {
  const values: FlagValues = Object.create(null);
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, spec] of Object.entries(options)) if (spec.short) byShort.set(spec.short, name);
  const isString = (name: string) =>
    Object.hasOwn(options, name) && options[name].type === "string";
  const label = (name: string, short?: string) => short ? `-${short}, --${name}` : `--${name}`;

  const store = (name: string, value: string | undefined, spelled: string) => {
    if (strict) {
      if (!Object.hasOwn(options, name)) {
        throw new FlagError(`Unknown option '${spelled}'`);
      }
      if (isString(name) && value === undefined) {
        throw new FlagError(
          `Option '${label(name, options[name].short)} <value>' argument missing`,
        );
      }
      if (!isString(name) && value !== undefined) {
        throw new FlagError(
          `Option '${label(name, options[name].short)}' does not take an argument`,
        );
      }
    }
    if (name !== "__proto__") values[name] = value ?? true;
  };
  const ambiguous = (name: string, value: string, short?: string) => {
    // Like parseArgs, a lone "-" (stdin, by convention) is a value.
    if (strict && value.length > 1 && value.startsWith("-")) {
      throw new FlagError(
        `Option '${label(name, short)}' argument is ambiguous; to give it a value that starts ` +
          `with a dash, write --${name}=${value}`,
      );
    }
  };

  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      if (eq > 2) {
        store(arg.slice(2, eq), arg.slice(eq + 1), arg.slice(0, eq));
        continue;
      }
      const name = arg.slice(2);
      if (isString(name) && i + 1 < args.length) {
        const value = args[++i];
        ambiguous(name, value, options[name].short);
        store(name, value, arg);
      } else store(name, undefined, arg);
      continue;
    }
    if (arg.length < 2 || !arg.startsWith("-")) {
      positionals.push(arg);
      continue;
    }
    // `-m x`, `-mx`, or a group of booleans `-hv`.
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j];
      const name = byShort.get(letter) ?? letter;
      if (!isString(name)) {
        store(name, undefined, `-${letter}`);
        continue;
      }
      if (j + 1 < arg.length) store(name, arg.slice(j + 1), `-${letter}`);
      else if (i + 1 < args.length) {
        const value = args[++i];
        ambiguous(name, value, letter);
        store(name, value, `-${letter}`);
      } else store(name, undefined, `-${letter}`);
      break;
    }
  }
  return { values, positionals };
}

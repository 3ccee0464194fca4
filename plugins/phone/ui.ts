// Terminal questions and small formatting shared by the phone commands. Questions go to
// stderr and are asked only on a terminal; scripts pass flags instead.

import { readLine } from "../../core/ask.ts";
import { err, errColors, escapeControls } from "../../core/output.ts";
import { parseDuration } from "../gate/expiry.ts";
import { parseSessionPatterns } from "../gate/grammar.ts";
import { usageError } from "../../core/errors.ts";

export function interactive(): boolean {
  return Deno.stdin.isTerminal() && Deno.stderr.isTerminal();
}

/** One answer line, or null at end of input. */
export async function question(text: string): Promise<string | null> {
  err(text);
  return await readLine();
}

/** Asks until the answer parses; empty takes the default. */
export async function askValue<T>(
  text: string,
  fallback: string,
  parse: (s: string) => T,
): Promise<T> {
  while (true) {
    const answer = (await question(fallback ? `${text} [${fallback}]: ` : `${text}: `))?.trim();
    try {
      return parse(answer ? answer : fallback);
    } catch (e) {
      if (answer === undefined) throw e;
      err(`  ${errColors().red((e as Error).message)}\n`);
    }
  }
}

export async function askYesNo(text: string, fallback: boolean): Promise<boolean> {
  const answer = (await question(`${text} [${fallback ? "Y/n" : "y/N"}]: `))?.trim() ?? "";
  if (answer === "") return fallback;
  return /^y(es)?$/i.test(answer);
}

export const DURATION_MENU: Array<[string, string]> = [
  ["24h", "24 hours"],
  ["7d", "7 days"],
  ["30d", "30 days"],
  ["never", "never"],
];

/** The seed's duration menu; also accepts a duration typed directly (`12h`, `90d`). */
export async function askDuration(current = "30d"): Promise<string> {
  err("  Access duration:\n");
  DURATION_MENU.forEach(([, label], i) => err(`    [${i + 1}] ${label}\n`));
  const index = DURATION_MENU.findIndex(([d]) => d === current);
  const def = index >= 0 ? String(index + 1) : current;
  return await askValue("  Choose", def, (s) => {
    const n = Number(s);
    if (Number.isInteger(n) && n >= 1 && n <= DURATION_MENU.length) return DURATION_MENU[n - 1][0];
    parseDuration(s);
    return s;
  });
}

/** Flag values, checked before anything is created. */
export function checkSessions(text: string): string[] {
  try {
    const list = parseSessionPatterns(text);
    if (list.length === 0) {
      throw new Error("at least one session pattern is needed (e.g. '*' or 'main,work-*')");
    }
    return list;
  } catch (e) {
    throw usageError(`--sessions: ${(e as Error).message}`);
  }
}

export function checkDuration(text: string, flag = "--expires"): number | null {
  try {
    return parseDuration(text);
  } catch (e) {
    throw usageError(`${flag}: ${(e as Error).message}`);
  }
}

/** A phone-chosen (or any stored) name, safe to print in the user's terminal. */
export function shown(name: string): string {
  return escapeControls(name);
}

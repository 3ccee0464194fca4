// Shell-style glob matching for device session patterns, without building a RegExp, so a
// pattern can neither inject regex syntax nor trigger catastrophic backtracking.
// Supported: `*`, `?`, `[abc]`, `[a-z]`, `[!x]` / `[^x]`; `]` first in a set is literal,
// `-` first or last in a set is literal, an unterminated `[` is literal. Everything else,
// backslash included, matches itself. Matching is case-sensitive, by Unicode code point.

type Token =
  | { kind: "char"; ch: string }
  | { kind: "any" }
  | { kind: "star" }
  | { kind: "set"; negate: boolean; ranges: Array<[number, number]> };

function parseSet(
  chars: string[],
  start: number,
): { token: Token; end: number } | null {
  let i = start;
  let negate = false;
  if (chars[i] === "!" || chars[i] === "^") {
    negate = true;
    i++;
  }
  const ranges: Array<[number, number]> = [];
  for (let first = true; i < chars.length; first = false) {
    const c = chars[i];
    if (c === "]" && !first) {
      return { token: { kind: "set", negate, ranges }, end: i };
    }
    const lo = c.codePointAt(0)!;
    if (chars[i + 1] === "-" && i + 2 < chars.length && chars[i + 2] !== "]") {
      ranges.push([lo, chars[i + 2].codePointAt(0)!]);
      i += 3;
    } else {
      ranges.push([lo, lo]);
      i++;
    }
  }
  return null;
}

function compile(pattern: string): Token[] {
  const chars = Array.from(pattern);
  const tokens: Token[] = [];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === "*") {
      if (tokens.at(-1)?.kind !== "star") tokens.push({ kind: "star" });
    } else if (c === "?") {
      tokens.push({ kind: "any" });
    } else {
      const set = c === "[" ? parseSet(chars, i + 1) : null;
      if (set) {
        tokens.push(set.token);
        i = set.end;
      } else {
        tokens.push({ kind: "char", ch: c });
      }
    }
  }
  return tokens;
}

function matchesOne(token: Token, ch: string): boolean {
  switch (token.kind) {
    case "char":
      return token.ch === ch;
    case "any":
      return true;
    case "set": {
      const cp = ch.codePointAt(0)!;
      return token.ranges.some(([lo, hi]) => lo <= cp && cp <= hi) !==
        token.negate;
    }
    case "star":
      return false;
  }
}

/** True when `name` matches the whole glob `pattern`. */
export function globMatch(pattern: string, name: string): boolean {
  const tokens = compile(pattern);
  const chars = Array.from(name);
  // Greedy scan that remembers only the last `*`: O(pattern × name) at worst.
  let t = 0;
  let s = 0;
  let starT = -1;
  let starS = 0;
  while (s < chars.length) {
    const token = tokens[t];
    if (token?.kind === "star") {
      starT = t++;
      starS = s;
    } else if (token && matchesOne(token, chars[s])) {
      t++;
      s++;
    } else if (starT >= 0) {
      t = starT + 1;
      s = ++starS;
    } else {
      return false;
    }
  }
  while (tokens[t]?.kind === "star") t++;
  return t === tokens.length;
}

/** True when `name` matches any of `patterns`; an empty list allows nothing. */
export function sessionAllowed(
  name: string,
  patterns: readonly string[],
): boolean {
  return patterns.some((p) => globMatch(p, name));
}

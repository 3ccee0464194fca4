// authorized_keys lines for gated device keys, as pure text functions. The file I/O
// (0600, atomic replace) belongs to the caller.
//
// Two quoting layers: sshd passes the `command="…"` value to the user's login shell
// (`$SHELL -c`), so each argv element is quoted for POSIX sh; then the value is put inside
// the option's double quotes, where sshd's only escape is `\"` (a backslash before
// anything else is kept as is, so backslashes must not be doubled).

import { fingerprintOfPublicKeyLine } from "./sshkey.ts";

// Words that mean the same to sh, bash and zsh when left unquoted (no `=`: zsh expands a
// leading `=cmd`; no `~`, globs, `#`, `!`, `^`).
const SAFE_WORD = /^[A-Za-z0-9_@%+:,./-]+$/;
const CONTROL = /\p{Cc}/u;

/** Quote one argument for sh; single quotes only when needed. */
export function shellQuote(arg: string): string {
  return SAFE_WORD.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

function checkText(what: string, value: string): void {
  if (CONTROL.test(value)) {
    throw new Error(
      `authorized_keys ${what} must not contain newlines, NUL or control characters`,
    );
  }
}

export interface GateKeyLine {
  /** argv of the forced command, e.g. `["/abs/handoff", "gate", "--home", "/x", "SHA256:…"]`. */
  command: string[];
  /** `ssh-ed25519 AAAA… comment` */
  publicKeyLine: string;
  /** OpenSSH `expiry-time` value (see expiry.ts `authorizedKeysExpiry`). */
  expiryTime?: string;
  /** OpenSSH `from` pattern list, e.g. `100.64.0.0/10`. */
  from?: string;
}

/** `restrict,pty[,expiry-time="…"][,from="…"],command="…" ssh-ed25519 AAAA… comment` */
export function authorizedKeysLine(entry: GateKeyLine): string {
  if (entry.command.length === 0) {
    throw new Error("authorized_keys: empty command");
  }
  entry.command.forEach((arg) => checkText("command", arg));
  checkText("public key", entry.publicKeyLine);
  fingerprintOfPublicKeyLine(entry.publicKeyLine); // throws unless it is a key line
  const options = ["restrict", "pty"];
  if (entry.expiryTime !== undefined) {
    if (!/^\d{8}(\d{4}(\d{2})?)?Z?$/.test(entry.expiryTime)) {
      throw new Error(
        `authorized_keys: invalid expiry-time ${JSON.stringify(entry.expiryTime)}`,
      );
    }
    options.push(`expiry-time="${entry.expiryTime}"`);
  }
  if (entry.from !== undefined) {
    if (!/^[A-Za-z0-9.:*?!,/_%-]+$/.test(entry.from)) {
      throw new Error(
        `authorized_keys: invalid from ${JSON.stringify(entry.from)}`,
      );
    }
    options.push(`from="${entry.from}"`);
  }
  // A quoted command never ends in a backslash, so the closing quote cannot be escaped.
  const command = entry.command.map(shellQuote).join(" ");
  options.push(`command="${command.replaceAll('"', '\\"')}"`);
  return `${options.join(",")} ${entry.publicKeyLine.trim()}`;
}

// Key types start the key part of a line; anything before them is the options field.
const KEY_TYPE = /^(ssh-|ecdsa-|sk-)/;

/** The options field of a key line (sshd's quote-aware scan), or null when there is none. */
function optionsField(line: string): string | null {
  const s = line.replace(/^[ \t]+/, "");
  if (s === "" || s.startsWith("#")) return null;
  let quoted = false;
  let i = 0;
  for (; i < s.length && (quoted || (s[i] !== " " && s[i] !== "\t")); i++) {
    if (s[i] === "\\" && s[i + 1] === '"') i++;
    else if (s[i] === '"') quoted = !quoted;
  }
  const field = s.slice(0, i);
  return KEY_TYPE.test(field) ? null : field;
}

/** A key line's options (`name` → dequoted value, null for a flag); null when malformed. */
export function lineOptions(line: string): Map<string, string | null> | null {
  const options = optionsField(line.replace(/\r$/, ""));
  const found = new Map<string, string | null>();
  if (options === null) return found;
  for (let i = 0; i < options.length;) {
    const name = /^[A-Za-z0-9-]+/.exec(options.slice(i))?.[0] ?? "";
    i += name.length;
    let value: string | null = null;
    if (options[i] === "=" && options[i + 1] === '"') {
      value = "";
      for (i += 2; i < options.length && options[i] !== '"'; i++) {
        if (options[i] === "\\" && options[i + 1] === '"') i++;
        value += options[i];
      }
      if (i >= options.length) return null; // missing end quote: sshd rejects the line
      i++;
    }
    if (!found.has(name.toLowerCase())) found.set(name.toLowerCase(), value);
    if (i < options.length && options[i] !== ",") return null;
    i++;
  }
  return found;
}

/** The dequoted `command="…"` value of a key line, or null. */
export function forcedCommandOf(line: string): string | null {
  return lineOptions(line)?.get("command") ?? null;
}

/** Split a command line the way sh would for plain words and quotes; null if unbalanced. */
export function shellSplit(command: string): string[] | null {
  const words: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < command.length; i++) {
    const c = command[i];
    if (c === " " || c === "\t") {
      if (word !== null) words.push(word);
      word = null;
    } else if (c === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) return null;
      word = (word ?? "") + command.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      word ??= "";
      for (i++; i < command.length && command[i] !== '"'; i++) {
        if (command[i] === "\\" && /[$`"\\]/.test(command[i + 1] ?? "")) i++;
        word += command[i];
      }
      if (i >= command.length) return null;
    } else if (c === "\\") {
      word = (word ?? "") + (command[++i] ?? "");
    } else {
      word = (word ?? "") + c;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

/** True when the line's forced command is `… gate … <fingerprint>` for exactly `fingerprint`. */
export function isGateLineFor(line: string, fingerprint: string): boolean {
  const command = forcedCommandOf(line);
  const argv = command === null ? null : shellSplit(command);
  return argv !== null && argv.length >= 2 && argv.at(-1) === fingerprint &&
    argv.slice(0, -1).includes("gate");
}

/** Drop this device's gate lines; every other line (and comment) is kept byte for byte. */
export function removeGateLines(
  text: string,
  fingerprint: string,
): { text: string; removed: number } {
  if (fingerprint === "") throw new Error("removeGateLines: empty fingerprint");
  const lines = text.split("\n");
  const kept = lines.filter((l) => !isGateLineFor(l, fingerprint));
  return { text: kept.join("\n"), removed: lines.length - kept.length };
}

export function hasGateLine(text: string, fingerprint: string): boolean {
  return text.split("\n").some((l) => isGateLineFor(l, fingerprint));
}

/** What a device's gate line grants beyond the forced command. */
export interface InstalledLine {
  /** `ssh-ed25519 AAAA… comment`, verified to have the line's fingerprint. */
  key: string;
  /** The line's `from=` patterns, if any. */
  from: string | null;
  /** The line's `expiry-time=` as an instant (ms), if any. */
  expiresMs: number | null;
}

/** sshd's `expiry-time` (`YYYYMMDD[HHMM[SS]]`, local time unless it ends in `Z`) → ms. */
export function parseExpiryTime(text: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?(Z?)$/.exec(text);
  if (!m) return null;
  const [y, mo, d, h = "0", mi = "0", sec = "0"] = m.slice(1, 7).map((x) => x ?? "0");
  const parts = [Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec)] as const;
  return m[7] ? Date.UTC(...parts) : new Date(...parts).getTime();
}

/**
 * This device's gate line, when its key really has that fingerprint; null when there is no
 * such line, or its key is not the fingerprint's (the forced command's identity would then
 * be a lie).
 */
export function installedLine(text: string, fingerprint: string): InstalledLine | null {
  for (const line of text.split("\n")) {
    if (!isGateLineFor(line, fingerprint)) continue;
    const options = optionsField(line.replace(/\r$/, "")) ?? "";
    const key = line.replace(/^[ \t]+/, "").slice(options.length).trim();
    try {
      if (fingerprintOfPublicKeyLine(key) !== fingerprint) continue;
    } catch {
      continue; // not a key: look on
    }
    const opts = lineOptions(line);
    const expiry = opts?.get("expiry-time");
    return {
      key,
      from: opts?.get("from") ?? null,
      expiresMs: expiry ? parseExpiryTime(expiry) ?? 0 : null, // unreadable: already expired
    };
  }
  return null;
}

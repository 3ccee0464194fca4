// The authorized_keys file on disk. Every edit is read → change → write a temp file (0600)
// in the same directory → rename, so sshd never reads half a file and other lines (the
// user's own keys, comments) survive byte for byte. Callers serialise edits by holding the
// database write lock (`withKeysLock`), so two handoff processes cannot lose each other's
// lines.

import { writeFileAtomic } from "../../core/files.ts";
import { dirname, join } from "../../core/path.ts";
import type { Db } from "../../core/store.ts";
import { transaction } from "../../core/store.ts";
import { userHome } from "../../core/paths.ts";
import {
  hasGateLine,
  type InstalledLine,
  installedLine,
  removeGateLines,
} from "./authorized_keys.ts";

export function defaultAuthorizedKeys(): string {
  return join(userHome(), ".ssh", "authorized_keys");
}

/** Runs `fn` while holding the database's write lock (BEGIN IMMEDIATE). */
export function withKeysLock<T>(db: Db, fn: () => T): T {
  return transaction(db, fn);
}

// A symlinked authorized_keys (dotfile managers) is edited where it points.
function realTarget(file: string): string {
  try {
    return Deno.realPathSync(file);
  } catch {
    return file;
  }
}

function readOrEmpty(file: string): string {
  try {
    return Deno.readTextFileSync(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "";
    throw e;
  }
}

/**
 * The directory named in the path (~/.ssh) is made 0700, as ssh expects. If the file is a
 * symlink elsewhere, that directory only loses group/world write (sshd's StrictModes
 * refuses keys there), so a dotfiles checkout keeps its other modes.
 */
function secureDirs(file: string, target: string): void {
  const dir = dirname(file);
  Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
  Deno.chmodSync(dir, 0o700);
  const real = dirname(target);
  if (real !== dir) {
    const mode = (Deno.statSync(real).mode ?? 0o755) & 0o7777;
    if (mode & 0o022) Deno.chmodSync(real, mode & ~0o022);
  }
}

/** Appends one line (the file ends with a newline afterwards). */
export function addKeyLine(file: string, line: string): void {
  const target = realTarget(file);
  secureDirs(file, target);
  const text = readOrEmpty(target);
  const sep = text === "" || text.endsWith("\n") ? "" : "\n";
  writeFileAtomic(target, `${text}${sep}${line}\n`, 0o600);
}

/** Removes this fingerprint's gate lines; returns how many there were. */
export function removeKeyLines(file: string, fingerprint: string): number {
  const target = realTarget(file);
  secureDirs(file, target);
  const text = readOrEmpty(target);
  const { text: kept, removed } = removeGateLines(text, fingerprint);
  if (removed > 0) writeFileAtomic(target, kept, 0o600);
  return removed;
}

/** Replaces this fingerprint's gate lines with `line` (e.g. a new expiry). */
export function replaceKeyLine(file: string, fingerprint: string, line: string): void {
  const target = realTarget(file);
  secureDirs(file, target);
  const { text } = removeGateLines(readOrEmpty(target), fingerprint);
  const sep = text === "" || text.endsWith("\n") ? "" : "\n";
  writeFileAtomic(target, `${text}${sep}${line}\n`, 0o600);
}

export function fileHasKeyLine(file: string, fingerprint: string): boolean {
  return hasGateLine(readOrEmpty(realTarget(file)), fingerprint);
}

/** This fingerprint's gate line (its key verified), if the file has one. */
export function installedLineOf(file: string, fingerprint: string): InstalledLine | null {
  return installedLine(readOrEmpty(realTarget(file)), fingerprint);
}

/**
 * POSIX path functions with node:path's results (tests/path_test.ts compares them).
 * Importing any `node:` module but node:sqlite starts Deno's Node compatibility layer,
 * which costs 11–16 ms on this machine: paid by every gate call, every `notify` and every
 * run. handoff runs on Linux and macOS only, so the POSIX half of node:path is all it needs.
 */

/** `a/./b/../c` → `a/c`; keeps a leading `/` and leading `..` of a relative path. */
export function normalize(p: string): string {
  if (p === "") return ".";
  const absolute = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length && out[out.length - 1] !== "..") out.pop();
      else if (!absolute) out.push("..");
    } else out.push(part);
  }
  const body = out.join("/");
  const trailing = p.endsWith("/") && body !== "" ? "/" : "";
  if (absolute) return `/${body}${trailing}`;
  return body === "" ? (p.endsWith("/") ? "./" : ".") : body + trailing;
}

/** The parts joined with `/` and normalized. */
export function join(...parts: string[]): string {
  const joined = parts.filter((p) => p !== "").join("/");
  return joined === "" ? "." : normalize(joined);
}

/** An absolute path: the parts from the right up to the first absolute one, on the cwd. */
export function resolve(...parts: string[]): string {
  let path = "";
  for (let i = parts.length - 1; i >= 0 && !path.startsWith("/"); i--) {
    if (parts[i] !== "") path = path === "" ? parts[i] : `${parts[i]}/${path}`;
  }
  if (!path.startsWith("/")) path = `${Deno.cwd()}/${path}`;
  const n = normalize(path);
  return n.length > 1 && n.endsWith("/") ? n.slice(0, -1) : n;
}

export function isAbsolute(p: string): boolean {
  return p.startsWith("/");
}

/** Trailing slashes removed, except for the root itself. */
function trimEnd(p: string): string {
  let end = p.length;
  while (end > 1 && p[end - 1] === "/") end--;
  return p.slice(0, end);
}

export function dirname(p: string): string {
  if (p === "") return ".";
  const t = trimEnd(p);
  const i = t.lastIndexOf("/");
  if (i === -1) return ".";
  // Like node:path, only the slash before the last part goes: `/a//b` → `/a/`.
  return i === 0 ? "/" : t.slice(0, i);
}

/** The last part; `ext` is cut off its end when it is not the whole name. */
export function basename(p: string, ext?: string): string {
  const t = trimEnd(p);
  const base = t === "/" ? "" : t.slice(t.lastIndexOf("/") + 1);
  if (ext && base !== ext && base.endsWith(ext)) return base.slice(0, -ext.length);
  return base;
}

/** The path from `from` to `to` (both resolved first). */
export function relative(from: string, to: string): string {
  const a = resolve(from).split("/").filter(Boolean);
  const b = resolve(to).split("/").filter(Boolean);
  let common = 0;
  while (common < a.length && common < b.length && a[common] === b[common]) common++;
  return [...a.slice(common).map(() => ".."), ...b.slice(common)].join("/");
}

/** A `file:` URL's path (the inverse of `toFileUrl`). */
export function fromFileUrl(url: string | URL): string {
  const u = typeof url === "string" ? new URL(url) : url;
  if (u.protocol !== "file:") throw new TypeError(`not a file URL: ${u.href}`);
  return decodeURIComponent(u.pathname);
}

/** The `file:` URL of an absolute path, with the characters a URL path cannot hold escaped. */
export function toFileUrl(path: string): URL {
  if (!isAbsolute(path)) throw new TypeError(`not an absolute path: ${path}`);
  const url = new URL("file:///");
  url.pathname = path.replace(/%/g, "%25").replace(/\\/g, "%5C").replace(/\n/g, "%0A")
    .replace(/\r/g, "%0D").replace(/\t/g, "%09").replace(/#/g, "%23").replace(/\?/g, "%3F");
  return url;
}

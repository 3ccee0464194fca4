/**
 * Where `handoff plugin add` gets a plugin: a local directory (linked), a git URL, a
 * GitHub `owner/repo[@ref]`, an npm package, or a tarball URL. `parseSource` is pure;
 * `fetchSource` brings the plugin into a staging folder and says what it resolved to.
 */
import { isAbsolute, join, resolve } from "../../core/path.ts";
import { HandoffError, usageError } from "../../core/errors.ts";
import { expandHome } from "../../core/paths.ts";
import type { SourceKind } from "../../core/plugin/lock.ts";

export type SourceSpec =
  | { kind: "dir"; path: string }
  | { kind: "git" | "github"; url: string; ref: string | null }
  | { kind: "npm"; pkg: string; version: string | null }
  | { kind: "tarball"; url: string };

const NPM_NAME = /^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;
const GITHUB = /^([A-Za-z0-9][A-Za-z0-9-]{0,38})\/([A-Za-z0-9._-]{1,100})(?:@([^\s@]+))?$/;
const GIT_REF = /^[A-Za-z0-9][A-Za-z0-9._\/-]{0,199}$/;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

function checkRef(ref: string | null, text: string): string | null {
  if (ref !== null && (!GIT_REF.test(ref) || ref.includes(".."))) {
    throw usageError(`${text}: "${ref}" is not a git ref (a branch, tag or commit)`);
  }
  return ref;
}

/**
 * Reads what the user typed. `isDir` says whether a path names a directory (a bare
 * `owner/repo` that exists on disk is the directory).
 */
export function parseSource(text: string, cwd: string, isDir: (p: string) => boolean): SourceSpec {
  const t = text.trim();
  if (t.startsWith("npm:")) {
    const rest = t.slice(4);
    const at = rest.lastIndexOf("@");
    const [pkg, version] = at > 0 ? [rest.slice(0, at), rest.slice(at + 1)] : [rest, null];
    if (!NPM_NAME.test(pkg) || version === "") {
      throw usageError(`${t}: not an npm package (npm:name, npm:@scope/name@1.2.3)`);
    }
    if (version !== null && !/^[A-Za-z0-9.^~<>=*|+ -]{1,100}$/.test(version)) {
      throw usageError(`${t}: "${version}" is not an npm version or range`);
    }
    return { kind: "npm", pkg, version };
  }
  if (/^https?:\/\//.test(t) && /\.(tgz|tar\.gz)$/.test(new URL(t).pathname)) {
    const u = new URL(t);
    if (u.protocol === "http:" && !LOOPBACK.has(u.hostname)) {
      throw usageError(`${t}: a tarball comes over https (http only from this machine)`);
    }
    return { kind: "tarball", url: u.href };
  }
  if (/^(file|https?|ssh|git):\/\//.test(t) || /^[\w.-]+@[\w.-]+:/.test(t)) {
    const hash = t.indexOf("#");
    const url = hash >= 0 ? t.slice(0, hash) : t;
    return { kind: "git", url, ref: checkRef(hash >= 0 ? t.slice(hash + 1) : null, t) };
  }
  const path = resolve(cwd, expandHome(t));
  if (t.startsWith(".") || t.startsWith("~") || isAbsolute(t) || isDir(path)) {
    if (!isDir(path)) throw usageError(`${t}: no such directory`);
    return { kind: "dir", path };
  }
  const gh = GITHUB.exec(t);
  if (gh) {
    return {
      kind: "github",
      url: `https://github.com/${gh[1]}/${gh[2].replace(/\.git$/, "")}.git`,
      ref: checkRef(gh[3] ?? null, t),
    };
  }
  throw usageError(
    `${t}: not a plugin source`,
    "give a directory (./my-plugin), a git URL (https://…/x.git, file:///…/x.git#v1), " +
      "owner/repo[@ref], npm:package[@version], or an https URL of a .tgz",
  );
}

/** A fetched plugin: the folder holding its manifest, and what the source resolved to. */
export interface Fetched {
  dir: string;
  resolved: string | null;
  kind: SourceKind;
  linked: boolean;
}

async function run(argv: string[], what: string, cwd?: string): Promise<string> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(argv[0], {
      args: argv.slice(1),
      cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { GIT_TERMINAL_PROMPT: "0" },
    }).output();
  } catch (e) {
    throw new HandoffError(
      `${what}: cannot run ${argv[0]}: ${(e as Error).message}`,
      1,
      `install ${argv[0]}`,
    );
  }
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" ");
    throw new HandoffError(`${what} failed: ${err || `${argv[0]} exited ${out.code}`}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/**
 * Why a tarball is refused, from its listings (`tar -tzf` names, `tar -tvzf` long form):
 * a member that is not a plain file or folder (a link could point anywhere), or a name
 * that leaves the folder. Pure.
 */
export function unsafeMember(names: string, long: string): string | null {
  for (const line of long.split("\n")) {
    if (line.trim() !== "" && !/^[-d]/.test(line)) {
      return `${line.trim()} is not a plain file or folder`;
    }
  }
  for (const name of names.split("\n")) {
    if (name.startsWith("/") || name.split("/").includes("..")) return `${name} leaves the folder`;
  }
  return null;
}

/** Unpacks a tarball; the plugin is its only top folder, or the archive's root. */
async function untar(file: string, into: string): Promise<string> {
  Deno.mkdirSync(into, { recursive: true });
  const problem = unsafeMember(
    await run(["tar", "-tzf", file], "reading the tarball"),
    await run(["tar", "-tvzf", file], "reading the tarball"),
  );
  if (problem) throw new HandoffError(`the tarball is refused: ${problem}`);
  await run(["tar", "-xzf", file, "-C", into, "--no-same-owner"], "unpacking the tarball");
  const top = [...Deno.readDirSync(into)];
  return top.length === 1 && top[0].isDirectory ? join(into, top[0].name) : into;
}

const MAX_TARBALL = 64 << 20;

async function download(url: string, file: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(60_000), redirect: "follow" });
  } catch (e) {
    throw new HandoffError(`downloading ${url} failed: ${(e as Error).message}`);
  }
  if (!res.ok) throw new HandoffError(`downloading ${url} failed: HTTP ${res.status}`);
  const data = new Uint8Array(await res.arrayBuffer());
  if (data.length > MAX_TARBALL) throw new HandoffError(`${url} is over ${MAX_TARBALL >> 20} MiB`);
  Deno.writeFileSync(file, data, { mode: 0o600 });
  const { createHash } = await import("node:crypto");
  return createHash("sha256").update(data).digest("hex");
}

/** Brings the plugin into `staging` (a fresh folder), except a directory, which is used as it is. */
export async function fetchSource(spec: SourceSpec, staging: string): Promise<Fetched> {
  switch (spec.kind) {
    case "dir":
      return { dir: Deno.realPathSync(spec.path), resolved: null, kind: "dir", linked: true };
    case "git":
    case "github": {
      const dir = join(staging, "src");
      const shaRef = spec.ref !== null && /^[0-9a-f]{40}$/.test(spec.ref);
      await run(
        [
          "git",
          "clone",
          "--quiet",
          ...(shaRef ? [] : ["--depth", "1"]),
          ...(spec.ref && !shaRef ? ["--branch", spec.ref] : []),
          "--",
          spec.url,
          dir,
        ],
        `git clone ${spec.url}`,
      );
      if (shaRef) {
        await run(["git", "-C", dir, "checkout", "--quiet", spec.ref!], `git checkout ${spec.ref}`);
      }
      const commit = (await run(["git", "-C", dir, "rev-parse", "HEAD"], "git rev-parse")).trim();
      return { dir, resolved: commit, kind: spec.kind, linked: false };
    }
    case "npm": {
      const what = spec.version ? `${spec.pkg}@${spec.version}` : spec.pkg;
      const out = await run(
        ["npm", "pack", what, "--json", "--silent", "--pack-destination", staging],
        `npm pack ${what}`,
        staging,
      );
      let packed: { filename?: string; version?: string }[];
      try {
        packed = JSON.parse(out);
      } catch {
        throw new HandoffError(`npm pack ${what} printed something that is not JSON`);
      }
      const file = [...Deno.readDirSync(staging)].find((e) => e.name.endsWith(".tgz"))?.name;
      if (!file) throw new HandoffError(`npm pack ${what} made no tarball`);
      const dir = await untar(join(staging, file), join(staging, "src"));
      return { dir, resolved: packed[0].version ?? null, kind: "npm", linked: false };
    }
    case "tarball": {
      const file = join(staging, "plugin.tgz");
      const sha = await download(spec.url, file);
      return {
        dir: await untar(file, join(staging, "src")),
        resolved: `sha256:${sha}`,
        kind: "tarball",
        linked: false,
      };
    }
  }
}

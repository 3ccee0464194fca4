/**
 * `$HANDOFF_HOME/config.yaml`: what the user says (backends, models, env). How a backend
 * type launches lives in code (backends/), not here. Every problem is reported as
 * `file:line:col: message` with exit 2, before anything starts.
 */
import { dirname, join, resolve } from "./path.ts";
import { expandHome, paths, userHome } from "./paths.ts";
import { checkTemplate, renderTemplate, TemplateError } from "./template.ts";
import { HandoffError, usageError } from "./errors.ts";

export interface BackendConfig {
  name: string;
  type: string;
  model: string;
  proModel: string | null;
  /** The CLI executable (default: the type's own, e.g. `claude`). */
  command: string | null;
  /** Arguments before handoff's own (`args:`, or the rest of a `command:` line). */
  args: string[];
  /** The agent's session mode (ACP `session/set_mode`), when the type has modes. */
  mode: string | null;
  permissionMode: string;
  systemPrompt: string | null;
  /** Raw templates; resolved per run by `resolveBackendEnv`. */
  env: Record<string, string>;
  description: string | null;
  /** `file:line:col` of the backend's entry, for messages. */
  where: string;
}

export interface Config {
  file: string;
  backends: BackendConfig[];
  systemPrompt: string;
  warnings: string[];
}

/** The built-in instruction appended to claude-type runs: hand-offs run unattended. */
export const DEFAULT_SYSTEM_PROMPT =
  "You received a complete task from another agent. Carry it out to the end without " +
  "stopping to ask questions: do not ask whether to start, do not offer options to pick " +
  "from, do not stop after an analysis to wait for instructions. Understand the task, " +
  "make the changes, and report the result. Where the task is ambiguous, choose the most " +
  "reasonable default and say which one you chose.";

const BACKEND_KEYS = [
  "type",
  "model",
  "pro_model",
  "command",
  "args",
  "mode",
  "permission_mode",
  "system_prompt",
  "env",
  "description",
];
const TOP_KEYS = ["backends", "include", "system_prompt", "plugins"];
/** Keys of the seed tool that are now ignored (mechanism lives in code). */
const LEGACY_TOP_KEYS = [
  "type_defaults",
  "backend_types",
  "backend_template",
  "fast_backend",
  "default_model",
  "pro_model",
  "default_backend",
  "tui",
];
const LEGACY_BACKEND_KEYS = [
  "pty",
  "session_flags",
  "session_id_flags",
  "continue_id_flags",
  "resume_flags",
];

/** What the config needs to know of a backend type (a registered launcher has it). */
export interface BackendTypeInfo {
  permissionModes: readonly string[];
  defaultPermissionMode: string;
  /** True when the type has no sensible default CLI, so `command` must be set (acp). */
  commandRequired?: boolean;
  /** The model when the config names none (acp: the agent's own); else `model` is required. */
  defaultModel?: string;
}

type Lookup = (type: string) => BackendTypeInfo | undefined;

interface Source {
  file: string;
  text: string;
  lineStarts: number[];
}

function position(src: Source, offset: number): string {
  let line = 0;
  while (
    line + 1 < src.lineStarts.length && src.lineStarts[line + 1] <= offset
  ) line++;
  return `${src.file}:${line + 1}:${offset - src.lineStarts[line] + 1}`;
}

/** A template's advice (an unset variable: what to export), when the error has one. */
const hintOf = (e: unknown) => e instanceof TemplateError ? e.hint : undefined;

function configError(
  where: string,
  message: string,
  hint?: string,
): HandoffError {
  return usageError(`${where}: ${message}`, hint);
}

/** A plain value plus where each mapping entry came from. */
interface Located {
  value: unknown;
  where: Map<string, string>;
}

async function parseFile(file: string): Promise<Located> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw usageError(
        `no config at ${file}`,
        "run `handoff init` to write a commented template, then edit its backends",
      );
    }
    throw usageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const cache = readParseCache();
  const hit = cache[file];
  if (hit?.text === text && isMap(hit.value) && validWhere(hit.where)) {
    return { value: hit.value, where: new Map(hit.where) };
  }
  const parsed = await parseYaml(file, text);
  saveParse(cache, file, text, parsed);
  return parsed;
}

async function parseYaml(file: string, text: string): Promise<Located> {
  const YAML = await import("./yaml.ts");
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\n") lineStarts.push(i + 1);
  }
  const src: Source = { file, text, lineStarts };
  const doc = YAML.parseDocument(text, {
    prettyErrors: false,
    uniqueKeys: true,
  });
  const first = doc.errors[0];
  if (first) {
    throw configError(
      position(src, first.pos[0]),
      first.message.split("\n")[0],
      "fix the YAML syntax (indentation, quotes, a missing colon)",
    );
  }
  const where = new Map<string, string>();
  const visit = (node: unknown, path: string) => {
    if (YAML.isMap(node)) {
      for (const pair of node.items) {
        const key = YAML.isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const p = path ? `${path}.${key}` : key;
        const range = (pair.key as { range?: number[] } | null)?.range;
        if (range) where.set(p, position(src, range[0]));
        visit(pair.value, p);
      }
    } else if (YAML.isSeq(node)) {
      node.items.forEach((item, i) => {
        const range = (item as { range?: number[] } | null)?.range;
        if (range) where.set(`${path}[${i}]`, position(src, range[0]));
        visit(item, `${path}[${i}]`);
      });
    }
  };
  visit(doc.contents, "");
  where.set("", `${file}:1:1`);
  return { value: doc.toJS() ?? {}, where };
}

/**
 * The last parses, by file, with the text they were made from: loading the YAML parser
 * and its first parse cost ~20 ms, paid by every run. Used only when the file's text is
 * the same, byte for byte; a value JSON cannot carry exactly (`.inf`) is not kept.
 */
interface ParseCache {
  [file: string]: { text: string; value: unknown; where: [string, string][] };
}

const PARSE_CACHE_ENTRIES = 8;

function parseCacheFile(): string {
  return join(paths().home, "cache", "config-parse.json");
}

function readParseCache(): ParseCache {
  try {
    const c = JSON.parse(Deno.readTextFileSync(parseCacheFile()));
    return isMap(c) ? c as ParseCache : {};
  } catch {
    return {};
  }
}

/** A damaged cache entry is parsed again, never trusted. */
function validWhere(w: unknown): w is [string, string][] {
  return Array.isArray(w) &&
    w.every((e) =>
      Array.isArray(e) && e.length === 2 && typeof e[0] === "string" && typeof e[1] === "string"
    );
}

function jsonExact(v: unknown): boolean {
  if (v === null || typeof v === "string" || typeof v === "boolean") return true;
  if (typeof v === "number") return Number.isFinite(v) && !Object.is(v, -0);
  if (Array.isArray(v)) return v.every(jsonExact);
  return isMap(v) && Object.getPrototypeOf(v) === Object.prototype &&
    Object.values(v).every(jsonExact);
}

function saveParse(cache: ParseCache, file: string, text: string, parsed: Located): void {
  if (!jsonExact(parsed.value)) return;
  delete cache[file];
  const kept = Object.entries(cache).slice(-(PARSE_CACHE_ENTRIES - 1));
  const next = Object.fromEntries([
    ...kept,
    [file, { text, value: parsed.value, where: [...parsed.where] }],
  ]);
  const target = parseCacheFile();
  const tmp = `${target}.${Deno.pid}.tmp`;
  try {
    // Inside an existing home only: reading a config never creates a home.
    Deno.mkdirSync(dirname(target), { mode: 0o700 });
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) return;
  }
  try {
    Deno.writeTextFileSync(tmp, JSON.stringify(next), { mode: 0o600 });
    Deno.renameSync(tmp, target);
  } catch {
    // A read-only home only loses the speed-up.
    try {
      Deno.removeSync(tmp);
    } catch { /* never written */ }
  }
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Deep merge: mappings merge key by key, anything else is replaced. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isMap(base) || !isMap(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

/**
 * Reads a file and the files it includes (`include:` string or list; `~` and ${VAR}
 * expanded; relative to the including file). Included files merge first, then the
 * including file on top.
 */
async function readWithIncludes(
  file: string,
  seen: Set<string>,
  where: Map<string, string>,
): Promise<Record<string, unknown>> {
  const real = resolve(file);
  if (seen.has(real)) return {};
  seen.add(real);
  const parsed = await parseFile(real);
  for (const [k, v] of parsed.where) if (!where.has(k)) where.set(k, v);
  if (!isMap(parsed.value)) {
    throw configError(
      `${real}:1:1`,
      "the config must be a mapping (key: value)",
    );
  }
  const doc = parsed.value;
  const inc = doc.include;
  let merged: Record<string, unknown> = {};
  if (inc !== undefined && inc !== null) {
    const list = Array.isArray(inc) ? inc : [inc];
    for (const [i, item] of list.entries()) {
      const at = parsed.where.get(Array.isArray(inc) ? `include[${i}]` : "include") ??
        `${real}:1:1`;
      if (typeof item !== "string" || !item) {
        throw configError(at, "include entries must be file paths");
      }
      let target: string;
      try {
        target = expandHome(
          renderTemplate(item, Deno.env.toObject(), { home: userHome() }),
        );
      } catch (e) {
        throw configError(at, `include ${item}: ${(e as Error).message}`, hintOf(e));
      }
      target = resolve(dirname(real), target);
      try {
        Deno.statSync(target);
      } catch {
        throw configError(at, `included file not found: ${target}`);
      }
      merged = deepMerge(
        merged,
        await readWithIncludes(target, seen, where),
      ) as Record<
        string,
        unknown
      >;
    }
  }
  const own = { ...doc };
  delete own.include;
  return deepMerge(merged, own) as Record<string, unknown>;
}

export async function loadConfig(
  lookup: Lookup,
  file = paths().config,
): Promise<Config> {
  const where = new Map<string, string>();
  const doc = await readWithIncludes(file, new Set(), where);
  const at = (p: string) => where.get(p) ?? `${file}:1:1`;
  const warnings: string[] = [];

  for (const key of Object.keys(doc)) {
    if (LEGACY_TOP_KEYS.includes(key)) {
      warnings.push(
        `${
          at(key)
        }: "${key}" is no longer used and was ignored (backends carry their own model and pro_model)`,
      );
    } else if (!TOP_KEYS.includes(key)) {
      throw configError(at(key), `unknown key "${key}" (known: ${TOP_KEYS.join(", ")})`);
    }
  }

  if (doc.plugins !== undefined && doc.plugins !== null && !isMap(doc.plugins)) {
    throw configError(at("plugins"), "plugins must map plugin names to their settings");
  }

  let systemPrompt = DEFAULT_SYSTEM_PROMPT;
  if (doc.system_prompt !== undefined && doc.system_prompt !== null) {
    if (typeof doc.system_prompt !== "string") {
      throw configError(at("system_prompt"), "system_prompt must be a string");
    }
    systemPrompt = doc.system_prompt;
  }

  const backendsRaw = doc.backends;
  if (!isMap(backendsRaw) || Object.keys(backendsRaw).length === 0) {
    throw configError(
      at(backendsRaw === undefined ? "" : "backends"),
      "no backends configured: `backends:` must map names to backend settings",
      "run `handoff init` to see a commented template",
    );
  }

  const backends: BackendConfig[] = [];
  for (const [name, raw] of Object.entries(backendsRaw)) {
    const base = `backends.${name}`;
    const here = at(base);
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
      throw configError(
        here,
        `backend name "${name}" may only use letters, digits, "_", "." and "-"`,
      );
    }
    if (!isMap(raw)) {
      throw configError(here, `backend "${name}" must be a mapping`);
    }
    for (const key of Object.keys(raw)) {
      if (LEGACY_BACKEND_KEYS.includes(key)) {
        warnings.push(
          `${
            at(`${base}.${key}`)
          }: "${key}" is ignored: how a backend type launches lives in handoff itself`,
        );
      } else if (!BACKEND_KEYS.includes(key)) {
        throw configError(
          at(`${base}.${key}`),
          `unknown key "${key}" in backend "${name}" (known: ${BACKEND_KEYS.join(", ")})`,
        );
      }
    }
    const str = (key: string, required: boolean): string | null => {
      const v = raw[key];
      if (v === undefined || v === null || v === "") {
        if (required) {
          throw configError(here, `backend "${name}" needs a "${key}"`);
        }
        return null;
      }
      if (typeof v !== "string" && typeof v !== "number") {
        throw configError(at(`${base}.${key}`), `"${key}" must be a string`);
      }
      const s = String(v);
      const problem = checkTemplate(s);
      if (problem) throw configError(at(`${base}.${key}`), problem);
      return s;
    };
    const type = str("type", false) ?? "claude";
    const launcher = lookup(type);
    if (!launcher) {
      throw configError(
        at(`${base}.type`),
        `backend "${name}" has unknown type "${type}"`,
      );
    }
    const mode = str("permission_mode", false) ??
      launcher.defaultPermissionMode;
    if (!launcher.permissionModes.includes(mode)) {
      throw configError(
        at(`${base}.permission_mode`),
        `permission_mode "${mode}" is not one of: ${launcher.permissionModes.join(", ")}`,
      );
    }
    const envRaw = raw.env ?? {};
    if (!isMap(envRaw)) {
      throw configError(
        at(`${base}.env`),
        "env must be a mapping of NAME: value",
      );
    }
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(envRaw)) {
      const loc = at(`${base}.env.${k}`);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) {
        throw configError(
          loc,
          `"${k}" is not a valid environment variable name`,
        );
      }
      if (v === null || v === undefined) continue;
      if (typeof v === "object") {
        throw configError(loc, `env ${k} must be a string`);
      }
      const s = String(v);
      const problem = checkTemplate(s);
      if (problem) throw configError(loc, problem);
      env[k] = s;
    }
    let command = str("command", false);
    let args: string[] = [];
    if (raw.args !== undefined && raw.args !== null) {
      if (!Array.isArray(raw.args) || raw.args.some((a) => typeof a !== "string")) {
        throw configError(at(`${base}.args`), "args must be a list of strings");
      }
      args = raw.args.map(String);
    } else if (command && /\s/.test(command.trim())) {
      // One command line, split on spaces without a shell: `command: gemini --acp`.
      [command, ...args] = command.trim().split(/\s+/);
    }
    if (!command && launcher.commandRequired) {
      throw configError(
        here,
        `backend "${name}" needs a "command": it is required for type ${type}`,
        `name the agent to run, e.g. command: gemini --acp`,
      );
    }
    backends.push({
      name,
      type,
      model: str("model", !launcher.defaultModel) ?? launcher.defaultModel!,
      proModel: str("pro_model", false),
      command,
      args,
      mode: str("mode", false),
      permissionMode: mode,
      systemPrompt: str("system_prompt", false),
      env,
      description: str("description", false),
      where: here,
    });
  }
  return { file, backends, systemPrompt, warnings };
}

export function findBackend(config: Config, name?: string): BackendConfig {
  if (!name) return config.backends[0];
  const b = config.backends.find((x) => x.name === name);
  if (!b) {
    throw usageError(
      `unknown backend "${name}". Available: ${config.backends.map((x) => x.name).join(", ")}`,
      `add it under backends: in ${config.file}`,
    );
  }
  return b;
}

/** Resolves a value (model, command) with ${VAR} and {home}; errors name the backend. */
export function resolveValue(
  b: BackendConfig,
  key: string,
  template: string,
): string {
  try {
    return renderTemplate(template, Deno.env.toObject(), { home: userHome() });
  } catch (e) {
    throw usageError(`${b.where}: backend "${b.name}" ${key}: ${(e as Error).message}`, hintOf(e));
  }
}

/** The backend's env block for one run: ${VAR} from the environment, {model}/{cwd} filled. */
export function resolveBackendEnv(
  b: BackendConfig,
  values: { model: string; cwd: string; runId: string },
  env = Deno.env.toObject(),
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, t] of Object.entries(b.env)) {
    try {
      out[k] = renderTemplate(t, env, {
        model: values.model,
        pro_model: b.proModel ?? b.model,
        cwd: values.cwd,
        home: userHome(),
        run_id: values.runId,
      });
    } catch (e) {
      if (e instanceof TemplateError) {
        throw usageError(`${b.where}: backend "${b.name}" env ${k}: ${e.message}`, hintOf(e));
      }
      throw e;
    }
  }
  return out;
}

/** Catches the template's placeholder token before a run wastes a round trip on it. */
export function checkToken(
  b: BackendConfig,
  env: Record<string, string>,
  file: string,
): void {
  for (
    const key of ["ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY", "OPENAI_API_KEY"]
  ) {
    if (!(key in env)) continue;
    const v = env[key].trim();
    if (v === "") {
      throw usageError(
        `backend "${b.name}" has an empty ${key}`,
        `set it in ${file}, or export the environment variable it references`,
      );
    }
    if (v.startsWith("<")) {
      throw usageError(
        `backend "${b.name}" still uses the placeholder ${key} ${v}`,
        `edit ${file} and set a real token (or reference one with \${VAR})`,
      );
    }
  }
}

/** One key of a plugin's settings, as its manifest declares it. */
export interface PluginSettingDecl {
  type: "string" | "number" | "boolean";
  required: boolean;
}

/**
 * A plugin's own settings: `plugins: { <name>: {…} }` in config.yaml (includes merged),
 * checked against the keys its manifest declares; `{}` when there is no config file.
 * `render: false` keeps strings as written (`${VAR}` unresolved), for showing them.
 */
export async function loadPluginSettings(
  name: string,
  decl: Record<string, PluginSettingDecl>,
  file = paths().config,
  opts: { render?: boolean } = {},
): Promise<Record<string, unknown>> {
  const where = new Map<string, string>();
  let doc: Record<string, unknown>;
  let exists = true;
  try {
    doc = await readWithIncludes(file, new Set(), where);
  } catch (e) {
    if (!(e instanceof HandoffError && e.message.startsWith("no config at"))) throw e;
    doc = {};
    exists = false;
  }
  const at = (p: string) => where.get(p) ?? (exists ? `${file}:1:1` : `${file} (no such file)`);
  const plugins = doc.plugins ?? {};
  if (!isMap(plugins)) {
    throw configError(at("plugins"), "plugins must map plugin names to their settings");
  }
  const raw = (Object.hasOwn(plugins, name) ? plugins[name] : null) ?? {};
  const base = `plugins.${name}`;
  if (!isMap(raw)) throw configError(at(base), `${base} must be a mapping`);
  for (const key of Object.keys(raw)) {
    if (!Object.hasOwn(decl, key)) {
      const known = Object.keys(decl);
      throw configError(
        at(`${base}.${key}`),
        `unknown key "${key}" for plugin ${name} (known: ${
          known.length ? known.join(", ") : "none"
        })`,
      );
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, d] of Object.entries(decl)) {
    const v = Object.hasOwn(raw, key) ? raw[key] : undefined;
    if (v === undefined || v === null) {
      if (d.required) {
        throw configError(
          at(base),
          `plugin ${name} needs "${key}" (${d.type})`,
          `add it to ${file}:\nplugins:\n  ${name}:\n    ${key}: …`,
        );
      }
      continue;
    }
    const actual: string = typeof v;
    if (actual !== d.type) throw configError(at(`${base}.${key}`), `${key} must be a ${d.type}`);
    if (typeof v === "string" && opts.render !== false) {
      try {
        out[key] = renderTemplate(v, Deno.env.toObject(), { home: userHome() });
      } catch (e) {
        throw configError(at(`${base}.${key}`), (e as Error).message, hintOf(e));
      }
    } else out[key] = v;
  }
  return out;
}

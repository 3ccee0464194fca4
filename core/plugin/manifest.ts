/**
 * `handoff-plugin.json`: what a plugin is, read before any of its code runs. Pure: the
 * text in, a checked manifest or a message naming the field out.
 */
import { isPrintable } from "../output.ts";
import { PLUGIN_API_VERSIONS, type PluginOrigin } from "../registry.ts";

/** The manifest's file name in a plugin's folder. */
export const MANIFEST_FILE = "handoff-plugin.json";

/** How a third-party plugin runs: its own process (any language), or one ES module. */
export type PluginKind = "exec" | "module";

/** A backend type a plugin adds, with the launcher's static answers. */
export interface BackendDecl {
  type: string;
  defaultCommand: string;
  installHint: string;
  permissionModes: string[];
  defaultPermissionMode: string;
  choosesSessionId: boolean;
  resumeNeedsCwd: boolean;
}

export interface CommandDecl {
  name: string;
  summary: string;
}

/** One key of the plugin's section in config.yaml (`plugins: { <name>: { key: … } }`). */
export interface ConfigKeyDecl {
  type: "string" | "number" | "boolean";
  required: boolean;
  description: string;
}

export interface Manifest {
  name: string;
  version: string;
  apiVersion: number;
  kind: PluginKind | "builtin";
  /** exec: the program to run; module: the ES module to import. Relative to the plugin's folder. */
  entry: string;
  description: string;
  homepage: string | null;
  provides: {
    backends: BackendDecl[];
    commands: CommandDecl[];
    sources: string[];
    sinks: string[];
    /** Transports (first-party only in API 1: device access must answer synchronously). */
    transports: string[];
    /** Verbs the gate answers for phones (first-party only in API 1: they face the network). */
    gateVerbs: string[];
  };
  config: Record<string, ConfigKeyDecl>;
  /** Plugins this one needs (first-party: the ones it may import). */
  dependsOn: string[];
  /** First-party only: commands on hot paths, and hooks with no list (subscribe, runOrigin). */
  hotCommands: string[];
  /** Tables of handoff's database this (first-party) plugin owns. */
  tables: string[];
  hooks: string[];
}

export class ManifestError extends Error {}

/** Plugin, backend, sink and source names: what fits a file name and a command line. */
const NAME = /^[a-z][a-z0-9-]{0,39}$/;
/** True for a plugin name: what is safe to put in a path under plugins/. */
export function isPluginName(name: string): boolean {
  return NAME.test(name);
}
const COMMAND_NAME = /^[a-z][a-z0-9-]{0,39}$/;
/** Names a plugin's command may not take: the manager's, and the hot paths main.ts runs first. */
const RESERVED_COMMANDS = new Set([
  "help",
  "plugin",
  "gate",
  "notify",
  "attach-guard",
  "deliver",
]);

type Json = Record<string, unknown>;

const TOP_KEYS = [
  "name",
  "version",
  "apiVersion",
  "kind",
  "entry",
  "description",
  "homepage",
  "provides",
  "config",
  "dependsOn",
] as const;
const BUILTIN_KEYS = ["hotCommands", "tables", "hooks"] as const;
const PROVIDES_KEYS = ["backends", "commands", "sources", "sinks", "transports", "gateVerbs"];
const BACKEND_KEYS = [
  "type",
  "defaultCommand",
  "installHint",
  "permissionModes",
  "defaultPermissionMode",
  "choosesSessionId",
  "resumeNeedsCwd",
];

function isMap(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function fail(field: string, what: string): never {
  throw new ManifestError(`${field}: ${what}`);
}

function str(o: Json, key: string, field: string, fallback?: string): string {
  const v = o[key];
  // "" too: a checked manifest is stored in the lock and must pass this check again.
  if ((v === undefined || v === "") && fallback !== undefined) return fallback;
  if (typeof v !== "string" || v.trim() === "") fail(field, "must be a non-empty string");
  if (!isPrintable(v)) fail(field, "must not hold control characters");
  return v;
}

/** A misspelt key ("provide", "sumary") would otherwise be dropped without a word. */
function onlyKeys(o: Json, keys: readonly string[], field: string): void {
  for (const k of Object.keys(o)) {
    if (!keys.includes(k)) {
      fail(field ? `${field}.${k}` : k, `unknown key (known: ${keys.join(", ")})`);
    }
  }
}

function bool(o: Json, key: string, field: string, fallback: boolean): boolean {
  const v = o[key];
  if (v === undefined) return fallback;
  if (typeof v !== "boolean") fail(field, "must be true or false");
  return v;
}

function names(o: Json, key: string, field: string, pattern = NAME): string[] {
  const v = o[key];
  if (v === undefined) return [];
  if (!Array.isArray(v)) fail(field, "must be a list of names");
  return v.map((n, i) => {
    if (typeof n !== "string" || !pattern.test(n)) {
      fail(`${field}[${i}]`, `${JSON.stringify(n)} is not a name (a-z, 0-9, -)`);
    }
    return n;
  });
}

function backendDecl(v: unknown, field: string): BackendDecl {
  if (!isMap(v)) fail(field, "must be an object with a type");
  onlyKeys(v, BACKEND_KEYS, field);
  const type = str(v, "type", `${field}.type`);
  if (!NAME.test(type)) {
    fail(`${field}.type`, `${JSON.stringify(type)} is not a name (a-z, 0-9, -)`);
  }
  const modes = v.permissionModes ?? ["default"];
  if (
    !Array.isArray(modes) || modes.length === 0 ||
    modes.some((m) => typeof m !== "string" || !/^[A-Za-z][A-Za-z0-9_-]{0,39}$/.test(m))
  ) {
    fail(`${field}.permissionModes`, "must be a non-empty list of names (letters, 0-9, _, -)");
  }
  const defaultMode = str(v, "defaultPermissionMode", `${field}.defaultPermissionMode`, modes[0]);
  if (!modes.includes(defaultMode)) {
    fail(`${field}.defaultPermissionMode`, `"${defaultMode}" is not in permissionModes`);
  }
  return {
    type,
    defaultCommand: str(v, "defaultCommand", `${field}.defaultCommand`, type),
    installHint: str(v, "installHint", `${field}.installHint`, type),
    permissionModes: modes as string[],
    defaultPermissionMode: defaultMode,
    choosesSessionId: bool(v, "choosesSessionId", `${field}.choosesSessionId`, false),
    resumeNeedsCwd: bool(v, "resumeNeedsCwd", `${field}.resumeNeedsCwd`, false),
  };
}

function configDecl(v: unknown): Record<string, ConfigKeyDecl> {
  if (v === undefined) return {};
  if (!isMap(v)) fail("config", "must map key names to {type, required, description}");
  const out: Record<string, ConfigKeyDecl> = {};
  for (const [key, d] of Object.entries(v)) {
    const field = `config.${key}`;
    if (!/^[a-z][a-z0-9_]{0,39}$/.test(key)) fail(field, "key names are a-z, 0-9 and _");
    if (!isMap(d)) fail(field, "must be an object with a type");
    onlyKeys(d, ["type", "required", "description"], field);
    const type = d.type ?? "string";
    if (type !== "string" && type !== "number" && type !== "boolean") {
      fail(`${field}.type`, 'must be "string", "number" or "boolean"');
    }
    out[key] = {
      type,
      required: bool(d, "required", `${field}.required`, false),
      description: typeof d.description === "string" ? d.description : "",
    };
  }
  return out;
}

/** Checks a manifest; `builtin` is allowed only for handoff's own plugins. */
export function parseManifest(text: string, opts: { builtin?: boolean } = {}): Manifest {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new ManifestError(`not JSON: ${(e as Error).message}`);
  }
  if (!isMap(j)) throw new ManifestError("must be a JSON object");
  // A checked manifest (the lock's copy) holds the first-party keys as empty lists.
  const allowed = BUILTIN_KEYS.filter((k) =>
    opts.builtin || (Array.isArray(j[k]) && (j[k] as unknown[]).length === 0)
  );
  onlyKeys(j, [...TOP_KEYS, ...allowed], "");
  const name = str(j, "name", "name");
  if (!NAME.test(name)) fail("name", `${JSON.stringify(name)}: use a-z, 0-9 and -, at most 40`);
  const version = str(j, "version", "version");
  const apiVersion = j.apiVersion;
  if (typeof apiVersion !== "number" || !Number.isInteger(apiVersion)) {
    fail("apiVersion", "must be an integer (this handoff speaks 1)");
  }
  if (!PLUGIN_API_VERSIONS.includes(apiVersion)) {
    fail(
      "apiVersion",
      `${apiVersion} is not one this handoff speaks (${PLUGIN_API_VERSIONS.join(", ")}): ` +
        (apiVersion > Math.max(...PLUGIN_API_VERSIONS) ? "upgrade handoff" : "upgrade the plugin"),
    );
  }
  const kind = j.kind;
  const kinds = opts.builtin ? ["builtin"] : ["exec", "module"];
  if (typeof kind !== "string" || !kinds.includes(kind)) {
    fail("kind", `must be ${kinds.map((k) => `"${k}"`).join(" or ")}`);
  }
  const entry = kind === "builtin" ? "" : str(j, "entry", "entry");
  if (entry.startsWith("/") || entry.split(/[\\/]/).includes("..")) {
    fail("entry", "must be a path inside the plugin's folder");
  }
  const provides = j.provides ?? {};
  if (!isMap(provides)) fail("provides", "must be an object");
  onlyKeys(provides, PROVIDES_KEYS, "provides");
  const backendsRaw = provides.backends ?? [];
  if (!Array.isArray(backendsRaw)) fail("provides.backends", "must be a list");
  const commandsRaw = provides.commands ?? [];
  if (!Array.isArray(commandsRaw)) fail("provides.commands", "must be a list");
  const commands = commandsRaw.map((c, i) => {
    const field = `provides.commands[${i}]`;
    if (!isMap(c)) fail(field, "must be an object with a name and a summary");
    onlyKeys(c, ["name", "summary"], field);
    const cname = str(c, "name", `${field}.name`);
    if (!COMMAND_NAME.test(cname)) fail(`${field}.name`, `${JSON.stringify(cname)} is not a name`);
    if (!opts.builtin && RESERVED_COMMANDS.has(cname)) {
      fail(`${field}.name`, `"${cname}" is handoff's own`);
    }
    return { name: cname, summary: str(c, "summary", `${field}.summary`, "") };
  });
  const homepage = j.homepage;
  if (homepage !== undefined && homepage !== null && typeof homepage !== "string") {
    fail("homepage", "must be a URL");
  }
  const description = j.description;
  if (description !== undefined && (typeof description !== "string" || !isPrintable(description))) {
    fail("description", "must be a string of visible characters");
  }
  const provided = {
    backends: backendsRaw.map((b, i) => backendDecl(b, `provides.backends[${i}]`)),
    commands,
    sources: names(provides, "sources", "provides.sources"),
    sinks: names(provides, "sinks", "provides.sinks"),
    transports: names(provides, "transports", "provides.transports"),
    gateVerbs: names(provides, "gateVerbs", "provides.gateVerbs"),
  };
  // Each is asked whenever pair, status or doctor runs.
  if (kind !== "builtin" && provided.transports.length > 4) {
    fail("provides.transports", "at most 4 transports per plugin");
  }
  if (kind !== "builtin" && provided.gateVerbs.length) {
    fail("provides.gateVerbs", "plugin API 1 has no third-party gate verbs");
  }
  if (
    kind !== "builtin" && provided.backends.length + provided.commands.length +
          provided.sources.length + provided.sinks.length + provided.transports.length === 0
  ) {
    fail(
      "provides",
      "names nothing: a plugin provides backends, commands, sources, sinks or transports",
    );
  }
  return {
    name,
    version,
    apiVersion,
    kind: kind as Manifest["kind"],
    entry,
    description: (description as string | undefined) ?? "",
    homepage: (homepage as string | undefined) ?? null,
    provides: provided,
    config: configDecl(j.config),
    dependsOn: names(j, "dependsOn", "dependsOn"),
    hotCommands: kind === "builtin" ? names(j, "hotCommands", "hotCommands") : [],
    tables: kind === "builtin" ? names(j, "tables", "tables", /^[a-z][a-z0-9_]{0,63}$/) : [],
    hooks: kind === "builtin" ? names(j, "hooks", "hooks", /^[a-z][A-Za-z]{0,39}$/) : [],
  };
}

/** One line per hook a plugin fills: `backend gemini`, `sink webhook`, … */
export function providesSummary(
  m: Pick<Manifest, "provides"> & Partial<Pick<Manifest, "hotCommands" | "hooks">>,
): string[] {
  return [
    ...new Set([
      ...m.provides.backends.map((b) => `backend ${b.type}`),
      ...m.provides.commands.map((c) => `command ${c.name}`),
      ...m.provides.sources.map((s) => `source ${s}`),
      ...m.provides.sinks.map((s) => `sink ${s}`),
      ...m.provides.transports.map((t) => `transport ${t}`),
      ...m.provides.gateVerbs.map((v) => `gate verb ${v}`),
      ...(m.hotCommands ?? []).map((c) => `command ${c}`),
      ...(m.hooks ?? []).map((h) => `hook ${h}`),
    ]),
  ];
}

/** A known plugin's checked manifest; null for an installed one whose lock entry is unreadable. */
export async function manifestOf(k: PluginOrigin): Promise<Manifest | null> {
  const raw = await k.manifest();
  if (raw === null && k.problem) return null;
  return parseManifest(JSON.stringify(raw), { builtin: k.origin === "builtin" });
}

/**
 * The two substitutions a config value may carry, done in ONE pass so nothing a value
 * expands to is ever expanded again:
 *   ${VAR}, ${VAR:-default}   from the environment; unset without a default is an error
 *   {model} {pro_model} {cwd} {home} {run_id}   known placeholders filled at launch
 *   {{ and }}                  literal braces
 * Any other `{name}` is rejected when the config is loaded, not when a run starts.
 */

export const PLACEHOLDERS = [
  "model",
  "pro_model",
  "cwd",
  "home",
  "run_id",
] as const;
export type Placeholder = typeof PLACEHOLDERS[number];

const TOKEN =
  /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}|\$\{[^}]*\}?|\{|\}/g;

export class TemplateError extends Error {
  /** What to do about it, when there is one thing to do. */
  constructor(message: string, readonly hint?: string) {
    super(message);
  }
}

/** Problems in a template that can be found without any values (unknown placeholders, stray braces). */
export function checkTemplate(template: string): string | null {
  for (const m of template.matchAll(TOKEN)) {
    const [tok, envName, , ph] = m;
    if (envName) continue;
    if (tok === "{{" || tok === "}}") continue;
    if (ph) {
      if (!(PLACEHOLDERS as readonly string[]).includes(ph)) {
        return `unknown placeholder {${ph}} (known: ${
          PLACEHOLDERS.map((p) => `{${p}}`).join(", ")
        }; write {{ and }} for literal braces)`;
      }
      continue;
    }
    if (tok.startsWith("${")) {
      return `malformed variable reference ${tok} (write \${NAME} or \${NAME:-default})`;
    }
    return `stray "${tok}" (write {{ or }} for a literal brace)`;
  }
  return null;
}

/** Environment variable names a template reads (for `handoff env` and redaction). */
export function referencedVars(template: string): string[] {
  const names: string[] = [];
  for (const m of template.matchAll(TOKEN)) if (m[1]) names.push(m[1]);
  return names;
}

export function renderTemplate(
  template: string,
  env: Record<string, string | undefined>,
  values: Partial<Record<Placeholder, string>>,
): string {
  const problem = checkTemplate(template);
  if (problem) throw new TemplateError(problem);
  return template.replace(TOKEN, (tok, envName, fallback, ph) => {
    if (envName) {
      const v = env[envName];
      if (v !== undefined && v !== "") return v;
      if (fallback !== undefined) return fallback;
      if (v === "") return "";
      throw new TemplateError(
        `environment variable ${envName} is not set`,
        `export ${envName}=… before handoff runs, or give a default in config.yaml: ` +
          `\${${envName}:-default}`,
      );
    }
    if (tok === "{{") return "{";
    if (tok === "}}") return "}";
    const v = values[ph as Placeholder];
    if (v === undefined) {
      throw new TemplateError(`placeholder {${ph}} has no value here`);
    }
    return v;
  });
}

/**
 * The agent-facing files `handoff init` writes, one set per backend of the user's config:
 * a Claude Code skill `handoff-<name>` and a Codex agent of the same name, each from one
 * template (skills/skill.template.md, skills/codex/agent.template.toml). Pure.
 */

export interface SkillBackend {
  name: string;
  type: string;
  model: string;
  description: string | null;
}

/** What the seed's users know: `handoff-ds` for DeepSeek; every other backend by name. */
export function skillName(backend: string): string {
  return `handoff-${backend === "deepseek" ? "ds" : backend}`;
}

const KNOWN: Record<string, { title: string; description: string }> = {
  deepseek: {
    title: "DeepSeek",
    description:
      "Hand a whole, self-contained coding or investigation task to DeepSeek in the background (through handoff) to save this session's quota.",
  },
  opus: {
    title: "Claude Opus",
    description:
      "Hand a critical decision, design review or acceptance check to Claude Opus in the background, through handoff.",
  },
  codex: {
    title: "Codex",
    description:
      "Consult Codex in the background, through handoff, on a hard problem, a second opinion or a reasoning-heavy task.",
  },
};

/** Plain text for one line of a template (a name the config chose cannot break the file). */
function oneLine(s: string): string {
  // deno-lint-ignore no-control-regex
  return s.replace(/[\x00-\x1f\x7f"\\`]/g, " ").replace(/\s+/g, " ").trim();
}

export function skillTitle(b: SkillBackend): string {
  return KNOWN[b.name]?.title ?? oneLine(b.name);
}

/** The skill's description: what it is for, then when to use it (Claude Code matches on it). */
export function skillDescription(b: SkillBackend): string {
  const skill = skillName(b.name);
  const what = b.description
    ? oneLine(b.description).replace(/\.?$/, ".")
    : KNOWN[b.name]?.description ??
      `Hand a whole, self-contained coding task to ${oneLine(b.name)} (a ${
        oneLine(b.type)
      } backend, model ${oneLine(b.model)}) in the background, through handoff.`;
  return `${what} Use when the user says "${skill}", "give this to ${skillTitle(b)}", or asks ` +
    "to delegate or parallelise a well-specified task. Runs in the background, notifies on " +
    "completion, supports parallel tasks and follow-ups.";
}

/** A YAML front-matter value: plain when that is safe, else a quoted (JSON) string. */
export function yamlScalar(s: string): string {
  return /^[A-Za-z][^:#\n]*$/.test(s) && !/[:#]/.test(s) ? s : JSON.stringify(s);
}

/** `{{key}}` → value, for every key; an unknown key is an error (a template typo). */
export function renderTemplate(template: string, vars: Record<string, string>): string {
  return template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    if (!(key in vars)) throw new Error(`template placeholder {{${key}}} has no value`);
    return vars[key];
  });
}

export interface SkillFile {
  label: string;
  /** Path relative to its agent's directory (`skills/<name>/SKILL.md`, `agents/<name>.toml`). */
  relative: string;
  agent: "claude" | "codex";
  text: string;
}

export function skillFiles(
  backends: readonly SkillBackend[],
  templates: { skill: string; codexAgent: string },
): SkillFile[] {
  return backends.flatMap((b) => {
    const skill = skillName(b.name);
    const vars = {
      skill,
      backend: b.name,
      title: skillTitle(b),
      description: yamlScalar(skillDescription(b)),
    };
    return [
      {
        label: `Claude Code skill ${skill}`,
        relative: `skills/${skill}/SKILL.md`,
        agent: "claude" as const,
        text: renderTemplate(templates.skill, vars),
      },
      {
        label: `Codex agent ${skill}`,
        relative: `agents/${skill}.toml`,
        agent: "codex" as const,
        text: renderTemplate(templates.codexAgent, vars),
      },
    ];
  });
}

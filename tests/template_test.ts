import assert from "node:assert/strict";
import { checkTemplate, referencedVars, renderTemplate } from "../core/template.ts";

const env = { TOKEN: "sk-1", EMPTY: "", BRACES: "{model} ${TOKEN}" };
const values = { model: "m1", cwd: "/w", home: "/h" };

Deno.test("${VAR}, ${VAR:-default} and {placeholders} in one pass", () => {
  assert.equal(renderTemplate("Bearer ${TOKEN}", env, values), "Bearer sk-1");
  assert.equal(renderTemplate("${MISSING:-fallback}", env, values), "fallback");
  assert.equal(renderTemplate("${EMPTY:-fallback}", env, values), "fallback");
  assert.equal(renderTemplate("[${EMPTY}]", env, values), "[]");
  assert.equal(renderTemplate("{model} in {cwd}", env, values), "m1 in /w");
  assert.equal(renderTemplate("{{model}}", env, values), "{model}");
  // A value is never expanded again.
  assert.equal(renderTemplate("${BRACES}", env, values), "{model} ${TOKEN}");
});

Deno.test("an unset variable without a default is an error naming it", () => {
  assert.throws(() => renderTemplate("${NOPE}", env, values), /NOPE is not set/);
});

Deno.test("unknown placeholders and stray braces are caught without values", () => {
  assert.match(checkTemplate("{modle}") ?? "", /unknown placeholder \{modle\}/);
  assert.match(checkTemplate("a { b") ?? "", /stray "\{"/);
  assert.match(checkTemplate("${oops") ?? "", /malformed/);
  assert.equal(checkTemplate("{model}-{pro_model}-{cwd}-{home}-{run_id}"), null);
  assert.deepEqual(referencedVars("${A} ${B:-x} {model}"), ["A", "B"]);
});

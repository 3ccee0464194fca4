import assert from "node:assert/strict";
import {
  addFilePatch,
  anthropicTurn,
  directiveSteps,
  exampleFor,
  openaiTurn,
  pickStep,
  realText,
  type Script,
} from "./script.ts";

Deno.test("realText drops injected context", () => {
  assert.equal(realText("<system-reminder>x</system-reminder>\nhi"), "hi");
  assert.equal(
    realText("<environment_context>\n<cwd>/</cwd>\n</environment_context>"),
    "",
  );
  assert.equal(
    realText("# AGENTS.md instructions for /x\n<INSTRUCTIONS>…"),
    "",
  );
  assert.equal(realText("[Request interrupted by user for tool use]"), "");
  // A prompt that merely uses tags stays.
  assert.equal(realText("<task>do it</task>"), "<task>do it</task>");
});

Deno.test("anthropicTurn: step counts assistant messages after the prompt", () => {
  const prompt = {
    role: "user",
    content: [
      { type: "text", text: "<system-reminder>ctx</system-reminder>" },
      { type: "text", text: "make it" },
    ],
  };
  assert.deepEqual(anthropicTurn([prompt]), { prompt: "make it", step: 0 });
  const afterTool = [
    prompt,
    { role: "system", content: "Available agent types" },
    { role: "assistant", content: [{ type: "tool_use" }] },
    {
      role: "user",
      content: [
        { type: "tool_result" },
        { type: "text", text: "<system-reminder>r</system-reminder>" },
      ],
    },
  ];
  assert.deepEqual(anthropicTurn(afterTool), { prompt: "make it", step: 1 });
  // A resume: the new prompt starts again at step 0.
  const resumed = [
    ...afterTool,
    { role: "assistant", content: [{ type: "text", text: "done" }] },
    { role: "user", content: "follow up" },
  ];
  assert.deepEqual(anthropicTurn(resumed), { prompt: "follow up", step: 0 });
});

Deno.test("openaiTurn: step comes from call_id markers after the prompt", () => {
  const user = (text: string) => ({
    type: "message",
    role: "user",
    content: [{ type: "input_text", text }],
  });
  const input = [
    { type: "message", role: "developer", content: [] },
    user("<environment_context>\n</environment_context>"),
    user("make it"),
    { type: "message", role: "assistant", content: [] },
    { type: "function_call", call_id: "call_fake_s0_a" },
    { type: "function_call", call_id: "call_fake_s0_b" },
    { type: "function_call_output", call_id: "call_fake_s0_a" },
    { type: "function_call_output", call_id: "call_fake_s0_b" },
  ];
  assert.deepEqual(openaiTurn(input.slice(0, 3)), {
    prompt: "make it",
    step: 0,
  });
  assert.deepEqual(openaiTurn(input), { prompt: "make it", step: 1 });
  const more = [...input, {
    type: "custom_tool_call",
    call_id: "call_fake_s1_c",
  }];
  assert.deepEqual(openaiTurn(more), { prompt: "make it", step: 2 });
  assert.deepEqual(openaiTurn([...more, user("next")]), {
    prompt: "next",
    step: 0,
  });
  assert.deepEqual(openaiTurn("plain"), { prompt: "plain", step: 0 });
});

Deno.test("pickStep: rules, then default, then directives; past the end a text", () => {
  const script: Script = {
    rules: [{ match: "alpha", steps: [{ text: "A0" }, { text: "A1" }] }],
    default: [{ text: "D0" }],
  };
  assert.equal(pickStep(script, "x alpha y", 1, "openai").text, "A1");
  assert.equal(pickStep(script, "beta", 0, "openai").text, "D0");
  assert.match(pickStep(script, "beta", 5, "openai").text!, /no step 5/);
  assert.equal(pickStep(undefined, "FAKE_REPLY: yes", 0, "openai").text, "yes");
});

Deno.test("directiveSteps per flavour", () => {
  const prompt = "FAKE_BASH: echo hi > x\nFAKE_WRITE: /tmp/a :: text\nFAKE_REPLY: fin";
  assert.deepEqual(directiveSteps(prompt, "anthropic"), [
    {
      tool: {
        name: "Bash",
        input: { command: "echo hi > x", description: "fake step" },
      },
    },
    {
      tool: {
        name: "Write",
        input: { file_path: "/tmp/a", content: "text\n" },
      },
    },
    { text: "fin" },
  ]);
  assert.deepEqual(directiveSteps(prompt, "openai"), [
    { tool: { name: "exec_command", input: { cmd: "echo hi > x" } } },
    { custom: { name: "apply_patch", input: addFilePatch("/tmp/a", "text") } },
    { text: "fin" },
  ]);
  assert.deepEqual(
    directiveSteps("FAKE_PATCH_ADD: y.txt :: hi", "openai").at(-1),
    {
      text: "done",
    },
  );
  const long = "just a question that is rather long, longer than forty";
  assert.deepEqual(directiveSteps(long, "anthropic"), [{
    text: `ok: ${long.slice(0, 40)}`,
  }]);
});

Deno.test("addFilePatch", () => {
  assert.equal(
    addFilePatch("y.txt", "hello"),
    "*** Begin Patch\n*** Add File: y.txt\n+hello\n*** End Patch\n",
  );
});

Deno.test("exampleFor fills a schema", () => {
  const schema = {
    type: "object",
    properties: {
      title: { type: "string" },
      n: { type: "integer" },
      tags: { type: "array" },
      kind: { enum: ["a", "b"] },
    },
  };
  assert.deepEqual(exampleFor(schema), {
    title: "Fake title",
    n: 0,
    tags: [],
    kind: "a",
  });
});

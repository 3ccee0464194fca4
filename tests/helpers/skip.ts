// A test that cannot run on this machine says so, with the reason, in the test output:
// `Deno.test(unless(reason, {name, fn}))` skips it when `reason` is a string and prints
// `tests: not run: <name>: <reason>`.

/** The test, ignored (and announced) when `reason` says why it cannot run here. */
export function unless<T extends Deno.TestDefinition>(reason: string | null, test: T): T {
  if (reason === null) return test;
  console.error(`tests: not run: ${test.name}: ${reason}`);
  return { ...test, ignore: true };
}

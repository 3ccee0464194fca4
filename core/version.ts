/** Kept in step with package.json by `tests/version_test.ts`. */
export const VERSION = "0.1.0";

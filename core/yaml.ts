/**
 * The `yaml` package, loaded from its ES-module build. Under Deno the bare "yaml" resolves
 * (by its `node` export condition) to the CommonJS build, which takes ~20 ms longer to
 * load: measurable on every command that reads the config, `handoff run` included.
 */
// @ts-types="yaml"
export { isMap, isScalar, isSeq, parseDocument } from "../node_modules/yaml/browser/index.js";

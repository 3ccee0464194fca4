/** Writing a plugin's folder in a test: its manifest and an entry file. */
import { join } from "node:path";

/** A folder (created) holding `handoff-plugin.json` with `manifest`. */
export function writeManifest(dir: string, manifest: Record<string, unknown>): void {
  Deno.mkdirSync(dir, { recursive: true });
  Deno.writeTextFileSync(join(dir, "handoff-plugin.json"), JSON.stringify(manifest));
}

/** A manifest as a test edits it. */
export interface ManifestJson {
  provides: Record<string, Record<string, unknown>[]>;
  [key: string]: unknown;
}

/** The folder's manifest, to change a field and write it back with writeManifest. */
export function readManifest(dir: string): ManifestJson {
  return JSON.parse(Deno.readTextFileSync(join(dir, "handoff-plugin.json")));
}

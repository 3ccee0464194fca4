// The forced command of a device's key: what sshd runs for every request of that phone.

import { selfProgram } from "../../core/self.ts";

/** argv of the forced command for one device: the home goes before `gate` (main.ts reads it). */
export function gateCommand(home: string, fingerprint: string): string[] {
  return [selfProgram(home), "--home", home, "gate", fingerprint];
}

import assert from "node:assert/strict";
import { parseDuration } from "../core/duration.ts";

Deno.test("parseDuration: seconds by default, s/m/h/d units, combinations; junk is null", () => {
  assert.equal(parseDuration("90"), 90_000);
  assert.equal(parseDuration("1.5"), 1_500);
  assert.equal(parseDuration("90s"), 90_000);
  assert.equal(parseDuration("30m"), 1_800_000);
  assert.equal(parseDuration("2h"), 7_200_000);
  assert.equal(parseDuration("1h30m"), 5_400_000);
  assert.equal(parseDuration("1d"), 86_400_000);
  assert.equal(parseDuration(" 5m "), 300_000);
  for (const junk of ["", "soon", "5 m", "-5", "5x", "m5", "1h 30m", "0x10"]) {
    assert.equal(parseDuration(junk), null, junk);
  }
});

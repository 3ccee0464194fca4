/** core/deadline.ts: on time, never early, and silent once cancelled. */
import assert from "node:assert/strict";
import { deadline } from "../core/deadline.ts";

Deno.test("deadline: expires after its time, not before; a cancelled one never does", async () => {
  const t0 = performance.now();
  const d = deadline(150);
  const cancelled = deadline(50);
  cancelled.cancel();
  let fired = false;
  cancelled.expired.then(() => fired = true);
  // Something else must keep the process alive meanwhile (here: this test's timer).
  const keepAlive = setTimeout(() => {}, 2000);
  await d.expired;
  const took = performance.now() - t0;
  clearTimeout(keepAlive);
  assert.ok(took >= 145, `expired after ${took.toFixed(0)} ms`);
  assert.ok(took < 1500, `expired after ${took.toFixed(0)} ms`);
  assert.equal(fired, false);
  await deadline(0).expired; // a zero deadline answers at once
});

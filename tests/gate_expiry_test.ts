import assert from "node:assert/strict";
import { authorizedKeysExpiry } from "../plugins/sshd/expiry_time.ts";
import { expiryFor, isSoftExpired, parseDuration, relativeExpiry } from "../plugins/gate/expiry.ts";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const NOW = new Date("2026-06-01T12:00:00.750Z");

Deno.test("parseDuration: accepted forms", () => {
  assert.equal(parseDuration("never"), null);
  assert.equal(parseDuration("8h"), 8 * HOUR);
  assert.equal(parseDuration("24h"), DAY);
  assert.equal(parseDuration("1d"), DAY);
  assert.equal(parseDuration("7d"), 7 * DAY);
  assert.equal(parseDuration("30d"), 30 * DAY);
  for (
    const bad of [
      "",
      "0d",
      "7",
      "d",
      "7 d",
      "-1d",
      "1.5d",
      "7D",
      "1w",
      "Never",
      "99999d",
    ]
  ) {
    assert.throws(() => parseDuration(bad), /use <n>h, <n>d or never/, bad);
  }
});

Deno.test("expiryFor: soft, hard = soft + 48 h, UTC with Z", () => {
  assert.deepEqual(expiryFor(NOW, 30 * DAY), {
    softExpiry: "2026-07-01T12:00:00Z",
    hardExpiry: "2026-07-03T12:00:00Z",
  });
  assert.deepEqual(expiryFor(NOW, null), {
    softExpiry: null,
    hardExpiry: null,
  });
});

Deno.test("isSoftExpired: instants, not wall-clock strings", () => {
  const at = (softExpiry: string | null) => isSoftExpired({ softExpiry }, NOW);
  assert.equal(at(null), false);
  assert.equal(at("2026-06-01T12:00:01Z"), false);
  assert.equal(at("2026-06-01T12:00:00Z"), true);
  assert.equal(at("2026-06-01T08:00:01-04:00"), false);
  assert.equal(at("2026-06-01T12:00:01"), true, "zone-less: refused");
});

Deno.test("authorizedKeysExpiry: UTC suffix or standard local time", () => {
  const hard = "2027-07-03T12:34:56Z";
  assert.equal(
    authorizedKeysExpiry(hard, { utcSuffix: true }),
    "202707031234Z",
  );
  assert.equal(
    authorizedKeysExpiry(hard, { utcSuffix: false, standardOffsetMinutes: 0 }),
    "202707031234",
  );
  // New York in July is on EDT, but sshd reads the value as EST (tm_isdst = 0).
  assert.equal(
    authorizedKeysExpiry(hard, {
      utcSuffix: false,
      standardOffsetMinutes: -300,
    }),
    "202707030734",
  );
  assert.equal(
    authorizedKeysExpiry(hard, {
      utcSuffix: false,
      standardOffsetMinutes: 330,
    }),
    "202707031804",
  );
  assert.throws(
    () => authorizedKeysExpiry("2027-07-03", { utcSuffix: true }),
    /invalid expiry/,
  );
});

Deno.test("authorizedKeysExpiry: defaults to this process' zone, in standard time", async () => {
  const script = `
    import { authorizedKeysExpiry } from ${
    JSON.stringify(import.meta.resolve("../plugins/sshd/expiry_time.ts"))
  };
    console.log(authorizedKeysExpiry("2027-07-03T12:34:56Z", { utcSuffix: false }));
    console.log(authorizedKeysExpiry("2027-01-03T12:34:56Z", { utcSuffix: false }));`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-config", script],
    env: { TZ: "America/New_York" },
    stdin: "null",
    stdout: "piped",
  }).output();
  assert.equal(
    new TextDecoder().decode(out.stdout),
    "202707030734\n202701030734\n",
  );
});

Deno.test("relativeExpiry: listing text", () => {
  const now = new Date("2026-06-01T12:00:00Z");
  const later = (ms: number) => new Date(now.getTime() + ms).toISOString();
  assert.equal(relativeExpiry(null, now), "never");
  assert.equal(relativeExpiry(later(-1), now), "expired");
  assert.equal(relativeExpiry(later(0), now), "expired");
  assert.equal(relativeExpiry("garbage", now), "expired");
  assert.equal(
    relativeExpiry(later(3 * DAY + 4 * HOUR + 59_000), now),
    "3d 4h",
  );
  assert.equal(relativeExpiry(later(5 * HOUR + 12 * 60_000), now), "5h 12m");
  assert.equal(relativeExpiry(later(7 * 60_000 + 30_000), now), "7m");
  assert.equal(relativeExpiry(later(20_000), now), "0m");
});

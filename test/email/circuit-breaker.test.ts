import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SesCircuitBreaker } from "#shared/email/circuit-breaker.ts";
import { startTestRedis, type TestRedis } from "#test/support/upstash.ts";

// The breaker is one key per deployment; every test here uses a key of its own, so that a
// breaker opened here never pauses the runtimes of other test files sharing the run's Redis.
let t: TestRedis;
let breaker: SesCircuitBreaker;
beforeAll(async () => {
  t = await startTestRedis();
});
afterAll(() => t.close());
beforeEach(() => {
  breaker = new SesCircuitBreaker(t.redis, {
    key: `test:ses-breaker:${randomUUID()}`,
    threshold: 3,
    windowMs: 10_000,
    cooldownMs: 5_000,
    maxCooldownMs: 12_000,
  });
});

describe("SES circuit breaker", () => {
  it("stays closed below the threshold and opens at it", async () => {
    expect(await breaker.recordThrottle(1_000)).toBe("closed");
    expect(await breaker.recordThrottle(1_100)).toBe("closed");
    expect(await breaker.check(1_200, 1_000)).toEqual({ allow: true, probe: false });
    expect(await breaker.recordThrottle(1_200)).toBe("open");
    expect(await breaker.check(1_300, 1_000)).toEqual({ allow: false, retryInMs: 4_900 });
  });

  it("does not extend the cooldown for throttles from calls admitted before it opened", async () => {
    for (const at of [1_000, 1_001, 1_002]) await breaker.recordThrottle(at);
    expect(await breaker.recordThrottle(1_050)).toBe("open");
    expect(await breaker.check(1_100, 1_000)).toEqual({ allow: false, retryInMs: 4_902 });
  });

  it("tells callers waiting on a probe to come back after one cooldown at most", async () => {
    for (const at of [1_000, 1_001, 1_002]) await breaker.recordThrottle(at);
    expect(await breaker.check(7_000, 60_000)).toEqual({ allow: true, probe: true });
    expect(await breaker.check(7_100, 60_000)).toEqual({ allow: false, retryInMs: 5_000 });
  });

  it("forgets throttles from an earlier window", async () => {
    await breaker.recordThrottle(1_000);
    await breaker.recordThrottle(1_100);
    expect(await breaker.recordThrottle(12_000)).toBe("closed");
  });

  it("lets exactly one probe through after the cooldown; its success closes the breaker", async () => {
    for (const at of [1_000, 1_001, 1_002]) await breaker.recordThrottle(at);
    const decisions = await Promise.all([1, 2, 3, 4, 5].map(() => breaker.check(7_000, 1_000)));
    expect(decisions.filter((d) => d.allow && d.probe)).toHaveLength(1);
    expect(decisions.filter((d) => !d.allow)).toHaveLength(4);
    await breaker.recordSuccess(true);
    expect(await breaker.check(7_100, 1_000)).toEqual({ allow: true, probe: false });
    expect((await breaker.state(7_100)).state).toBe("closed");
  });

  it("lets the next caller probe at once when a probe got no answer", async () => {
    for (const at of [1_000, 1_001, 1_002]) await breaker.recordThrottle(at);
    expect(await breaker.check(7_000, 60_000)).toEqual({ allow: true, probe: true });
    expect((await breaker.check(7_100, 60_000)).allow).toBe(false);

    await breaker.endProbe();

    expect(await breaker.check(7_200, 60_000)).toEqual({ allow: true, probe: true });
  });

  it("reopens with a doubled, capped cooldown when the probe is throttled", async () => {
    for (const at of [1_000, 1_001, 1_002]) await breaker.recordThrottle(at);
    await breaker.check(7_000, 1_000);
    expect(await breaker.recordThrottle(7_010)).toBe("open");
    expect(await breaker.check(7_020, 1_000)).toEqual({ allow: false, retryInMs: 9_990 });
    await breaker.check(17_010, 1_000);
    await breaker.recordThrottle(17_020);
    expect(await breaker.check(17_030, 1_000)).toEqual({ allow: false, retryInMs: 11_990 });
  });

  it("reports its state for /health", async () => {
    for (const at of [1_000, 1_001, 1_002]) await breaker.recordThrottle(at);
    expect(await breaker.state(2_000)).toEqual({
      state: "open",
      openUntil: new Date(6_002).toISOString(),
      reason: "throttling",
    });
    expect((await breaker.state(6_500)).state).toBe("half_open");
  });

  it("pauses for reputation, keeping a longer pause and letting a probe through afterwards", async () => {
    expect(await breaker.openForReputation(1_000, 60_000, "bounce rate 6 %")).toBe(true);
    expect(await breaker.openForReputation(2_000, 10_000, "bounce rate 6 %")).toBe(false);
    expect(await breaker.state(30_000)).toEqual({
      state: "open",
      openUntil: new Date(61_000).toISOString(),
      reason: "reputation",
      why: "bounce rate 6 %",
    });
    expect(await breaker.check(30_000, 1_000)).toEqual({ allow: false, retryInMs: 31_000 });
    expect(await breaker.check(61_000, 1_000)).toEqual({ allow: true, probe: true });
  });
});

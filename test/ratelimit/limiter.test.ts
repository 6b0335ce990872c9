/**
 * The GCRA limiter's properties against the run's real redis-server, through ioredis and through
 * the production client (Ferry's Upstash client over the local Upstash-REST proxy). Time is simulated:
 * `now` is a script argument, so no assertion depends on how fast anything runs.
 */
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LimitRequest, RateLimiter, type RateLimiterOptions } from "#shared/ratelimit/limiter.ts";
import type { RateLimitPolicy } from "#shared/ratelimit/policies.ts";
import { GCRA } from "#shared/ratelimit/script.ts";
import {
  BACKENDS,
  type Backend,
  inspector,
  openBackend,
  simulatedClock,
  testPrefix,
} from "./support/backends.ts";

const policy = (
  name: string,
  capacity: number,
  refillPerSecond: number,
  mode: "enforce" | "shadow" = "enforce",
): RateLimitPolicy => ({ name, capacity, refillPerSecond, onRedisFailure: "open", mode });

/** The theoretical arrival time (µs) in a stored `TAT:interval:capacity` value. */
function storedTat(raw: string | null): number {
  const match = /^(\d+):\d+:\d+$/.exec(raw ?? "");
  if (!match?.[1]) throw new Error(`not a stored bucket: ${raw}`);
  return Number(match[1]);
}

describe.each(BACKENDS)("GCRA limiter over %s", (backendName) => {
  let backend: Backend;
  let redis: Redis;

  beforeAll(async () => {
    backend = await openBackend(backendName);
    redis = inspector();
  });

  afterAll(async () => {
    await backend.close();
    await redis.quit();
  });

  function limiter(clock: { now(): number }, extra: Partial<RateLimiterOptions> = {}) {
    return new RateLimiter({
      redis: backend.client,
      clock: () => clock.now(),
      keyPrefix: testPrefix(),
      deniedCache: false,
      budgetMs: 5000,
      ...extra,
    });
  }

  /** Limiters on one key prefix with 1 s of clock slack: containers whose clocks disagree. */
  function limitersSharingBuckets() {
    const keyPrefix = testPrefix();
    return (clock: { now(): number }) => limiter(clock, { keyPrefix, clockSlackMs: 1000 });
  }

  /** An honest caller, and one whose container's clock is 30 s fast, on the same buckets. */
  function honestAndFastCallers() {
    const honest = simulatedClock();
    const on = limitersSharingBuckets();
    return { rlHonest: on(honest), rlFast: on(simulatedClock(honest.now() + 30_000)) };
  }

  const admittedCount = (decisions: readonly { allowed: boolean }[]) =>
    decisions.filter((d) => d.allowed).length;

  it("admits exactly the capacity out of 200 parallel requests", async () => {
    // Prepare
    const clock = simulatedClock();
    const rl = limiter(clock);
    const api = policy("api", 50, 1);

    // Act
    const decisions = await Promise.all(
      Array.from({ length: 200 }, () => rl.limit([{ policy: api, subject: "k" }])),
    );

    // Assess
    expect(admittedCount(decisions)).toBe(50);
    expect(decisions.every((d) => d.source === "redis")).toBe(true);
    const [state] = await rl.peek([{ policy: api, subject: "k" }]);
    expect(state?.remaining).toBe(0);
  });

  it("with cost k admits floor(C/k) requests and leaves C mod k units", async () => {
    // Prepare
    const clock = simulatedClock();
    const rl = limiter(clock);
    const emails = policy("emails", 50, 1);
    const request: LimitRequest = { policy: emails, subject: "k", cost: 7 };

    // Act
    const decisions = await Promise.all(Array.from({ length: 20 }, () => rl.limit([request])));
    const [left] = await rl.peek([{ policy: emails, subject: "k" }]);
    const one = await rl.limit([{ policy: emails, subject: "k", cost: 1 }]);
    const another = await rl.limit([{ policy: emails, subject: "k", cost: 1 }]);

    // Assess
    expect(admittedCount(decisions)).toBe(7);
    expect(left?.remaining).toBe(1);
    expect(one.allowed).toBe(true);
    expect(another.allowed).toBe(false);
  });

  it("leaves the stored value and its expiry unchanged when it denies", async () => {
    // Prepare
    const clock = simulatedClock();
    const rl = limiter(clock);
    const api = policy("api", 3, 1);
    const key = rl.keyFor("api", "k");
    await rl.limit([{ policy: api, subject: "k", cost: 2 }]);
    const valueBefore = await redis.get(key);
    const expiryBefore = await redis.pexpiretime(key);

    // Act
    clock.advance(10);
    const denied = await rl.limit([{ policy: api, subject: "k", cost: 2 }]);

    // Assess
    expect(denied.allowed).toBe(false);
    expect(denied.states[0]?.remaining).toBe(1);
    expect(await redis.get(key)).toBe(valueBefore);
    expect(await redis.pexpiretime(key)).toBe(expiryBefore);
  });

  it.each([
    { capacity: 5, refillPerSecond: 2 },
    { capacity: 10, refillPerSecond: 3 },
    { capacity: 7, refillPerSecond: 0.5 },
  ])(
    "admits between C + rT − 1 and C + rT under saturating load ($capacity, $refillPerSecond/s)",
    async ({ capacity, refillPerSecond }) => {
      // Prepare
      const clock = simulatedClock();
      const rl = limiter(clock);
      const p = policy("api", capacity, refillPerSecond);
      const seconds = 20;
      const stepMs = 25;

      // Act: three requests every 25 ms for T seconds, more than the bucket can ever admit.
      let admitted = 0;
      for (let t = 0; t <= seconds * 1000; t += stepMs) {
        clock.set(1_700_000_000_000 + t);
        const round = await Promise.all([1, 2, 3].map(() => rl.limit([{ policy: p, subject: "k" }])));
        admitted += admittedCount(round);
      }

      // Assess
      const ideal = capacity + refillPerSecond * seconds;
      expect(admitted).toBeGreaterThanOrEqual(ideal - 1);
      expect(admitted).toBeLessThanOrEqual(ideal);
    },
  );

  it.each([1, 2])(
    "admits a retry exactly at retry-after and denies it 1 ms earlier (cost %i)",
    async (cost) => {
      // Prepare: 3/s has a fractional interval (333.3 ms), the hardest case for exactness.
      const clock = simulatedClock();
      const rl = limiter(clock);
      const p = policy("api", 2, 3);
      await rl.limit([{ policy: p, subject: "k", cost: 2 }]);
      clock.advance(100);
      const denied = await rl.limit([{ policy: p, subject: "k", cost }]);
      const retryAfterMs = denied.retryAfterMs ?? Number.NaN;
      const deniedAt = clock.now();

      // Act
      clock.set(deniedAt + retryAfterMs - 1);
      const early = await rl.limit([{ policy: p, subject: "k", cost }]);
      clock.set(deniedAt + retryAfterMs);
      const onTime = await rl.limit([{ policy: p, subject: "k", cost }]);

      // Assess
      expect(denied.allowed).toBe(false);
      expect(retryAfterMs).toBeGreaterThan(0);
      expect(early.allowed).toBe(false);
      expect(early.retryAfterMs).toBe(1);
      expect(onTime.allowed).toBe(true);
    },
  );

  it("consumes nothing from the other policies when one of them denies", async () => {
    // Prepare
    const clock = simulatedClock();
    const rl = limiter(clock);
    const api = policy("api", 10, 1);
    const emails = policy("emails", 1, 1);
    const both = (): LimitRequest[] => [
      { policy: api, subject: "k" },
      { policy: emails, subject: "k" },
    ];
    await rl.limit(both());
    const apiBefore = await redis.get(rl.keyFor("api", "k"));

    // Act
    const denied = await rl.limit(both());

    // Assess
    expect(denied.allowed).toBe(false);
    expect(denied.states.map((s) => [s.policy.name, s.admits, s.remaining])).toEqual([
      ["api", true, 9],
      ["emails", false, 0],
    ]);
    expect(await redis.get(rl.keyFor("api", "k"))).toBe(apiBefore);
    const [apiState] = await rl.peek([{ policy: api, subject: "k" }]);
    expect(apiState?.remaining).toBe(9);
  });

  it("peeks with refill applied and writes nothing", async () => {
    // Prepare
    const clock = simulatedClock();
    const rl = limiter(clock);
    const p = policy("api", 5, 1);
    await rl.limit([{ policy: p, subject: "k", cost: 4 }]);
    const stored = await redis.get(rl.keyFor("api", "k"));

    // Act
    clock.advance(2500);
    const [state] = await rl.peek([{ policy: p, subject: "k" }]);
    const [fresh] = await rl.peek([{ policy: p, subject: "someone-else" }]);

    // Assess
    expect(state?.remaining).toBe(3);
    expect(state?.fullInMs).toBe(1500);
    expect(await redis.get(rl.keyFor("api", "k"))).toBe(stored);
    expect(fresh?.remaining).toBe(5);
    expect(await redis.exists(rl.keyFor("api", "someone-else"))).toBe(0);
  });

  it("never refunds beyond capacity", async () => {
    // Prepare
    const clock = simulatedClock();
    const rl = limiter(clock);
    const p = policy("api", 5, 1);
    await rl.limit([{ policy: p, subject: "k", cost: 3 }]);

    // Act
    const partial = await rl.refund({ policy: p, subject: "k", units: 1 });
    const over = await rl.refund({ policy: p, subject: "k", units: 10 });
    const unknown = await rl.refund({ policy: p, subject: "nobody", units: 3 });
    const burst = await Promise.all(Array.from({ length: 8 }, () => rl.limit([{ policy: p, subject: "k" }])));

    // Assess
    expect(partial.remaining).toBe(3);
    expect(over.remaining).toBe(5);
    expect(unknown.remaining).toBe(5);
    expect(await redis.exists(rl.keyFor("api", "nobody"))).toBe(0);
    expect(admittedCount(burst)).toBe(5);
  });

  it("does not let a caller whose clock runs far ahead refill or push the bucket", async () => {
    // Prepare: honest callers used 2 of 5; one container's clock is 30 s fast.
    const { rlHonest, rlFast } = honestAndFastCallers();
    const p = policy("api", 5, 1);
    await rlHonest.limit([{ policy: p, subject: "k", cost: 2 }]);
    const key = rlHonest.keyFor("api", "k");
    const valueBefore = await redis.get(key);
    const expiryBefore = await redis.pexpiretime(key);

    // Act
    const fastDecision = await rlFast.limit([{ policy: p, subject: "k" }]);
    const valueAfterFast = await redis.get(key);
    const expiryAfterFast = await redis.pexpiretime(key);
    const honestRest = await Promise.all(
      [1, 2, 3, 4].map(() => rlHonest.limit([{ policy: p, subject: "k" }])),
    );

    // Assess: the fast caller got no refill and changed nothing; honest callers keep their 3 units.
    expect(fastDecision.allowed).toBe(false);
    expect(valueAfterFast).toBe(valueBefore);
    expect(expiryAfterFast).toBe(expiryBefore);
    expect(admittedCount(honestRest)).toBe(3);
  });

  it("bounds how long a fast caller's write can hold up honest callers", async () => {
    // Prepare: the fast caller finds an empty bucket and writes in its own clock.
    const { rlHonest, rlFast } = honestAndFastCallers();
    const p = policy("api", 5, 1);

    // Act
    const fastDecision = await rlFast.limit([{ policy: p, subject: "k" }]);
    const honestDecision = await rlHonest.limit([{ policy: p, subject: "k" }]);
    const ttl = await redis.pttl(rlHonest.keyFor("api", "k"));

    // Assess: the key lives for the fast caller's own cost (1 s), and honest callers are told to
    // retry within it, not after the 30 s the fast clock would imply.
    expect(fastDecision.allowed).toBe(true);
    expect(honestDecision.allowed).toBe(false);
    expect(honestDecision.retryAfterMs).toBeLessThanOrEqual(1000);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1000);
  });

  it("never moves the stored value backwards and trusts a clock only within the slack", async () => {
    // Prepare
    const honest = simulatedClock();
    const slow = simulatedClock(honest.now() - 500);
    const ahead = simulatedClock(honest.now() + 500);
    const make = limitersSharingBuckets();
    const p = policy("api", 5, 1);
    const key = make(honest).keyFor("api", "k");
    await make(honest).limit([{ policy: p, subject: "k", cost: 2 }]);
    const first = storedTat(await redis.get(key));

    // Act
    const bySlow = await make(slow).limit([{ policy: p, subject: "k" }]);
    const afterSlow = storedTat(await redis.get(key));
    const byAhead = await make(ahead).limit([{ policy: p, subject: "k" }]);
    const afterAhead = storedTat(await redis.get(key));

    // Assess: each write adds exactly its cost (1 s = 1e6 µs) to the stored arrival time.
    expect(bySlow.allowed).toBe(true);
    expect(afterSlow).toBe(first + 1_000_000);
    expect(byAhead.allowed).toBe(true);
    expect(afterAhead).toBe(afterSlow + 1_000_000);
  });

  it("resets only the subject's own keys, whatever characters it contains", async () => {
    // Prepare
    const clock = simulatedClock();
    const rl = limiter(clock);
    const api = policy("api", 5, 1);
    const emails = policy("emails", 5, 1);
    const subjects = ["a*", "a", "ab", "a?", "a[b]", "a:b", "*", "[a-z]*", "{a}", "a}:api", "a\\*"];
    for (const subject of subjects) {
      await rl.limit([
        { policy: api, subject },
        { policy: emails, subject },
      ]);
    }

    // Act
    const deleted = await rl.reset("a*", [api, emails]);
    const deletedStar = await rl.reset("*", [api, emails]);

    // Assess
    expect(deleted).toBe(2);
    expect(deletedStar).toBe(2);
    for (const subject of subjects) {
      const expected = subject === "a*" || subject === "*" ? 0 : 1;
      expect(await redis.exists(rl.keyFor("api", subject)), subject).toBe(expected);
      expect(await redis.exists(rl.keyFor("emails", subject)), subject).toBe(expected);
    }
    const [state] = await rl.peek([{ policy: api, subject: "a*" }]);
    expect(state?.remaining).toBe(5);
  });

  it("sets an expiry on every key it writes, no longer than a full refill", async () => {
    // Prepare
    const clock = simulatedClock();
    const prefix = testPrefix();
    const rl = limiter(clock, { keyPrefix: prefix });
    const api = policy("api", 4, 2);
    const emails = policy("emails", 10, 1);

    // Act: consumption, multi-policy, denial, peek, partial and full refunds.
    await rl.limit([{ policy: api, subject: "x" }]);
    await rl.limit([
      { policy: api, subject: "y" },
      { policy: emails, subject: "y", cost: 6 },
    ]);
    await rl.limit([{ policy: emails, subject: "y", cost: 9 }]);
    await rl.peek([{ policy: api, subject: "z" }]);
    await rl.refund({ policy: emails, subject: "y", units: 2 });
    await rl.refund({ policy: api, subject: "x", units: 5 });
    await rl.refund({ policy: api, subject: "w", units: 1 });

    // Assess
    const keys = await redis.keys(`${prefix}*`);
    expect(keys.sort()).toEqual([rl.keyFor("api", "y"), rl.keyFor("emails", "y")].sort());
    for (const key of keys) {
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(10_000);
    }
  });

  it("denies a cost above capacity as never, without writing", async () => {
    // Prepare
    const clock = simulatedClock();
    const rl = limiter(clock);
    const emails = policy("emails", 5, 1);

    // Act
    const decision = await rl.limit([{ policy: emails, subject: "k", cost: 6 }]);

    // Assess
    expect(decision.allowed).toBe(false);
    expect(decision.retryAfterMs).toBeNull();
    expect(decision.states[0]?.retryAfterMs).toBeNull();
    expect(decision.states[0]?.remaining).toBe(5);
    expect(await redis.exists(rl.keyFor("emails", "k"))).toBe(0);
  });

  it("sends the one key-locking script every time: no plain variant, no fallback", async () => {
    // Prepare: record which script each call carries.
    const clock = simulatedClock();
    const sent: string[] = [];
    const recording = {
      eval: (s: string, k: string[], a: string[]) => {
        sent.push(s === GCRA.source ? "eval gcra" : "eval other");
        return backend.client.eval(s, k, a);
      },
      evalsha: (s: string, k: string[], a: string[]) => {
        sent.push(s === GCRA.sha ? "evalsha gcra" : "evalsha other");
        return backend.client.evalsha(s, k, a);
      },
    };
    const rl = limiter(clock, { redis: recording });
    const p = policy("api", 5, 1);

    // Act
    const first = await rl.limit([{ policy: p, subject: "k" }]);
    const second = await rl.limit([{ policy: p, subject: "k" }]);

    // Assess: the script Upstash runs is the one that ran; exactly 2 units went.
    expect(GCRA.source.startsWith("#!lua flags=allow-key-locking\n")).toBe(true);
    expect(first.allowed && second.allowed).toBe(true);
    expect(new Set(sent)).not.toContain("eval other");
    expect(new Set(sent)).not.toContain("evalsha other");
    expect(sent.at(-1)).toBe("evalsha gcra");
    const [state] = await rl.peek([{ policy: p, subject: "k" }]);
    expect(state?.remaining).toBe(3);
  });

  it("answers a denied subject from memory until its retry-after passes", async () => {
    // Prepare: count the scripts that reach Redis.
    const clock = simulatedClock();
    let scripts = 0;
    const counting = {
      eval: (s: string, k: string[], a: string[]) => {
        scripts++;
        return backend.client.eval(s, k, a);
      },
      evalsha: (s: string, k: string[], a: string[]) => {
        scripts++;
        return backend.client.evalsha(s, k, a);
      },
    };
    const rl = limiter(clock, { redis: counting, deniedCache: undefined });
    const emails = policy("emails", 10, 1);
    await rl.limit([{ policy: emails, subject: "k", cost: 8 }]);
    const first = await rl.limit([{ policy: emails, subject: "k", cost: 5 }]);
    const before = scripts;

    // Act
    const again = await rl.limit([{ policy: emails, subject: "k", cost: 5 }]);
    const cheaper = await rl.limit([{ policy: emails, subject: "k", cost: 2 }]);
    clock.advance(first.retryAfterMs ?? 0);
    const later = await rl.limit([{ policy: emails, subject: "k", cost: 1 }]);

    // Assess
    expect(first).toMatchObject({ allowed: false, source: "redis", retryAfterMs: 3000 });
    expect(again).toMatchObject({ allowed: false, source: "denied-cache", retryAfterMs: 3000 });
    expect(cheaper).toMatchObject({ allowed: true, source: "redis" });
    expect(later).toMatchObject({ allowed: true, source: "redis" });
    expect(scripts - before).toBe(2);
    expect(rl.metrics.deniedCacheHits).toBe(1);
  });

  describe("when the policy changes under existing buckets", () => {
    it("admits at once after capacity and rate are raised, with the true remaining units", async () => {
      // Prepare: the reported case: {5, 0.01/s} exhausted, 86 s later the stored value is 414 s ahead.
      const clock = simulatedClock();
      const rl = limiter(clock);
      const before = policy("api", 5, 0.01);
      const after = policy("api", 1000, 100);
      for (let i = 0; i < 5; i++) await rl.limit([{ policy: before, subject: "k" }]);
      clock.advance(86_000);
      expect((await rl.limit([{ policy: before, subject: "k" }])).allowed).toBe(false);

      // Act
      const decisions = [];
      for (let i = 0; i < 40; i++) decisions.push(await rl.limit([{ policy: after, subject: "k" }]));

      // Assess: 4.14 units were in use; under the new policy that is 41.4 ms of debt.
      expect(admittedCount(decisions)).toBe(40);
      expect(decisions[0]?.states[0]).toMatchObject({ remaining: 994, capacity: 1000, nextAdmitMs: 0 });
      expect(decisions.at(-1)?.states[0]?.remaining).toBe(955);
    });

    it("reads a bucket under a smaller capacity as at worst empty, and Retry-After is the true wait", async () => {
      // Prepare: 50 of 100 used at 10/s; then the policy shrinks to 10 at 1/s.
      const clock = simulatedClock();
      const rl = limiter(clock);
      await rl.limit([{ policy: policy("api", 100, 10), subject: "k", cost: 50 }]);
      const small = policy("api", 10, 1);

      // Act
      const denied = await rl.limit([{ policy: small, subject: "k" }]);
      const retryAfterMs = denied.retryAfterMs ?? Number.NaN;
      const deniedAt = clock.now();
      clock.set(deniedAt + retryAfterMs - 1);
      const early = await rl.limit([{ policy: small, subject: "k" }]);
      clock.set(deniedAt + retryAfterMs);
      const onTime = await rl.limit([{ policy: small, subject: "k" }]);

      // Assess: clamped to a full 10 s of debt, so one unit comes back in 1 s, not in 50 s.
      expect(denied.allowed).toBe(false);
      expect(denied.states[0]).toMatchObject({ remaining: 0, capacity: 10, fullInMs: 10_000 });
      expect(retryAfterMs).toBe(1000);
      expect(early.allowed).toBe(false);
      expect(onTime.allowed).toBe(true);
    });

    it("keeps the units in use when only the refill rate changes, refilling at the new rate", async () => {
      // Prepare: 6 of 10 used at 1/s.
      const clock = simulatedClock();
      const rl = limiter(clock);
      await rl.limit([{ policy: policy("api", 10, 1), subject: "k", cost: 6 }]);

      // Act
      const [state] = await rl.peek([{ policy: policy("api", 10, 2), subject: "k" }]);

      // Assess
      expect(state).toMatchObject({ remaining: 4, fullInMs: 3000 });
    });

    it("still refuses a caller whose clock is far behind, judged by the parameters stored with the value", async () => {
      // Prepare: a 100 s-wide bucket half used; a caller 200 s slow reads it under a 10 s policy.
      const honest = simulatedClock();
      const slow = simulatedClock(honest.now() - 200_000);
      const prefix = testPrefix();
      await limiter(honest, { keyPrefix: prefix }).limit([
        { policy: policy("api", 10, 0.1), subject: "k", cost: 5 },
      ]);
      const key = limiter(honest, { keyPrefix: prefix }).keyFor("api", "k");
      const stored = await redis.get(key);

      // Act
      const bySlow = await limiter(slow, { keyPrefix: prefix, clockSlackMs: 1000 }).limit([
        { policy: policy("api", 10, 1), subject: "k" },
      ]);

      // Assess
      expect(bySlow.allowed).toBe(false);
      expect(await redis.get(key)).toBe(stored);
    });

    it("reads a value stored without parameters (an older Ferry) under the current policy", async () => {
      // Prepare: 2 s of debt at 1/s, written as a bare TAT.
      const clock = simulatedClock();
      const rl = limiter(clock);
      const key = rl.keyFor("api", "k");
      await redis.set(key, String((clock.now() + 2000) * 1000), "PX", 2000);

      // Act
      const [state] = await rl.peek([{ policy: policy("api", 5, 1), subject: "k" }]);

      // Assess
      expect(state).toMatchObject({ remaining: 3, fullInMs: 2000 });
    });
  });

  describe("shadow policies and peeks", () => {
    it("reports a shadow policy's denial without refusing, and still charges the enforced ones", async () => {
      // Prepare: the shadow bucket holds 2; the enforced one 10.
      const clock = simulatedClock();
      const rl = limiter(clock);
      const api = policy("api", 10, 1);
      const trial = policy("emails", 2, 1, "shadow");
      const both = (): LimitRequest[] => [
        { policy: api, subject: "k" },
        { policy: trial, subject: "k" },
      ];

      // Act
      const decisions = [];
      for (let i = 0; i < 4; i++) decisions.push(await rl.limit(both()));

      // Assess
      expect(decisions.every((d) => d.allowed)).toBe(true);
      expect(decisions.map((d) => d.states[1]?.admits)).toEqual([true, true, false, false]);
      expect(decisions[3]?.states[1]).toMatchObject({ shadow: true, remaining: 0, retryAfterMs: 1000 });
      expect(decisions[3]?.states[0]?.remaining).toBe(6);
      expect(rl.metrics.shadowDenials).toBe(2);
    });

    it("writes nothing for a request that costs 0 on a policy", async () => {
      // Prepare
      const clock = simulatedClock();
      const rl = limiter(clock);
      const api = policy("api", 10, 1);
      const emails = policy("emails", 5, 1);

      // Act
      const decision = await rl.limit([
        { policy: api, subject: "k", cost: 1 },
        { policy: emails, subject: "k", cost: 0 },
      ]);

      // Assess
      expect(decision.allowed).toBe(true);
      expect(decision.states.map((s) => s.remaining)).toEqual([9, 5]);
      expect(await redis.exists(rl.keyFor("emails", "k"))).toBe(0);
    });
  });
});

/**
 * The authenticating script with a prefetch (AUTH_LIMIT_AND_PREFETCH): it reads the asked-for
 * hash fields in the same round trip, and hands them back only to a caller that may proceed
 * (valid key, every scope, an admitting decision), against the run's real redis-server through
 * ioredis and through the production client over the local Upstash-REST proxy.
 */
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LimitRequest, RateLimiter } from "#shared/ratelimit/limiter.ts";
import type { RateLimitPolicy } from "#shared/ratelimit/policies.ts";
import {
  BACKENDS,
  type Backend,
  inspector,
  openBackend,
  simulatedClock,
  testPrefix,
} from "./support/backends.ts";

const policy = (name: string, capacity: number, mode: "enforce" | "shadow" = "enforce"): RateLimitPolicy => ({
  name,
  capacity,
  refillPerSecond: 0.001,
  onRedisFailure: "open",
  mode,
});

describe.each(BACKENDS)("authenticateAndLimit with a prefetch over %s", (backendName) => {
  let backend: Backend;
  let redis: Redis;
  /** A hash of this file's own, with one field present and one JSON value. */
  let hash: string;
  let recordKey: string;

  beforeAll(async () => {
    backend = await openBackend(backendName);
    redis = inspector();
    hash = `ferry-test:prefetch:${randomUUID()}`;
    await redis.hset(hash, "bounced@x.io", JSON.stringify({ reason: "bounce" }));
    recordKey = `ferry-test:apikey:${randomUUID()}`;
    await redis.set(recordKey, JSON.stringify({ keyId: "k1", scopes: ["emails:send"] }));
  });

  afterAll(async () => {
    await backend.close();
    await redis.quit();
  });

  const limiter = () =>
    new RateLimiter({
      redis: backend.client,
      clock: simulatedClock().now,
      keyPrefix: testPrefix(),
      deniedCache: false,
      budgetMs: 5000,
    });
  const requests = (...policies: RateLimitPolicy[]): LimitRequest[] =>
    policies.map((p) => ({ policy: p, subject: "key:abc" }));
  const fields = () => ({ key: hash, fields: ["ok@x.io", "bounced@x.io", "ok@x.io"] });

  it("returns each field's value in order (null where absent) once the key is admitted", async () => {
    // Act
    const outcome = await limiter().authenticateAndLimit(
      recordKey,
      ["emails:send"],
      requests(policy("api", 5)),
      fields(),
    );

    // Assess
    expect(outcome).toMatchObject({ kind: "decided", decision: { allowed: true, source: "redis" } });
    expect(outcome.kind === "decided" && outcome.prefetched).toEqual({
      ...fields(),
      values: [null, JSON.stringify({ reason: "bounce" }), null],
    });
  });

  it("decides exactly as without a prefetch (same buckets, same remaining)", async () => {
    // Prepare
    const rl = limiter();
    const api = policy("api", 3);
    const emails = policy("emails", 10);

    // Act: alternate with and without the prefetch on the same buckets.
    const remaining = [];
    for (let i = 0; i < 4; i++) {
      const outcome = await rl.authenticateAndLimit(
        recordKey,
        ["emails:send"],
        requests(api, emails),
        i % 2 === 0 ? fields() : undefined,
      );
      if (outcome.kind !== "decided") throw new Error(`not decided: ${outcome.kind}`);
      remaining.push([outcome.decision.allowed, ...outcome.decision.states.map((s) => s.remaining)]);
    }

    // Assess
    expect(remaining).toEqual([
      [true, 2, 9],
      [true, 1, 8],
      [true, 0, 7],
      [false, 0, 7],
    ]);
  });

  it("reads nothing for an unknown key, a missing scope or a refused decision", async () => {
    // Prepare: a bucket of 1, spent by the first request.
    const rl = limiter();
    const one = requests(policy("api", 1));
    await rl.authenticateAndLimit(recordKey, ["emails:send"], one, fields());

    // Act
    const unknown = await rl.authenticateAndLimit(`${recordKey}:none`, ["emails:send"], one, fields());
    const scopeless = await rl.authenticateAndLimit(recordKey, ["tasks:read"], one, fields());
    const refused = await rl.authenticateAndLimit(recordKey, ["emails:send"], one, fields());

    // Assess
    expect(unknown).toEqual({ kind: "unknown-key" });
    expect(scopeless).toMatchObject({ kind: "missing-scope" });
    expect(scopeless).not.toHaveProperty("prefetched");
    expect(refused).toMatchObject({ kind: "decided", decision: { allowed: false, retryAfterMs: 1_000_000 } });
    expect(refused).not.toHaveProperty("prefetched");
  });

  it("returns the values when only a shadow policy refuses: the request proceeds", async () => {
    // Prepare
    const rl = limiter();
    const shadow = requests(policy("emails", 1, "shadow"));
    await rl.authenticateAndLimit(recordKey, ["emails:send"], shadow, fields());

    // Act
    const outcome = await rl.authenticateAndLimit(recordKey, ["emails:send"], shadow, fields());

    // Assess
    expect(outcome).toMatchObject({ kind: "decided", decision: { allowed: true } });
    expect(outcome.kind === "decided" && outcome.decision.states[0]?.admits).toBe(false);
    expect(outcome.kind === "decided" && outcome.prefetched?.values).toHaveLength(3);
  });

  it("reads no field for an empty field list, and says so", async () => {
    // Act
    const outcome = await limiter().authenticateAndLimit(
      recordKey,
      ["emails:send"],
      requests(policy("api", 5)),
      { key: hash, fields: [] },
    );

    // Assess
    expect(outcome).toMatchObject({ kind: "decided", decision: { allowed: true } });
    expect(outcome.kind === "decided" && outcome.prefetched).toEqual({ key: hash, fields: [], values: [] });
  });
});

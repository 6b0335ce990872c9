/**
 * The RateLimit-Policy / RateLimit structured-field values (IETF httpapi draft) and Retry-After.
 */
import { describe, expect, it } from "vitest";
import {
  rateLimitHeader,
  rateLimitHeaders,
  rateLimitPolicyHeader,
  retryAfterSeconds,
  windowSeconds,
} from "#shared/ratelimit/headers.ts";
import type { PolicyState } from "#shared/ratelimit/limiter.ts";
import type { RateLimitPolicy } from "#shared/ratelimit/policies.ts";

const policy = (name: string, capacity: number, refillPerSecond: number): RateLimitPolicy => ({
  name,
  capacity,
  refillPerSecond,
  onRedisFailure: "open",
});

const state = (p: RateLimitPolicy, overrides: Partial<PolicyState>): PolicyState => ({
  policy: p,
  subject: "s",
  cost: 1,
  capacity: p.capacity,
  intervalUs: Math.ceil(1e6 / p.refillPerSecond),
  shadow: false,
  remaining: 0,
  admits: true,
  retryAfterMs: 0,
  nextAdmitMs: 0,
  fullInMs: 0,
  ...overrides,
});

describe("rate-limit headers", () => {
  it("lists each policy's quota and refill window, in route order", () => {
    // Act
    const value = rateLimitPolicyHeader([
      policy("api", 100, 10),
      policy("emails", 20, 3),
      policy("slow", 3, 0.25),
    ]);

    // Assess: 20 units at 3/s refill in 6.67 s → 7; 3 units at 0.25/s → 12.
    expect(value).toBe('"api";q=100;w=10, "emails";q=20;w=7, "slow";q=3;w=12');
    expect(windowSeconds(policy("fast", 1, 1000))).toBe(1);
  });

  it("gives remaining units and the whole seconds until a like request is admitted", () => {
    // Prepare
    const api = policy("api", 100, 10);
    const emails = policy("emails", 20, 2);

    // Act
    const value = rateLimitHeader([
      state(api, { remaining: 7, nextAdmitMs: 0 }),
      state(emails, { remaining: 0, admits: false, retryAfterMs: 1200, nextAdmitMs: 1200 }),
    ]);

    // Assess
    expect(value).toBe('"api";r=7;t=0, "emails";r=0;t=2');
  });

  it("tells a request that can never be admitted how long until the bucket is full", () => {
    // Act
    const value = rateLimitHeader([
      state(policy("emails", 5, 1), {
        cost: 9,
        remaining: 2,
        admits: false,
        retryAfterMs: null,
        nextAdmitMs: null,
        fullInMs: 3000,
      }),
    ]);

    // Assess
    expect(value).toBe('"emails";r=2;t=3');
  });

  it("states the terms a request was decided under (an API key's own limit), and marks shadow policies", () => {
    // Prepare: the configured emails policy is 100 at 2/s; this key has 5 per minute of its own.
    const emails = policy("emails", 100, 2);
    const trial = { ...policy("api", 10, 1), mode: "shadow" as const };

    // Act
    const headers = rateLimitHeaders(
      [emails, trial],
      [
        state(emails, { capacity: 5, intervalUs: 12_000_000, remaining: 4 }),
        state(trial, { shadow: true, remaining: 0, admits: false, retryAfterMs: 1000, nextAdmitMs: 1000 }),
      ],
    );
    const unknown = rateLimitHeaders([emails, trial], []);

    // Assess
    expect(headers["ratelimit-policy"]).toBe('"emails";q=5;w=60, "api";q=10;w=10;shadow');
    expect(headers.ratelimit).toBe('"emails";r=4;t=0, "api";r=0;t=1');
    expect(unknown).toEqual({ "ratelimit-policy": '"emails";q=100;w=50, "api";q=10;w=10;shadow' });
  });

  it("escapes quotes and backslashes in policy names", () => {
    expect(rateLimitPolicyHeader([policy('a"b\\c', 1, 1)])).toBe('"a\\"b\\\\c";q=1;w=1');
  });

  it("rounds Retry-After up to whole seconds, at least 1", () => {
    expect([1, 999, 1000, 1001, 2500].map(retryAfterSeconds)).toEqual([1, 1, 1, 2, 3]);
  });
});

/**
 * The contenders of the rate-limiter benchmark: Ferry's GCRA limiter and @upstash/ratelimit's
 * tokenBucket, each with one policy, two policies per request, and with their in-memory caches.
 */
import { Ratelimit } from "@upstash/ratelimit";
import type { Redis as UpstashRedis } from "@upstash/redis";
import {
  type LimitRequest,
  RateLimiter,
  type RateLimiterOptions,
  type ScriptClient,
} from "#shared/ratelimit/limiter.ts";
import type { RateLimitPolicy } from "#shared/ratelimit/policies.ts";

export const CAPACITY = 50;
export const REFILL_PER_SECOND = 10;

type Decide = (subject: string) => Promise<boolean>;

export interface Contender {
  readonly name: string;
  readonly decide: Decide;
  /** Ferry's limiter, for its counters (fallbacks, breaker). */
  readonly limiter?: RateLimiter;
}

/** Fallbacks are counted in the report; one line each would drown it. */
const quiet = { warn: () => undefined };

/** Ferry at its production defaults (budget, breaker) unless the workload says otherwise. */
export function ferry(
  redis: ScriptClient,
  prefix: string,
  cache = false,
  limiterOptions: Partial<RateLimiterOptions> = {},
): Contender {
  const policy: RateLimitPolicy = {
    name: "api",
    capacity: CAPACITY,
    refillPerSecond: REFILL_PER_SECOND,
    onRedisFailure: "open",
  };
  const limiter = new RateLimiter({
    redis,
    keyPrefix: prefix,
    ...(cache ? {} : { deniedCache: false as const }),
    logger: quiet,
    ...limiterOptions,
  });
  return {
    name: cache ? "Ferry GCRA + denied cache" : "Ferry GCRA",
    decide: async (subject) => (await limiter.limit([{ policy, subject }])).allowed,
    limiter,
  };
}

export function ferryTwoPolicies(redis: ScriptClient, prefix: string): Contender {
  const api: RateLimitPolicy = {
    name: "api",
    capacity: CAPACITY,
    refillPerSecond: REFILL_PER_SECOND,
    onRedisFailure: "open",
  };
  const emails: RateLimitPolicy = {
    name: "emails",
    capacity: CAPACITY,
    refillPerSecond: REFILL_PER_SECOND,
    onRedisFailure: "closed",
  };
  const limiter = new RateLimiter({ redis, keyPrefix: prefix, deniedCache: false, logger: quiet });
  return {
    name: "Ferry GCRA, api + emails in one decision",
    decide: async (subject) => {
      const requests: LimitRequest[] = [
        { policy: api, subject },
        { policy: emails, subject, cost: 2 },
      ];
      return (await limiter.limit(requests)).allowed;
    },
    limiter,
  };
}

export function peer(redis: UpstashRedis, prefix: string, cache = false): Contender {
  const limiter = new Ratelimit({
    redis,
    limiter: Ratelimit.tokenBucket(REFILL_PER_SECOND, "1 s", CAPACITY),
    prefix,
    // Its default is an ephemeral cache of blocked identifiers; off unless the row compares caches.
    ephemeralCache: cache ? new Map() : false,
    analytics: false,
  });
  return {
    name: cache ? "@upstash/ratelimit tokenBucket + ephemeral cache" : "@upstash/ratelimit tokenBucket",
    decide: async (subject) => (await limiter.limit(subject)).success,
  };
}

export function peerTwoPolicies(redis: UpstashRedis, prefix: string): Contender {
  const make = (p: string) =>
    new Ratelimit({
      redis,
      limiter: Ratelimit.tokenBucket(REFILL_PER_SECOND, "1 s", CAPACITY),
      prefix: `${prefix}${p}`,
      ephemeralCache: false,
      analytics: false,
    });
  const api = make("api");
  const emails = make("emails");
  return {
    // Not atomic: one limit may consume while the other denies.
    name: "@upstash/ratelimit, api + emails as two calls",
    decide: async (subject) => {
      const [a, e] = await Promise.all([api.limit(subject), emails.limit(subject, { rate: 2 })]);
      return a.success && e.success;
    },
  };
}

/**
 * The Redis client the rate limiter uses in production: Ferry's Upstash client
 * (shared/redis/client.ts: never retries, auto-pipelines) with the decision budget as its
 * per-request timeout, so the HTTP request is cancelled at the budget, not just ignored.
 *
 * Why not the general client as is: its timeout is the general Redis budget (REDIS_TIMEOUT_MS,
 * 1 s by default), far above what a rate-limit decision may wait, and a container's first request
 * also opens the (TLS) connection, so it gets a budget of its own.
 */
import { createUpstashClient, type RedisClient } from "#shared/redis/client.ts";

export interface RateLimitRedisOptions {
  readonly url: string;
  readonly token: string;
  /** Per-request budget, in ms: the request is aborted when it runs out. */
  readonly budgetMs: number;
  /** Budget of the client's first request, which also opens the (TLS) connection. */
  readonly firstCallBudgetMs?: number;
  /** For instrumentation (the benchmark counts requests); defaults to the global fetch. */
  readonly fetch?: typeof fetch;
}

export function createRateLimitRedis(options: RateLimitRedisOptions): RedisClient {
  let first = true;
  const firstBudgetMs = Math.max(options.budgetMs, options.firstCallBudgetMs ?? options.budgetMs);
  return createUpstashClient({
    url: options.url,
    token: options.token,
    signal: () => {
      const ms = first ? firstBudgetMs : options.budgetMs;
      first = false;
      return AbortSignal.timeout(ms);
    },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}

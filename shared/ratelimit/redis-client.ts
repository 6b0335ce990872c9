/**
 * The Redis client the rate limiter uses in production: @upstash/redis with the decision budget
 * as its per-request timeout (the HTTP request is cancelled at the budget, not just ignored) and
 * no retries at all.
 *
 * Why not shared/redis/client.ts's client: @upstash/redis 1.39 treats `retry: false` as ONE retry
 * (attempts = 1, and its loop runs attempts + 1 times), so a script whose connection dropped after
 * it reached Redis would be sent twice and consume twice. `{ retries: 0 }` is the setting that
 * sends once. Its timeout is also the general Redis budget (REDIS_TIMEOUT_MS, 1 s by default),
 * far above what a rate-limit decision may wait.
 */
import { Redis } from "@upstash/redis";

export interface RateLimitRedisOptions {
  readonly url: string;
  readonly token: string;
  /** Per-request budget, in ms: the request is aborted when it runs out. */
  readonly budgetMs: number;
  /** Budget of the client's first request, which also opens the (TLS) connection. */
  readonly firstCallBudgetMs?: number;
}

export function createRateLimitRedis(options: RateLimitRedisOptions): Redis {
  let first = true;
  const firstBudgetMs = Math.max(options.budgetMs, options.firstCallBudgetMs ?? options.budgetMs);
  return new Redis({
    url: options.url,
    token: options.token,
    retry: { retries: 0, backoff: () => 0 },
    signal: () => {
      const ms = first ? firstBudgetMs : options.budgetMs;
      first = false;
      return AbortSignal.timeout(ms);
    },
    automaticDeserialization: false,
    enableTelemetry: false,
  });
}

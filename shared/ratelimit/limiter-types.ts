/**
 * The rate limiter's public types, defaults and errors: what callers pass in and get back.
 * The deciding logic lives in limiter.ts.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { DeniedCache } from "./denied-cache.ts";
import type { FailureMode, RateLimitPolicy } from "./policies.ts";

/** The one capability the limiter needs from a Redis client. @upstash/redis's Redis fits as is. */
export interface ScriptClient {
  eval(script: string, keys: string[], args: string[]): Promise<unknown>;
  evalsha(sha: string, keys: string[], args: string[]): Promise<unknown>;
}

export interface LimitRequest {
  readonly policy: RateLimitPolicy;
  readonly subject: string;
  /** Units this request costs; defaults to 1. */
  readonly cost?: number;
}

export interface PolicyState {
  readonly policy: RateLimitPolicy;
  readonly subject: string;
  readonly cost: number;
  /** Whole units left after the decision. */
  readonly remaining: number;
  /** Whether this policy, on its own, admits the cost. */
  readonly admits: boolean;
  /** ms until this policy admits the cost again (0: now); null: never (cost > capacity). */
  readonly retryAfterMs: number | null;
  /**
   * ms until the bucket, as it is after this decision, admits the same cost (a peek or refund
   * counts as one unit): 0 when it would now, null never. The `t` of the RateLimit header.
   */
  readonly nextAdmitMs: number | null;
  /** ms until the bucket is full again. */
  readonly fullInMs: number;
}

export type DecisionSource = "redis" | "denied-cache" | "fallback";

export interface RedisFailure {
  readonly reason: "timeout" | "error";
  readonly message: string;
  /** What the request's policies declared: closed if any of them is closed. */
  readonly mode: FailureMode;
}

export interface Decision {
  readonly allowed: boolean;
  /** ms after which the same request would be admitted: 0 when allowed, null when never. */
  readonly retryAfterMs: number | null;
  readonly source: DecisionSource;
  /** What is known of each policy: all of them from Redis, the denying ones from the cache, none on fallback. */
  readonly states: readonly PolicyState[];
  readonly failure?: RedisFailure;
}

export interface RateLimitMetrics {
  decisions: number;
  redisDecisions: number;
  deniedCacheHits: number;
  fallbacks: number;
  fallbacksOpen: number;
  fallbacksClosed: number;
  timeouts: number;
  errors: number;
}

export type FallbackLogger = Pick<Logger, "warn">;

export interface RateLimiterOptions {
  readonly redis: ScriptClient;
  /** Milliseconds since the epoch; injected by tests to simulate time. */
  readonly clock?: () => number;
  /** Longest a decision waits for Redis before falling back, in ms. */
  readonly budgetMs?: number;
  /**
   * Budget until Redis has answered once: a container's first call also opens the connection
   * (TLS to Upstash), which is not Redis being slow.
   */
  readonly firstCallBudgetMs?: number;
  /** How far (ms) a caller's clock may disagree with the last writer's before it is not trusted. */
  readonly clockSlackMs?: number;
  readonly keyPrefix?: string;
  /** Memory of denied buckets; `false` turns it off. */
  readonly deniedCache?: DeniedCache | false;
  readonly logger?: FallbackLogger;
  /** Counters to update (so a middleware can expose one set across limiters); else its own. */
  readonly metrics?: RateLimitMetrics;
}

export const newMetrics = (): RateLimitMetrics => ({
  decisions: 0,
  redisDecisions: 0,
  deniedCacheHits: 0,
  fallbacks: 0,
  fallbacksOpen: 0,
  fallbacksClosed: 0,
  timeouts: 0,
  errors: 0,
});

export const DEFAULT_BUDGET_MS = 50;
export const DEFAULT_FIRST_CALL_BUDGET_MS = 250;
export const DEFAULT_CLOCK_SLACK_MS = 1000;

/** Redis did not answer within the budget, or answered with an error. */
export class RateLimiterUnavailableError extends Error {
  override readonly name = "RateLimiterUnavailableError";
  constructor(
    readonly reason: "timeout" | "error",
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

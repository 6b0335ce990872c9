/**
 * The rate limiter's public types, defaults and errors: what callers pass in and get back.
 * The deciding logic lives in limiter.ts.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { HashFields } from "#shared/redis/hash-prefetch.ts";
import type { BreakerOptions } from "./breaker.ts";
import type { DeniedCache } from "./denied-cache.ts";
import type { FailureMode, RateLimitPolicy } from "./policies.ts";

/** The one capability the limiter needs from a Redis client (shared/redis/client.ts fits as is). */
export interface ScriptClient {
  eval(script: string, keys: string[], args: string[]): Promise<unknown>;
  evalsha(sha: string, keys: string[], args: string[]): Promise<unknown>;
}

export interface LimitRequest {
  readonly policy: RateLimitPolicy;
  readonly subject: string;
  /** Units this request costs; defaults to 1. 0 peeks (refill applied, nothing consumed). */
  readonly cost?: number;
}

export interface PolicyState {
  /** The policy as configured. */
  readonly policy: RateLimitPolicy;
  readonly subject: string;
  readonly cost: number;
  /** Capacity decided with: the policy's, or the API key's own limit. */
  readonly capacity: number;
  /** Emission interval decided with, µs per unit (the policy's, or the API key's own). */
  readonly intervalUs: number;
  /** A shadow policy: reported, never refusing. */
  readonly shadow: boolean;
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
  readonly reason: "timeout" | "error" | "breaker-open";
  readonly message: string;
  /** What the request's policies declared: closed if any of them is closed. */
  readonly mode: FailureMode;
}

export interface Decision {
  /** Whether the request may proceed (shadow policies never refuse it). */
  readonly allowed: boolean;
  /**
   * When refused: ms after which the same request would be admitted, or null when it never can
   * (its cost exceeds an enforced policy's capacity). 0 when allowed.
   */
  readonly retryAfterMs: number | null;
  readonly source: DecisionSource;
  /** What is known of each policy: all of them from Redis, the denying ones from the cache, none on fallback. */
  readonly states: readonly PolicyState[];
  readonly failure?: RedisFailure;
}

/** The API-key lookup and the limit decision of one request, from one round trip. */
export type AuthenticatedDecision =
  /** No such key (or revoked): nothing was consumed. */
  | { readonly kind: "unknown-key" }
  /** The key lacks a required scope: nothing was consumed. `record` is the stored JSON. */
  | { readonly kind: "missing-scope"; readonly record: string }
  | {
      readonly kind: "decided";
      readonly record: string;
      readonly decision: Decision;
      /** The hash fields asked for, read in the same script: only when the decision admitted. */
      readonly prefetched?: HashFields;
    }
  /** Redis could not answer (or the breaker is open): the key cannot be checked. */
  | { readonly kind: "unavailable"; readonly failure: RedisFailure };

export interface RateLimitMetrics {
  decisions: number;
  redisDecisions: number;
  deniedCacheHits: number;
  /** Decisions made without Redis (each also counted as open/closed and by reason). */
  fallbacks: number;
  fallbacksOpen: number;
  fallbacksClosed: number;
  timeouts: number;
  errors: number;
  /** Fallbacks decided at once because the breaker was open (Redis was not tried). */
  breakerSkips: number;
  /** Probes sent while the breaker was open, and how often it opened. */
  breakerProbes: number;
  breakerOpened: number;
  /** Requests a shadow policy would have refused. */
  shadowDenials: number;
}

export type FallbackLogger = Pick<Logger, "warn">;

export interface RateLimiterOptions {
  readonly redis: ScriptClient;
  /** Milliseconds since the epoch; injected by tests to simulate time. */
  readonly clock?: () => number;
  /** Longest a decision waits for Redis before that counts as an outage, in ms. */
  readonly budgetMs?: number;
  /**
   * Budget until Redis has answered once: a container's first call also opens the connection
   * (TLS to Upstash), which is not Redis being slow. Default: twice the budget.
   */
  readonly firstCallBudgetMs?: number;
  /** The per-container breaker (see breaker.ts); `false` turns it off (every call tries Redis). */
  readonly breaker?: BreakerOptions | false;
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
  breakerSkips: 0,
  breakerProbes: 0,
  breakerOpened: 0,
  shadowDenials: 0,
});

/**
 * Upstash REST is HTTPS per round trip: a database a few hundred ms away must still decide.
 * Longer than this is an outage (the breaker then stops waiting for it).
 */
export const DEFAULT_BUDGET_MS = 1000;
export const DEFAULT_BREAKER: BreakerOptions = { failuresToOpen: 3, cooldownMs: 1000 };
export const DEFAULT_CLOCK_SLACK_MS = 1000;

/** Redis did not answer within the budget, answered with an error, or the breaker is open. */
export class RateLimiterUnavailableError extends Error {
  override readonly name = "RateLimiterUnavailableError";
  constructor(
    readonly reason: RedisFailure["reason"],
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * The rate limiter as the HTTP chain uses it: one per container, shared by the API-key step
 * (which looks the key up and decides its route's policies in the same round trip) and the
 * rate-limit step (which decides the routes that are not authenticated by an API key, such as
 * webhooks, per source IP). Sharing one instance means one breaker, one denied cache and one set
 * of counters per container. It builds the limiter and policy table from the request's config
 * (RATE_LIMITS, RATE_LIMIT_TIMEOUT_MS, RATE_LIMIT_BREAKER_*), once per config.
 */
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type { Config } from "#shared/config.ts";
import type { BreakerOptions } from "#shared/ratelimit/breaker.ts";
import type { DeniedCache } from "#shared/ratelimit/denied-cache.ts";
import {
  type FallbackLogger,
  type LimitRequest,
  newMetrics,
  RateLimiter,
  type RateLimitMetrics,
  type ScriptClient,
} from "#shared/ratelimit/limiter.ts";
import {
  type FerryPolicies,
  type FerryRateLimitPolicy,
  resolvePolicies,
} from "#shared/ratelimit/policies.ts";
import { createRateLimitRedis } from "#shared/ratelimit/redis-client.ts";
import type { FerryRequestState } from "./context.ts";
import { costOf } from "./rate-limit-cost.ts";

export interface RouteRateLimiterOptions {
  /** Milliseconds since the epoch (tests simulate time). */
  readonly clock?: () => number;
  /** Longest a decision waits for Redis, in ms; default: the config's RATE_LIMIT_TIMEOUT_MS. */
  readonly budgetMs?: number;
  /** Budget of a container's first decision, which also opens the connection (default 2 × budget). */
  readonly firstCallBudgetMs?: number;
  /** Default: the config's RATE_LIMIT_BREAKER_FAILURES / _COOLDOWN_MS; `false` turns it off. */
  readonly breaker?: BreakerOptions | false;
  readonly clockSlackMs?: number;
  /** Memory of denied subjects for this container; `false` turns it off. */
  readonly deniedCache?: DeniedCache | false;
  /** Client for the scripts; default: an Upstash client built from the config, with the budget as its timeout. */
  readonly redis?: ScriptClient;
  /** Policies; default: built-in defaults overridden by the config's RATE_LIMITS. */
  readonly policies?: FerryPolicies;
  readonly logger?: FallbackLogger;
  readonly keyPrefix?: string;
}

export class RouteRateLimiter {
  /** Decisions, denied-cache hits, breaker activity and fallbacks since the container started. */
  readonly metrics: RateLimitMetrics = newMetrics();
  readonly #options: RouteRateLimiterOptions;
  readonly #limiters = new WeakMap<Config, RateLimiter>();
  readonly #tables = new WeakMap<Config, FerryPolicies>();

  constructor(options: RouteRateLimiterOptions = {}) {
    this.#options = options;
  }

  /** The route's policies, in manifest order. */
  policiesOf(state: FerryRequestState): FerryRateLimitPolicy[] {
    const names = state.route?.rateLimit ?? [];
    if (names.length === 0) return [];
    const table = this.#tableFor(state.config);
    return names.map((name) => table[name]);
  }

  /**
   * The route's limit requests: each policy's subject (the API key, by the hash the caller
   * presented, or the source IP) and the request's cost on it.
   */
  requestsFor(
    state: FerryRequestState,
    event: APIGatewayProxyEventV2,
    keyHash: string | undefined,
  ): LimitRequest[] {
    const ip = `ip:${event.requestContext?.http?.sourceIp ?? "unknown"}`;
    const contentType = event.headers?.["content-type"];
    return this.policiesOf(state).map((policy) => ({
      policy,
      // A key's buckets are named by the hash of its secret: it is known before the lookup, so
      // the lookup and the decision fit in one script (which may only touch the keys it is given).
      subject: policy.subject === "apiKey" && keyHash ? `key:${keyHash}` : ip,
      cost: costOf(policy, state.rawBody, contentType),
    }));
  }

  limiterFor(config: Config): RateLimiter {
    let limiter = this.#limiters.get(config);
    if (!limiter) {
      const o = this.#options;
      const budgetMs = o.budgetMs ?? config.RATE_LIMIT_TIMEOUT_MS;
      const firstCallBudgetMs = o.firstCallBudgetMs ?? 2 * budgetMs;
      limiter = new RateLimiter({
        redis:
          o.redis ??
          createRateLimitRedis({
            url: config.UPSTASH_REDIS_REST_URL,
            token: config.UPSTASH_REDIS_REST_TOKEN,
            budgetMs,
            firstCallBudgetMs,
          }),
        budgetMs,
        firstCallBudgetMs,
        breaker: o.breaker ?? {
          failuresToOpen: config.RATE_LIMIT_BREAKER_FAILURES,
          cooldownMs: config.RATE_LIMIT_BREAKER_COOLDOWN_MS,
        },
        metrics: this.metrics,
        ...(o.clock ? { clock: o.clock } : {}),
        ...(o.clockSlackMs !== undefined ? { clockSlackMs: o.clockSlackMs } : {}),
        ...(o.deniedCache !== undefined ? { deniedCache: o.deniedCache } : {}),
        ...(o.logger ? { logger: o.logger } : {}),
        ...(o.keyPrefix ? { keyPrefix: o.keyPrefix } : {}),
      });
      this.#limiters.set(config, limiter);
    }
    return limiter;
  }

  #tableFor(config: Config): FerryPolicies {
    if (this.#options.policies) return this.#options.policies;
    let table = this.#tables.get(config);
    if (!table) {
      table = resolvePolicies(config.RATE_LIMITS);
      this.#tables.set(config, table);
    }
    return table;
  }
}

let shared: RouteRateLimiter | undefined;

/** The container's limiter, used by the HTTP chain's API-key and rate-limit steps alike. */
export function sharedRouteLimiter(): RouteRateLimiter {
  shared ??= new RouteRateLimiter();
  return shared;
}

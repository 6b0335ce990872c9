/**
 * The rate-limit step of the HTTP chain (after auth, before body validation). For the manifest
 * route being served it decides all of the route's policies at once:
 *   api      per API key, cost 1          emails   per API key, cost = number of recipients
 *   webhooks per source IP, cost 1
 * It puts RateLimit-Policy / RateLimit on `context.ferry.responseHeaders` (the chain copies them
 * onto every response), throws a 429 problem with Retry-After when the request is denied, and a
 * 503 when Redis cannot decide and a policy of the route fails closed.
 */
import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { Config } from "#shared/config.ts";
import { MAX_RECIPIENTS } from "#shared/email/request.ts";
import type { FerryContext, FerryRequestState } from "#shared/http/context.ts";
import { HttpError, serviceUnavailable } from "#shared/http/errors.ts";
import type { DeniedCache } from "./denied-cache.ts";
import { rateLimitHeaders, retryAfterSeconds } from "./headers.ts";
import {
  DEFAULT_BUDGET_MS,
  DEFAULT_FIRST_CALL_BUDGET_MS,
  type Decision,
  type FallbackLogger,
  type LimitRequest,
  newMetrics,
  RateLimiter,
  type RateLimitMetrics,
  type ScriptClient,
} from "./limiter.ts";
import { type FerryPolicies, type FerryRateLimitPolicy, resolvePolicies } from "./policies.ts";
import { createRateLimitRedis } from "./redis-client.ts";

export interface RateLimitMiddlewareOptions {
  /** Milliseconds since the epoch (tests simulate time). */
  readonly clock?: () => number;
  /** Longest a decision waits for Redis, in ms (default 50). */
  readonly budgetMs?: number;
  /** Budget of a container's first decision, which also opens the connection (default 250). */
  readonly firstCallBudgetMs?: number;
  readonly clockSlackMs?: number;
  /** Memory of denied subjects for this container; `false` turns it off. */
  readonly deniedCache?: DeniedCache | false;
  /** Client for the script; default: an Upstash client built from the request's config, with the budget as its timeout. */
  readonly redis?: ScriptClient;
  /** Policies; default: built-in defaults overridden by the config's RATE_LIMITS. */
  readonly policies?: FerryPolicies;
  readonly logger?: FallbackLogger;
  readonly keyPrefix?: string;
}

export type RateLimitMiddleware = MiddlewareObj<
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Error,
  FerryContext
> & {
  /** Decisions, denied-cache hits and Redis fallbacks since the container started. */
  readonly metrics: Readonly<RateLimitMetrics>;
};

/**
 * Units a POST /v1/emails request costs: its number of recipients. Validation runs after this
 * step, so anything the validator will reject (bad JSON, no `to`, too many) costs 1.
 */
export function recipientCount(rawBody: Buffer): number {
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString("utf8"));
  } catch {
    return 1;
  }
  const to = typeof body === "object" && body !== null ? (body as { to?: unknown }).to : undefined;
  if (Array.isArray(to) && to.length >= 1 && to.length <= MAX_RECIPIENTS) return to.length;
  return 1;
}

function subjectOf(
  policy: FerryRateLimitPolicy,
  state: FerryRequestState,
  event: APIGatewayProxyEventV2,
): string {
  const ip = `ip:${event.requestContext?.http?.sourceIp ?? "unknown"}`;
  if (policy.subject === "sourceIp") return ip;
  // Auth runs first, so a per-key route has a principal; a route without auth falls back to the IP.
  return state.principal ? `key:${state.principal.keyId}` : ip;
}

function denial(decision: Decision, headers: Record<string, string>): HttpError {
  const denying = decision.states.filter((s) => !s.admits);
  const parts = denying.map((s) =>
    s.retryAfterMs === null
      ? `"${s.policy.name}" allows at most ${s.policy.capacity} units at once and this request costs ${s.cost}, so it can never be admitted`
      : `"${s.policy.name}" has ${s.remaining} of ${s.policy.capacity} units left and this request costs ${s.cost}`,
  );
  const retry = decision.retryAfterMs;
  return new HttpError(429, {
    type: "rate-limited",
    title: "Too many requests",
    detail: `Rate limit exceeded: ${parts.join("; ")}.${retry === null ? "" : ` Retry after ${retryAfterSeconds(retry)} s.`}`,
    // A request that can never be admitted gets no Retry-After: any value would be a lie.
    headers: retry === null ? headers : { ...headers, "retry-after": String(retryAfterSeconds(retry)) },
  });
}

export function rateLimitMiddleware(options: RateLimitMiddlewareOptions = {}): RateLimitMiddleware {
  const metrics = newMetrics();
  const budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
  const firstCallBudgetMs = options.firstCallBudgetMs ?? DEFAULT_FIRST_CALL_BUDGET_MS;
  // One limiter and one policy table per configuration, i.e. per container.
  const limiters = new WeakMap<Config, RateLimiter>();
  const policyTables = new WeakMap<Config, FerryPolicies>();

  const policiesFor = (config: Config): FerryPolicies => {
    if (options.policies) return options.policies;
    let table = policyTables.get(config);
    if (!table) {
      table = resolvePolicies(config.RATE_LIMITS);
      policyTables.set(config, table);
    }
    return table;
  };

  const limiterFor = (config: Config): RateLimiter => {
    let limiter = limiters.get(config);
    if (!limiter) {
      limiter = new RateLimiter({
        redis:
          options.redis ??
          createRateLimitRedis({
            url: config.UPSTASH_REDIS_REST_URL,
            token: config.UPSTASH_REDIS_REST_TOKEN,
            budgetMs,
            firstCallBudgetMs,
          }),
        budgetMs,
        firstCallBudgetMs,
        metrics,
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.clockSlackMs !== undefined ? { clockSlackMs: options.clockSlackMs } : {}),
        ...(options.deniedCache !== undefined ? { deniedCache: options.deniedCache } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
        ...(options.keyPrefix ? { keyPrefix: options.keyPrefix } : {}),
      });
      limiters.set(config, limiter);
    }
    return limiter;
  };

  return {
    name: "ferry-rate-limit",
    metrics,
    before: async ({ event, context }) => {
      const state = context.ferry;
      const names = state.route?.rateLimit ?? [];
      if (names.length === 0) return;
      const table = policiesFor(state.config);
      const policies = names.map((name) => table[name]);
      const requests: LimitRequest[] = policies.map((policy) => ({
        policy,
        subject: subjectOf(policy, state, event),
        cost: policy.cost === "recipients" ? recipientCount(state.rawBody) : 1,
      }));

      const decision = await limiterFor(state.config).limit(requests);
      const headers = rateLimitHeaders(policies, decision.states);
      Object.assign(state.responseHeaders, headers);
      if (decision.allowed) return;
      if (decision.source === "fallback") {
        throw serviceUnavailable("Rate limiting is temporarily unavailable; retry shortly.", 1);
      }
      throw denial(decision, headers);
    },
  };
}

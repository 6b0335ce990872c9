/**
 * The rate-limit step of the HTTP chain (after auth, before body validation), and how a decision
 * becomes a response. The route's policies come from the manifest and are decided at once:
 *   api      per API key, cost 1          emails   per API key, cost = recipients of a valid body
 *   webhooks per source IP, cost 1
 * On an API-key route the API-key step (shared/http/api-key-auth.ts) has already decided them in
 * the same round trip as the key lookup, and applied the decision with `applyDecision`; this
 * step decides every other route (webhooks, per source IP).
 *
 * A decision puts RateLimit-Policy / RateLimit on `context.ferry.responseHeaders` (the chain
 * copies them onto every response) and, when it refuses: 429 + Retry-After (the true wait under
 * the current policy), 422 when the request costs more than an enforced policy's capacity (no
 * wait would ever admit it), or 503 when Redis cannot decide and a policy of the route fails
 * closed. Shadow policies are reported and never refuse.
 */
import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { countMetric, METRIC } from "#shared/metrics/metrics.ts";
import { rateLimitHeaders, retryAfterSeconds } from "#shared/ratelimit/headers.ts";
import type { Decision, PolicyState, RateLimitMetrics } from "#shared/ratelimit/limiter.ts";
import type { RateLimitPolicy } from "#shared/ratelimit/policies.ts";
import type { FerryContext, FerryRequestState } from "./context.ts";
import { HttpError, serviceUnavailable } from "./errors.ts";
import { RouteRateLimiter, type RouteRateLimiterOptions, sharedRouteLimiter } from "./rate-limit-routes.ts";

export type RateLimitMiddleware = MiddlewareObj<
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Error,
  FerryContext
> & {
  /** Decisions, denied-cache hits, breaker activity and Redis fallbacks since the container started. */
  readonly metrics: Readonly<RateLimitMetrics>;
};

const refusing = (decision: Decision) => decision.states.filter((s) => !s.admits && !s.shadow);

function tooManyRequests(decision: Decision, retryMs: number, headers: Record<string, string>): HttpError {
  const parts = refusing(decision).map(
    (s) =>
      `"${s.policy.name}" has ${s.remaining} of ${s.capacity} units left and this request costs ${s.cost}`,
  );
  return new HttpError(429, {
    type: "rate-limited",
    title: "Too many requests",
    detail: `Rate limit exceeded: ${parts.join("; ")}. Retry after ${retryAfterSeconds(retryMs)} s.`,
    headers: { ...headers, "retry-after": String(retryAfterSeconds(retryMs)) },
  });
}

/** Not a 429: no wait would help, so there is no Retry-After (any value would be a lie). */
function costExceedsCapacity(decision: Decision, headers: Record<string, string>): HttpError {
  const never = refusing(decision).filter((s: PolicyState) => s.retryAfterMs === null);
  const parts = never.map(
    (s) => `"${s.policy.name}" allows at most ${s.capacity} units at once and this request costs ${s.cost}`,
  );
  return new HttpError(422, {
    type: "cost-exceeds-capacity",
    title: "Request exceeds the rate limit's capacity",
    detail: `This request can never be admitted: ${parts.join("; ")}. Split it into smaller requests.`,
    headers,
  });
}

function countDecision(decision: Decision): void {
  if (decision.source === "fallback") {
    countMetric(METRIC.rateLimitFallback, { reason: decision.allowed ? "fail-open" : "fail-closed" });
  }
  if (decision.allowed) countMetric(METRIC.rateLimitAllowed);
  else countMetric(METRIC.rateLimitDenied, { reason: refusing(decision)[0]?.policy.name ?? decision.source });
}

/** Puts a decision's headers on the response and throws the refusal, if it is one. */
export function applyDecision(
  state: FerryRequestState,
  policies: readonly RateLimitPolicy[],
  decision: Decision,
): void {
  const headers = rateLimitHeaders(policies, decision.states);
  Object.assign(state.responseHeaders, headers);
  countDecision(decision);
  if (decision.allowed) return;
  if (decision.source === "fallback") {
    throw serviceUnavailable("Rate limiting is temporarily unavailable; retry shortly.", 1);
  }
  if (decision.retryAfterMs === null) throw costExceedsCapacity(decision, headers);
  throw tooManyRequests(decision, decision.retryAfterMs, headers);
}

/**
 * The rate-limit step. Give it the container's RouteRateLimiter (the default: the one the
 * API-key step uses too) or options for a limiter of its own (tests).
 */
export function rateLimitMiddleware(
  limiter: RouteRateLimiter | RouteRateLimiterOptions = sharedRouteLimiter(),
): RateLimitMiddleware {
  const routes = limiter instanceof RouteRateLimiter ? limiter : new RouteRateLimiter(limiter);
  return {
    name: "ferry-rate-limit",
    metrics: routes.metrics,
    before: async ({ event, context }) => {
      const state = context.ferry;
      // Decided by the API-key step, in the same round trip as the key lookup.
      if (state.route?.auth.kind === "apiKey") return;
      const policies = routes.policiesOf(state);
      if (policies.length === 0) return;
      const decision = await routes
        .limiterFor(state.config)
        .limit(routes.requestsFor(state, event, undefined));
      applyDecision(state, policies, decision);
    },
  };
}

/**
 * API-key authentication and scope check for routes whose manifest auth is `apiKey`, fused with
 * the route's rate limit: one script looks the key up by the hash of the presented secret, checks
 * the scopes and decides the route's policies (under the key's own limits, if it has any) in ONE
 * Redis round trip (shared/ratelimit/script.ts, AUTH_AND_LIMIT).
 * Missing or unknown key → 401; key without the route's scopes → 403 (neither consumes anything);
 * then the rate-limit decision (429 / 422 / headers, see shared/http/rate-limit.ts);
 * Redis unreachable → 503 (a server fault, never reported as the caller's).
 * A route may declare hash fields its handler will read (`prefetch`, from httpHandler's options):
 * the same script reads them once the key is valid, scoped and admitted, and they are left on
 * `context.ferry.prefetched` for the handler, which then needs no round trip of its own for them.
 */
import { hashApiKey, parseStoredKey, principalOf } from "#shared/auth/api-keys.ts";
import { logger } from "#shared/logger.ts";
import type { HashFieldsRequest } from "#shared/redis/hash-prefetch.ts";
import { redisKeys } from "#shared/redis/keys.ts";
import type { HttpMiddleware } from "./context.ts";
import { forbidden, serviceUnavailable, unauthorized } from "./errors.ts";
import { applyDecision } from "./rate-limit.ts";
import { type RouteRateLimiter, sharedRouteLimiter } from "./rate-limit-routes.ts";

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * The hash fields a route's handler will read, from the raw body (the body is not validated
 * yet: it must read it leniently and bound what it asks for; no fields when it finds none).
 */
export type RoutePrefetch = (rawBody: Buffer) => HashFieldsRequest;

export interface ApiKeyAuthOptions {
  /** The container's rate limiter (default: the one the rate-limit step uses too). */
  readonly rateLimiter?: RouteRateLimiter;
  readonly prefetch?: RoutePrefetch;
}

export function apiKeyAuth(options: ApiKeyAuthOptions = {}): HttpMiddleware {
  return {
    name: "ferry-api-key-auth",
    before: async ({ event, context }) => {
      const state = context.ferry;
      const auth = state.route?.auth;
      if (auth?.kind !== "apiKey") return;
      const header = event.headers?.authorization;
      if (!header) throw unauthorized("Send an API key as 'Authorization: Bearer <key>'.");
      const secret = BEARER.exec(header)?.[1];
      if (!secret) throw unauthorized("The Authorization header must use the Bearer scheme.");

      const limits = options.rateLimiter ?? sharedRouteLimiter();
      const hash = hashApiKey(secret);
      const outcome = await limits
        .limiterFor(state.config)
        .authenticateAndLimit(
          redisKeys.apiKeyByHash(hash),
          auth.scopes,
          limits.requestsFor(state, event, hash),
          options.prefetch?.(state.rawBody),
        );
      if (outcome.kind === "unavailable") {
        throw serviceUnavailable("Authentication is temporarily unavailable.", 1);
      }
      const key = outcome.kind === "unknown-key" ? undefined : parseStoredKey(outcome.record);
      if (!key) throw unauthorized("The API key is not valid.");
      if (outcome.kind === "missing-scope") {
        const missing = auth.scopes.filter((s) => !key.scopes.includes(s));
        throw forbidden(`The API key lacks the scope(s): ${missing.join(", ")}.`);
      }
      state.principal = principalOf(key);
      logger.appendKeys({ keyId: key.keyId });
      if (outcome.kind === "decided") {
        applyDecision(state, limits.policiesOf(state), outcome.decision);
        if (outcome.prefetched) state.prefetched = outcome.prefetched;
      }
    },
  };
}

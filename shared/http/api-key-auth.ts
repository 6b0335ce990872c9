/**
 * API-key authentication and scope check for routes whose manifest auth is `apiKey`.
 * Missing or unknown key → 401; key without the route's scopes → 403; Redis unreachable → 503
 * (a server fault, never reported as the caller's).
 */
import { authenticateApiKey } from "#shared/auth/api-keys.ts";
import type { Principal } from "#shared/auth/principal.ts";
import { logger } from "#shared/logger.ts";
import type { HttpMiddleware } from "./context.ts";
import { forbidden, serviceUnavailable, unauthorized } from "./errors.ts";

const BEARER = /^Bearer\s+(\S+)\s*$/i;

export function apiKeyAuth(): HttpMiddleware {
  return {
    name: "ferry-api-key-auth",
    before: async ({ event, context }) => {
      const auth = context.ferry.route?.auth;
      if (auth?.kind !== "apiKey") return;
      const header = event.headers?.authorization;
      if (!header) throw unauthorized("Send an API key as 'Authorization: Bearer <key>'.");
      const secret = BEARER.exec(header)?.[1];
      if (!secret) throw unauthorized("The Authorization header must use the Bearer scheme.");
      let principal: Principal | undefined;
      try {
        principal = await authenticateApiKey(context.ferry.redis, secret);
      } catch (error) {
        logger.error("api key lookup failed", error as Error);
        throw serviceUnavailable("Authentication is temporarily unavailable.", 1);
      }
      if (!principal) throw unauthorized("The API key is not valid.");
      const missing = auth.scopes.filter((s) => !principal.scopes.includes(s));
      if (missing.length > 0) throw forbidden(`The API key lacks the scope(s): ${missing.join(", ")}.`);
      context.ferry.principal = principal;
      logger.appendKeys({ keyId: principal.keyId });
    },
  };
}

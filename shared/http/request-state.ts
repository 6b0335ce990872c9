/**
 * First middleware of the HTTP chain: finds the function's declared route for the event's
 * routeKey, takes the request id, decodes the raw body, and attaches config (checked against the
 * function's needs at cold start) and Redis (built once per container).
 */
import type { FunctionSpec, RouteSpec } from "#shared/app/types.ts";
import { getDeps } from "#shared/deps.ts";
import { logger } from "#shared/logger.ts";
import type { HttpMiddleware } from "./context.ts";
import { payloadTooLarge } from "./errors.ts";

export function requestState(spec: FunctionSpec): HttpMiddleware {
  const routesByKey = new Map<string, RouteSpec>((spec.http ?? []).map((r) => [`${r.method} ${r.path}`, r]));
  return {
    name: "ferry-request-state",
    before: async (request) => {
      const { event, context } = request;
      // API Gateway's request id is authoritative; the header is only trusted when there is none.
      const requestId =
        event.requestContext?.requestId || event.headers?.["x-request-id"] || context.awsRequestId;
      const route = routesByKey.get(event.routeKey);
      // State that needs no dependency is attached first, so an error below still has a request id.
      const partial = {
        requestId,
        route,
        rawBody: event.body
          ? Buffer.from(event.body, event.isBase64Encoded ? "base64" : "utf8")
          : Buffer.alloc(0),
        responseHeaders: { "x-request-id": requestId },
      };
      (context as { ferry?: unknown }).ferry = partial;
      logger.appendKeys({ requestId, routeKey: event.routeKey });
      const { config, redis } = await getDeps(spec);
      context.ferry = { ...partial, config, redis };
      if (partial.rawBody.byteLength > config.MAX_BODY_BYTES) throw payloadTooLarge(config.MAX_BODY_BYTES);
    },
  };
}

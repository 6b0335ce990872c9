/**
 * First middleware of the HTTP chain: finds the manifest route for the event's routeKey, takes
 * the request id, decodes the raw body, and attaches config and Redis (built once per container).
 */
import { type HttpRoute, manifest } from "#shared/app/manifest.ts";
import { getDeps } from "#shared/deps.ts";
import { logger } from "#shared/logger.ts";
import type { HttpMiddleware } from "./context.ts";
import { payloadTooLarge } from "./errors.ts";

const routesByKey = new Map<string, HttpRoute>(manifest.http.routes.map((r) => [`${r.method} ${r.path}`, r]));

export const routeForKey = (routeKey: string): HttpRoute | undefined => routesByKey.get(routeKey);

export function requestState(): HttpMiddleware {
  return {
    name: "ferry-request-state",
    before: async (request) => {
      const { event, context } = request;
      // API Gateway's request id is authoritative; the header is only trusted when there is none.
      const requestId =
        event.requestContext?.requestId || event.headers?.["x-request-id"] || context.awsRequestId;
      const route = routeForKey(event.routeKey);
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
      const { config, redis } = await getDeps();
      context.ferry = { ...partial, config, redis };
      if (partial.rawBody.byteLength > config.MAX_BODY_BYTES) throw payloadTooLarge(config.MAX_BODY_BYTES);
    },
  };
}

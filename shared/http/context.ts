/**
 * What the HTTP middleware chain attaches to the Lambda context for later middlewares and the
 * handler: the manifest route being served, the request id, the authenticated principal, config
 * and the Redis client. Domain code in shared/ receives plain values from it, never the event.
 */
import type { MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import type { RouteSpec } from "#shared/app/types.ts";
import type { Principal } from "#shared/auth/principal.ts";
import type { Config } from "#shared/config.ts";
import type { RedisClient } from "#shared/redis/client.ts";
import type { HashFields } from "#shared/redis/hash-prefetch.ts";

export interface FerryRequestState {
  readonly requestId: string;
  /** The function's declared route matched by the event's routeKey; undefined on the fallback route. */
  readonly route: RouteSpec | undefined;
  readonly config: Config;
  readonly redis: RedisClient;
  /** Set by the auth middleware on apiKey routes. */
  principal?: Principal;
  /** The hash fields the route declared (httpHandler's `prefetch`), read by the auth script. */
  prefetched?: HashFields;
  /** The raw request body bytes, decoded from base64 when API Gateway encoded them. */
  rawBody: Buffer;
  /** Response headers every middleware may add to (rate-limit headers, for instance). */
  readonly responseHeaders: Record<string, string>;
}

export type FerryContext = Context & { ferry: FerryRequestState };

/** A middleware of Ferry's HTTP chain. */
export type HttpMiddleware = MiddlewareObj<
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Error,
  FerryContext
>;

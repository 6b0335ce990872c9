/**
 * Ferry's HTTP chain around the rate limit, as a test drives it: response finalizer → (what
 * request-state attaches) → the real API-key step → the real rate-limit step → a handler that
 * answers 202. Both steps share one RouteRateLimiter, as they share the container's in Lambda.
 * Events are hand-built API Gateway v2 events for the manifest's own routes.
 */
import { randomUUID } from "node:crypto";
import middy from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { createLambdaContext } from "#infra/local/functions/lambda-context.ts";
import { type HttpRoute, manifest } from "#shared/app/manifest.ts";
import type { Config } from "#shared/config.ts";
import { apiKeyAuth } from "#shared/http/api-key-auth.ts";
import type { FerryContext, FerryRequestState } from "#shared/http/context.ts";
import { rateLimitMiddleware } from "#shared/http/rate-limit.ts";
import { RouteRateLimiter, type RouteRateLimiterOptions } from "#shared/http/rate-limit-routes.ts";
import { responseFinalizer } from "#shared/http/response.ts";
import { createRedisClient } from "#shared/redis/client.ts";
import { testPrefix } from "./backends.ts";

const route = (method: string, path: string): HttpRoute => {
  const found = manifest.http.routes.find((r) => r.method === method && r.path === path);
  if (!found) throw new Error(`no route ${method} ${path} in the manifest`);
  return found;
};
export const emailsRoute = route("POST", "/v1/emails");
export const taskRoute = route("GET", "/v1/tasks/{taskId}");
export const webhookRoute = route("POST", "/v1/webhooks/stripe");
export const healthRoute = route("GET", "/health");

export interface Call {
  readonly route: HttpRoute;
  readonly body?: unknown;
  /** The API key secret sent as a Bearer token. */
  readonly key?: string;
  readonly sourceIp?: string;
}

function eventFor(call: Call): APIGatewayProxyEventV2 {
  const routeKey = `${call.route.method} ${call.route.path}`;
  return {
    version: "2.0",
    routeKey,
    rawPath: call.route.path,
    rawQueryString: "",
    headers: {
      "content-type": "application/json",
      ...(call.key ? { authorization: `Bearer ${call.key}` } : {}),
    },
    isBase64Encoded: false,
    ...(call.body === undefined
      ? {}
      : { body: typeof call.body === "string" ? call.body : JSON.stringify(call.body) }),
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      domainName: "localhost",
      domainPrefix: "localhost",
      http: {
        method: call.route.method,
        path: call.route.path,
        protocol: "HTTP/1.1",
        sourceIp: call.sourceIp ?? "198.51.100.7",
        userAgent: "vitest",
      },
      requestId: randomUUID(),
      routeKey,
      stage: "$default",
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
  };
}

export interface Response {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Record<string, unknown>;
}

/** A chain over `config`, with a limiter of its own (its own prefix, breaker and counters). */
export function chain(config: Config, options: RouteRateLimiterOptions = {}) {
  const limiter = new RouteRateLimiter({ keyPrefix: testPrefix(), deniedCache: false, ...options });
  const redis = createRedisClient({
    url: config.UPSTASH_REDIS_REST_URL,
    token: config.UPSTASH_REDIS_REST_TOKEN,
    timeoutMs: 2000,
  });
  const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, FerryContext>(
    async () => ({ statusCode: 202, body: "{}" }),
  )
    .use(responseFinalizer())
    .use({
      // Stands in for request-state: what it attaches before auth runs.
      before: ({ event, context }) => {
        const state: FerryRequestState = {
          requestId: event.requestContext.requestId,
          route: manifest.http.routes.find((r) => `${r.method} ${r.path}` === event.routeKey),
          config,
          redis,
          rawBody: Buffer.from(event.body ?? ""),
          responseHeaders: { "x-request-id": event.requestContext.requestId },
        };
        context.ferry = state;
      },
    })
    .use(apiKeyAuth({ rateLimiter: limiter }))
    .use(rateLimitMiddleware(limiter));
  const context = () =>
    createLambdaContext(
      "test",
      { timeoutSeconds: 30, memoryMb: 128 },
      { region: "us-east-1", accountId: "0" },
    ) as FerryContext;
  const send = async (call: Call): Promise<Response> => {
    const result = await handler(eventFor(call), context());
    return {
      status: result.statusCode ?? 0,
      headers: (result.headers ?? {}) as Record<string, string>,
      body: JSON.parse(result.body ?? "{}") as Record<string, unknown>,
    };
  };
  return { send, limiter, metrics: limiter.metrics };
}

/** Units left on one policy, from a response's RateLimit header. */
export const left = (response: Response, policy: string): number | undefined => {
  const match = new RegExp(`"${policy}";r=(\\d+)`).exec(response.headers.ratelimit ?? "");
  return match?.[1] === undefined ? undefined : Number(match[1]);
};

export const recipients = (n: number, domain = "example.com") =>
  Array.from({ length: n }, (_, i) => `user${i}@${domain}`);

export const email = (to: string | string[]) => ({ to, subject: "Hello", text: "Hi" });

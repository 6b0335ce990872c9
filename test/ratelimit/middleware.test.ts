/**
 * The rate-limit middleware, called the way the HTTP chain calls it: a hand-built API Gateway v2
 * event and a context carrying `ferry` state (route, principal, config, raw body), in a middy
 * chain with the real response finalizer so the headers are checked on the responses clients
 * get. Redis is the run's real redis-server behind the local Upstash-REST proxy, reached through
 * the client the middleware builds itself from the config.
 */
import { randomUUID } from "node:crypto";
import middy from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createLambdaContext } from "#infra/local/lambda-context.ts";
import { startUpstashProxy, type UpstashProxy } from "#infra/local/upstash-proxy.ts";
import type { HttpRoute } from "#shared/app/manifest.ts";
import type { Principal } from "#shared/auth/principal.ts";
import { type Config, ConfigError, parseConfig } from "#shared/config.ts";
import type { FerryContext, FerryRequestState } from "#shared/http/context.ts";
import { HttpError } from "#shared/http/errors.ts";
import { responseFinalizer } from "#shared/http/response.ts";
import {
  type RateLimitMiddlewareOptions,
  rateLimitMiddleware,
  recipientCount,
} from "#shared/ratelimit/middleware.ts";
import { policiesFromEnvironment } from "#shared/ratelimit/policies.ts";
import { createRedisClient } from "#shared/redis/client.ts";
import { recordingLogger, simulatedClock, testPrefix } from "./support/backends.ts";

const emailsRoute: HttpRoute = {
  method: "POST",
  path: "/v1/emails",
  function: "createEmail",
  auth: { kind: "apiKey", scopes: ["emails:send"] },
  rateLimit: ["api", "emails"],
};
const taskRoute: HttpRoute = {
  method: "GET",
  path: "/v1/tasks/{taskId}",
  function: "getTask",
  auth: { kind: "apiKey", scopes: ["tasks:read"] },
  rateLimit: ["api"],
};
const webhookRoute: HttpRoute = {
  method: "POST",
  path: "/v1/webhooks/stripe",
  function: "stripeWebhook",
  auth: { kind: "webhookSignature" },
  rateLimit: ["webhooks"],
};
const healthRoute: HttpRoute = {
  method: "GET",
  path: "/health",
  function: "health",
  auth: { kind: "none" },
  rateLimit: [],
};

const principal = (keyId: string): Principal => ({
  keyId,
  name: "test key",
  scopes: ["emails:send", "tasks:read"],
});

let proxy: UpstashProxy;
let config: Config;

beforeAll(async () => {
  proxy = await startUpstashProxy({ redisUrl: inject("redisUrl"), token: "middleware-test" });
  // Small buckets keep these mechanics readable. Real configuration refuses an emails bucket
  // smaller than the largest email (test/config.test.ts), so these policies are set directly.
  config = {
    ...parseConfig({ UPSTASH_REDIS_REST_URL: proxy.url, UPSTASH_REDIS_REST_TOKEN: proxy.token }),
    RATE_LIMITS: {
      api: { capacity: 4, refillPerSecond: 1 },
      emails: { capacity: 5, refillPerSecond: 0.5 },
    },
  };
});

afterAll(async () => {
  await proxy.close();
});

interface Call {
  readonly route: HttpRoute;
  readonly body?: unknown;
  readonly principal?: Principal;
  readonly sourceIp?: string;
}

function eventFor(call: Call): APIGatewayProxyEventV2 {
  const routeKey = `${call.route.method} ${call.route.path}`;
  return {
    version: "2.0",
    routeKey,
    rawPath: call.route.path,
    rawQueryString: "",
    headers: { "content-type": "application/json" },
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

/** A chain shaped like Ferry's: response finalizer → (request state, auth) → rate limit → handler. */
function chain(options: RateLimitMiddlewareOptions, cfg: Config = config) {
  // A generous budget unless a test sets one: these tests are about decisions, on two shared cores.
  const limit = rateLimitMiddleware({
    keyPrefix: testPrefix(),
    deniedCache: false,
    budgetMs: 2000,
    ...options,
  });
  const redis = createRedisClient({
    url: cfg.UPSTASH_REDIS_REST_URL,
    token: cfg.UPSTASH_REDIS_REST_TOKEN,
    timeoutMs: 2000,
  });
  const states: FerryRequestState[] = [];
  const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, FerryContext>(
    async () => ({
      statusCode: 202,
      body: "{}",
    }),
  )
    .use(responseFinalizer())
    .use({
      // Stands in for request-state + auth: what they attach before the rate limit runs.
      before: ({ event, context }) => {
        const route = [emailsRoute, taskRoute, webhookRoute, healthRoute].find(
          (r) => `${r.method} ${r.path}` === event.routeKey,
        );
        const state: FerryRequestState = {
          requestId: event.requestContext.requestId,
          route,
          config: cfg,
          redis,
          rawBody: Buffer.from(event.body ?? ""),
          responseHeaders: { "x-request-id": event.requestContext.requestId },
        };
        const who = (event as { principal?: Principal }).principal;
        if (who) state.principal = who;
        context.ferry = state;
        states.push(state);
      },
    })
    .use(limit);
  const context = () =>
    createLambdaContext(
      "test",
      { timeoutSeconds: 10, memoryMb: 128 },
      { region: "us-east-1", accountId: "0" },
    ) as FerryContext;
  const send = (call: Call) =>
    handler({ ...eventFor(call), ...(call.principal ? { principal: call.principal } : {}) }, context());
  return { send, limit, states };
}

describe("rate-limit middleware", () => {
  it("puts RateLimit-Policy and RateLimit on a 2xx response, per policy of the route", async () => {
    // Prepare
    const { send } = chain({ clock: simulatedClock().now });

    // Act
    const response = await send({
      route: emailsRoute,
      principal: principal("k1"),
      body: { to: ["a@x.io", "b@x.io"] },
    });

    // Assess
    expect(response.statusCode).toBe(202);
    expect(response.headers?.["ratelimit-policy"]).toBe('"api";q=4;w=4, "emails";q=5;w=10');
    expect(response.headers?.ratelimit).toBe('"api";r=3;t=0, "emails";r=3;t=0');
    expect(response.headers?.["x-request-id"]).toBeDefined();
  });

  it("answers 429 problem+json with Retry-After and the RateLimit headers once a policy is spent", async () => {
    // Prepare: 5 recipients per 10 s; 3 + 2 spend them.
    const clock = simulatedClock();
    const { send } = chain({ clock: clock.now });
    const me = principal("k-spent");
    await send({ route: emailsRoute, principal: me, body: { to: ["a@x.io", "b@x.io", "c@x.io"] } });
    await send({ route: emailsRoute, principal: me, body: { to: ["a@x.io", "b@x.io"] } });

    // Act
    clock.advance(500);
    const response = await send({ route: emailsRoute, principal: me, body: { to: "a@x.io" } });

    // Assess: one unit comes back 2 s after the first spend, i.e. 1.5 s from now → 2 s.
    expect(response.statusCode).toBe(429);
    expect(response.headers?.["content-type"]).toBe("application/problem+json");
    expect(response.headers?.["retry-after"]).toBe("2");
    expect(response.headers?.["ratelimit-policy"]).toBe('"api";q=4;w=4, "emails";q=5;w=10');
    expect(response.headers?.ratelimit).toBe('"api";r=2;t=0, "emails";r=0;t=2');
    const problem = JSON.parse(response.body ?? "{}");
    expect(problem).toMatchObject({
      type: "https://ferry.dev/problems/rate-limited",
      status: 429,
      title: "Too many requests",
    });
    expect(problem.detail).toContain('"emails" has 0 of 5 units left');
  });

  it("throws an HttpError 429 carrying the headers, for the chain's error handler", async () => {
    // Prepare
    const clock = simulatedClock();
    const limit = rateLimitMiddleware({
      clock: clock.now,
      keyPrefix: testPrefix(),
      deniedCache: false,
      budgetMs: 2000,
    });
    const state = (): FerryRequestState => ({
      requestId: "r",
      route: taskRoute,
      config,
      redis: createRedisClient({
        url: config.UPSTASH_REDIS_REST_URL,
        token: config.UPSTASH_REDIS_REST_TOKEN,
        timeoutMs: 2000,
      }),
      principal: principal("k-direct"),
      rawBody: Buffer.alloc(0),
      responseHeaders: {},
    });
    const call = async () => {
      const context = { ferry: state() } as FerryContext;
      const request = {
        event: eventFor({ route: taskRoute }),
        context,
        response: null,
        error: null,
        internal: {},
      };
      await limit.before?.(request);
      return context.ferry.responseHeaders;
    };
    for (let i = 0; i < 4; i++) await call();

    // Act
    const error = await call().catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(HttpError);
    const http = error as HttpError;
    expect(http.status).toBe(429);
    expect(http.type).toBe("https://ferry.dev/problems/rate-limited");
    expect(http.headers).toEqual({
      "retry-after": "1",
      "ratelimit-policy": '"api";q=4;w=4',
      ratelimit: '"api";r=0;t=1',
    });
  });

  it("charges the emails policy one unit per recipient, and 1 for a body validation will reject", async () => {
    // Prepare
    const { send } = chain({ clock: simulatedClock().now });
    const me = principal("k-costs");
    const emailsLeft = (r: APIGatewayProxyStructuredResultV2) =>
      /"emails";r=(\d+)/.exec(String(r.headers?.ratelimit ?? ""))?.[1];

    // Act
    const one = await send({ route: emailsRoute, principal: me, body: { to: "a@x.io" } });
    const three = await send({
      route: emailsRoute,
      principal: me,
      body: { to: ["a@x.io", "b@x.io", "c@x.io"] },
    });
    const broken = await send({ route: emailsRoute, principal: me, body: "{not json" });

    // Assess
    expect([one, three, broken].map(emailsLeft)).toEqual(["4", "1", "0"]);
    expect(recipientCount(Buffer.from(JSON.stringify({ to: [] })))).toBe(1);
    expect(
      recipientCount(Buffer.from(JSON.stringify({ to: Array.from({ length: 51 }, () => "a@x.io") }))),
    ).toBe(1);
    expect(
      recipientCount(Buffer.from(JSON.stringify({ to: Array.from({ length: 50 }, () => "a@x.io") }))),
    ).toBe(50);
    expect(recipientCount(Buffer.from("null"))).toBe(1);
  });

  it("keeps separate buckets per API key and per source IP", async () => {
    // Prepare
    const { send } = chain({ clock: simulatedClock().now });

    // Act
    const keyA = await send({ route: taskRoute, principal: principal("key-a") });
    const keyB = await send({ route: taskRoute, principal: principal("key-b") });
    const keyA2 = await send({ route: taskRoute, principal: principal("key-a") });
    const ip1 = await send({ route: webhookRoute, sourceIp: "203.0.113.1", body: "{}" });
    const ip2 = await send({ route: webhookRoute, sourceIp: "203.0.113.2", body: "{}" });

    // Assess
    expect([keyA, keyB, keyA2].map((r) => r.headers?.ratelimit)).toEqual([
      '"api";r=3;t=0',
      '"api";r=3;t=0',
      '"api";r=2;t=0',
    ]);
    expect(ip1.headers?.["ratelimit-policy"]).toBe('"webhooks";q=200;w=10');
    expect([ip1, ip2].map((r) => r.headers?.ratelimit)).toEqual([
      '"webhooks";r=199;t=0',
      '"webhooks";r=199;t=0',
    ]);
  });

  it("adds nothing on a route without policies", async () => {
    // Prepare
    const { send, limit } = chain({ clock: simulatedClock().now });

    // Act
    const response = await send({ route: healthRoute });

    // Assess
    expect(response.statusCode).toBe(202);
    expect(response.headers?.ratelimit).toBeUndefined();
    expect(response.headers?.["ratelimit-policy"]).toBeUndefined();
    expect(limit.metrics.decisions).toBe(0);
  });

  it("lets webhooks through, and refuses emails with 503, when Redis is down; and counts both", async () => {
    // Prepare: the config points at a port where nothing listens.
    const down = parseConfig({ UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9", UPSTASH_REDIS_REST_TOKEN: "t" });
    const logger = recordingLogger();
    const { send, limit } = chain({ budgetMs: 50, logger }, down);

    // Act
    const webhook = await send({ route: webhookRoute, body: "{}" });
    const task = await send({ route: taskRoute, principal: principal("k-down") });
    const email = await send({ route: emailsRoute, principal: principal("k-down"), body: { to: "a@x.io" } });

    // Assess
    expect(webhook.statusCode).toBe(202);
    expect(webhook.headers?.["ratelimit-policy"]).toBe('"webhooks";q=200;w=10');
    expect(webhook.headers?.ratelimit).toBeUndefined();
    expect(task.statusCode).toBe(202);
    expect(email.statusCode).toBe(503);
    expect(email.headers?.["retry-after"]).toBe("1");
    expect(limit.metrics).toMatchObject({ fallbacks: 3, fallbacksOpen: 2, fallbacksClosed: 1, errors: 3 });
    expect(logger.warnings.map((w) => (w.attributes as { mode: string }).mode)).toEqual([
      "open",
      "open",
      "closed",
    ]);
  });

  it("uses the built-in defaults when RATE_LIMITS is not set", async () => {
    // Prepare
    const plain = parseConfig({ UPSTASH_REDIS_REST_URL: proxy.url, UPSTASH_REDIS_REST_TOKEN: proxy.token });
    const { send } = chain({ clock: simulatedClock().now }, plain);

    // Act
    const response = await send({
      route: emailsRoute,
      principal: principal("k-defaults"),
      body: { to: "a@x.io" },
    });

    // Assess
    expect(response.headers?.["ratelimit-policy"]).toBe('"api";q=100;w=10, "emails";q=100;w=50');
  });
});

describe("RATE_LIMITS", () => {
  const base = { UPSTASH_REDIS_REST_URL: "http://127.0.0.1:1", UPSTASH_REDIS_REST_TOKEN: "t" };

  it.each([
    ["invalid JSON", "{api:"],
    ["a negative capacity", JSON.stringify({ api: { capacity: -1, refillPerSecond: 1 } })],
    ["a zero refill", JSON.stringify({ emails: { capacity: 5, refillPerSecond: 0 } })],
    ["an unknown policy", JSON.stringify({ bulk: { capacity: 5, refillPerSecond: 1 } })],
    ["an unknown field", JSON.stringify({ api: { capacity: 5, refillPerSecond: 1, burst: 9 } })],
  ])("fails at start naming RATE_LIMITS for %s", (_, raw) => {
    // Act
    const fromConfig = () => parseConfig({ ...base, RATE_LIMITS: raw });
    const fromEnvironment = () => policiesFromEnvironment({ RATE_LIMITS: raw });

    // Assess
    expect(fromConfig).toThrow(ConfigError);
    expect(fromConfig).toThrow(/RATE_LIMITS/);
    expect(fromEnvironment).toThrow(ConfigError);
    expect(fromEnvironment).toThrow(/RATE_LIMITS/);
  });

  it("overrides only the policies and fields it names", () => {
    // Act
    const policies = policiesFromEnvironment({
      RATE_LIMITS: JSON.stringify({ emails: { capacity: 60, refillPerSecond: 10 } }),
    });

    // Assess
    expect(policies.emails).toMatchObject({
      capacity: 60,
      refillPerSecond: 10,
      onRedisFailure: "closed",
      cost: "recipients",
    });
    expect(policies.api).toMatchObject({ capacity: 100, refillPerSecond: 10, onRedisFailure: "open" });
    expect(policies.webhooks).toMatchObject({ onRedisFailure: "open", subject: "sourceIp" });
  });
});

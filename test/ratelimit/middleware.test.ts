/**
 * The API-key and rate-limit steps of the HTTP chain, as a client meets them: real API keys in
 * the run's redis-server, reached through the local Upstash-REST proxy by the clients the steps
 * build from the config, on the manifest's own routes. Time is simulated unless a test is about
 * latency (then it is real, and nothing is asserted about speed).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startUpstashProxy, type UpstashProxy } from "#infra/local/upstash/upstash-proxy.ts";
import { createApiKey, setApiKeyLimit } from "#shared/auth/api-keys.ts";
import { type Config, ConfigError, parseConfig } from "#shared/config.ts";
import { policiesFromEnvironment } from "#shared/ratelimit/policies.ts";
import { createRedisClient, type RedisClient } from "#shared/redis/client.ts";
import { simulatedClock, testPrefix } from "./support/backends.ts";
import {
  chain,
  email,
  emailsRoute,
  healthRoute,
  left,
  recipients,
  taskRoute,
  webhookRoute,
} from "./support/chain.ts";

let proxy: UpstashProxy;
let redis: RedisClient;

beforeAll(async () => {
  proxy = await startUpstashProxy({ redisUrl: inject("redisUrl"), token: "middleware-test", latencyMs: 0 });
  redis = createRedisClient({ url: proxy.url, token: proxy.token, timeoutMs: 5000 });
});

afterAll(async () => {
  await proxy.close();
});

/** The configuration a container would parse, with these RATE_LIMITS. */
const configWith = (rateLimits?: object, env: Record<string, string> = {}, url = proxy.url): Config =>
  parseConfig({
    UPSTASH_REDIS_REST_URL: url,
    UPSTASH_REDIS_REST_TOKEN: proxy.token,
    ...(rateLimits ? { RATE_LIMITS: JSON.stringify(rateLimits) } : {}),
    ...env,
  });

const newKey = async (scopes: ("emails:send" | "tasks:read")[] = ["emails:send", "tasks:read"]) =>
  createApiKey(redis, { name: "rl test", scopes });

describe("rate limits on API-key routes", () => {
  it("puts RateLimit-Policy and RateLimit on a 2xx response, per policy of the route", async () => {
    // Prepare
    const { send } = chain(configWith({ api: { capacity: 4, refillPerSecond: 1 } }), {
      clock: simulatedClock().now,
    });
    const { secret } = await newKey();

    // Act
    const response = await send({ route: emailsRoute, key: secret, body: email(["a@x.io", "b@x.io"]) });

    // Assess
    expect(response.status).toBe(202);
    expect(response.headers["ratelimit-policy"]).toBe('"api";q=4;w=4, "emails";q=100;w=50');
    expect(response.headers.ratelimit).toBe('"api";r=3;t=0, "emails";r=98;t=0');
  });

  it("answers 429 problem+json whose Retry-After and RateLimit t are the true wait", async () => {
    // Prepare: 4 requests per 4 s; the bucket is spent at t = 0.
    const clock = simulatedClock();
    const { send } = chain(configWith({ api: { capacity: 4, refillPerSecond: 1 } }), { clock: clock.now });
    const { secret } = await newKey();
    for (let i = 0; i < 4; i++) await send({ route: taskRoute, key: secret });

    // Act
    clock.advance(300);
    const limited = await send({ route: taskRoute, key: secret });
    clock.advance(699);
    const early = await send({ route: taskRoute, key: secret });
    clock.advance(1);
    const onTime = await send({ route: taskRoute, key: secret });

    // Assess
    expect(limited.status).toBe(429);
    expect(limited.headers["content-type"]).toBe("application/problem+json");
    expect(limited.headers["retry-after"]).toBe("1");
    expect(limited.headers.ratelimit).toBe('"api";r=0;t=1');
    expect(limited.body).toMatchObject({
      type: "https://ferry.dev/problems/rate-limited",
      status: 429,
      detail: expect.stringContaining('"api" has 0 of 4 units left'),
    });
    expect(early.status).toBe(429);
    expect(onTime.status).toBe(202);
  });

  it("applies a changed policy on the next request: no lockout, no stale Retry-After", async () => {
    // Prepare: the reported case. Exhaust {5, 0.01/s}; the stored state is then minutes ahead.
    const clock = simulatedClock();
    const { secret } = await newKey();
    const keyPrefix = testPrefix();
    const before = chain(configWith({ api: { capacity: 5, refillPerSecond: 0.01 } }), {
      clock: clock.now,
      keyPrefix,
    });
    for (let i = 0; i < 5; i++) await before.send({ route: taskRoute, key: secret });
    clock.advance(86_000);
    const stillSpent = await before.send({ route: taskRoute, key: secret });
    // A restart with the new policy: a new container, the same buckets in Redis.
    const after = chain(configWith({ api: { capacity: 1000, refillPerSecond: 100 } }), {
      clock: clock.now,
      keyPrefix,
    });

    // Act
    const responses = [];
    for (let i = 0; i < 40; i++) responses.push(await after.send({ route: taskRoute, key: secret }));

    // Assess
    expect(stillSpent.status).toBe(429);
    expect(responses.filter((r) => r.status === 202)).toHaveLength(40);
    expect(responses[0]?.headers["ratelimit-policy"]).toBe('"api";q=1000;w=10');
    expect(responses[0]?.headers.ratelimit).toBe('"api";r=994;t=0');
  });

  it("accepts any emails capacity ≥ 1: five recipients per minute for a free tier", async () => {
    // Prepare: this configuration failed every function at cold start before.
    const clock = simulatedClock();
    const config = configWith({ emails: { capacity: 5, refillPerSecond: 5 / 60 } });
    const { send } = chain(config, { clock: clock.now });
    const { secret } = await newKey();

    // Act
    const two = await send({ route: emailsRoute, key: secret, body: email(recipients(2)) });
    const three = await send({ route: emailsRoute, key: secret, body: email(recipients(3)) });
    const one = await send({ route: emailsRoute, key: secret, body: email("a@x.io") });

    // Assess: one recipient comes back every 12 s.
    expect([two.status, three.status, one.status]).toEqual([202, 202, 429]);
    expect(two.headers["ratelimit-policy"]).toContain('"emails";q=5;w=60');
    expect(one.headers["retry-after"]).toBe("12");
    expect(one.headers.ratelimit).toContain('"emails";r=0;t=12');
  });

  it("refuses a request costing more than the capacity with 422 saying so, not a 429 to retry", async () => {
    // Prepare
    const { send } = chain(configWith({ emails: { capacity: 5, refillPerSecond: 1 } }), {
      clock: simulatedClock().now,
    });
    const { secret } = await newKey();

    // Act
    const tooMany = await send({ route: emailsRoute, key: secret, body: email(recipients(6)) });
    const fits = await send({ route: emailsRoute, key: secret, body: email(recipients(5)) });

    // Assess: nothing was taken by the refused request.
    expect(tooMany.status).toBe(422);
    expect(tooMany.headers["retry-after"]).toBeUndefined();
    expect(tooMany.body).toMatchObject({
      type: "https://ferry.dev/problems/cost-exceeds-capacity",
      status: 422,
      detail: expect.stringContaining('"emails" allows at most 5 units at once and this request costs 6'),
    });
    expect(fits.status).toBe(202);
    expect(left(fits, "emails")).toBe(0);
  });

  it("charges a request the handler will refuse one unit on api and nothing on emails", async () => {
    // Prepare: 50 invalid addresses (the reported case), then a broken body.
    const { send } = chain(configWith({ emails: { capacity: 60, refillPerSecond: 1 } }), {
      clock: simulatedClock().now,
    });
    const { secret } = await newKey();

    // Act
    const invalid = await send({
      route: emailsRoute,
      key: secret,
      body: email(recipients(50, "not a domain")),
    });
    const broken = await send({ route: emailsRoute, key: secret, body: "{not json" });
    const valid = await send({ route: emailsRoute, key: secret, body: email(recipients(3)) });

    // Assess
    expect([left(invalid, "api"), left(invalid, "emails")]).toEqual([99, 60]);
    expect([left(broken, "api"), left(broken, "emails")]).toEqual([98, 60]);
    expect([left(valid, "api"), left(valid, "emails")]).toEqual([97, 57]);
  });

  it("consumes nothing for an unknown key (401) or a key without the route's scope (403)", async () => {
    // Prepare
    const { send } = chain(configWith(), { clock: simulatedClock().now });
    const { secret } = await newKey(["tasks:read"]);

    // Act
    const unknown = await send({ route: taskRoute, key: "fry_not-a-key" });
    const forbidden = await send({ route: emailsRoute, key: secret, body: email("a@x.io") });
    const allowed = await send({ route: taskRoute, key: secret });

    // Assess
    expect(unknown.status).toBe(401);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.detail).toContain("emails:send");
    expect(left(allowed, "api")).toBe(99);
  });

  it("decides the key lookup and the limit in one Redis round trip", async () => {
    // Prepare
    const { send } = chain(configWith(), { clock: simulatedClock().now });
    const { secret } = await newKey();
    await send({ route: emailsRoute, key: secret, body: email("a@x.io") });
    const before = proxy.stats().requests;

    // Act
    const response = await send({ route: emailsRoute, key: secret, body: email(["a@x.io", "b@x.io"]) });

    // Assess
    expect(response.status).toBe(202);
    expect(proxy.stats().requests - before).toBe(1);
  });

  it("applies a key's own limit, set while containers run, from its next request", async () => {
    // Prepare
    const { send } = chain(configWith(), { clock: simulatedClock().now });
    const { secret, key } = await newKey();
    const first = await send({ route: emailsRoute, key: secret, body: email("a@x.io") });

    // Act
    await setApiKeyLimit(redis, key.keyId, "emails", { capacity: 5, refillPerSecond: 5 / 60 });
    const limited = await send({ route: emailsRoute, key: secret, body: email(recipients(2)) });
    const tooMany = await send({ route: emailsRoute, key: secret, body: email(recipients(6)) });
    await setApiKeyLimit(redis, key.keyId, "emails", null);
    const back = await send({ route: emailsRoute, key: secret, body: email("a@x.io") });

    // Assess: 1 of 100 used became 0.05 of 5 (rounded up to a whole unit in the header).
    expect(first.headers["ratelimit-policy"]).toContain('"emails";q=100;w=50');
    expect(limited.status).toBe(202);
    expect(limited.headers["ratelimit-policy"]).toContain('"emails";q=5;w=60');
    expect(left(limited, "emails")).toBe(2);
    expect(tooMany.status).toBe(422);
    expect(back.headers["ratelimit-policy"]).toContain('"emails";q=100;w=50');
  });

  it("reports a shadow policy in the headers and never refuses for it", async () => {
    // Prepare: a new emails limit of 2 being rolled out.
    const { send, metrics } = chain(
      configWith({ emails: { capacity: 2, refillPerSecond: 0.01, mode: "shadow" } }),
      {
        clock: simulatedClock().now,
      },
    );
    const { secret } = await newKey();

    // Act
    const responses = [];
    for (let i = 0; i < 3; i++)
      responses.push(await send({ route: emailsRoute, key: secret, body: email("a@x.io") }));
    const tooBig = await send({ route: emailsRoute, key: secret, body: email(recipients(5)) });

    // Assess
    expect(responses.map((r) => r.status)).toEqual([202, 202, 202]);
    expect(tooBig.status).toBe(202);
    expect(responses[2]?.headers["ratelimit-policy"]).toContain('"emails";q=2;w=200;shadow');
    expect(responses.map((r) => left(r, "emails"))).toEqual([1, 0, 0]);
    expect(left(tooBig, "api")).toBe(96);
    expect(metrics.shadowDenials).toBe(2);
  });
});

describe("rate limits on other routes", () => {
  it("keeps separate buckets per API key and per source IP", async () => {
    // Prepare
    const { send } = chain(configWith({ api: { capacity: 4, refillPerSecond: 1 } }), {
      clock: simulatedClock().now,
    });
    const a = (await newKey()).secret;
    const b = (await newKey()).secret;

    // Act
    const keyA = await send({ route: taskRoute, key: a });
    const keyB = await send({ route: taskRoute, key: b });
    const keyA2 = await send({ route: taskRoute, key: a });
    const ip1 = await send({ route: webhookRoute, sourceIp: "203.0.113.1", body: "{}" });
    const ip2 = await send({ route: webhookRoute, sourceIp: "203.0.113.2", body: "{}" });

    // Assess
    expect([keyA, keyB, keyA2].map((r) => left(r, "api"))).toEqual([3, 3, 2]);
    expect(ip1.headers["ratelimit-policy"]).toBe('"webhooks";q=200;w=10');
    expect([ip1, ip2].map((r) => left(r, "webhooks"))).toEqual([199, 199]);
  });

  it("adds nothing on a route without policies", async () => {
    // Prepare
    const { send, metrics } = chain(configWith());

    // Act
    const response = await send({ route: healthRoute });

    // Assess
    expect(response.status).toBe(202);
    expect(response.headers.ratelimit).toBeUndefined();
    expect(response.headers["ratelimit-policy"]).toBeUndefined();
    expect(metrics.decisions).toBe(0);
  });
});

describe("rate limits over a distant or missing Redis", () => {
  it("decides a burst exactly, with no 503, when Redis is 150 ms away", async () => {
    // Prepare: the default budget; a proxy 150 ms away; 30 concurrent requests on capacity 20.
    const far = await startUpstashProxy({ redisUrl: inject("redisUrl"), token: proxy.token, latencyMs: 150 });
    try {
      const { send, metrics } = chain(
        configWith(
          { api: { capacity: 20, refillPerSecond: 0.01 }, emails: { capacity: 100, refillPerSecond: 0.01 } },
          {},
          far.url,
        ),
      );
      const { secret } = await newKey();

      // Act
      const responses = await Promise.all(
        Array.from({ length: 30 }, () => send({ route: emailsRoute, key: secret, body: email("a@x.io") })),
      );

      // Assess
      const statuses = responses.map((r) => r.status);
      expect(statuses.filter((s) => s === 503)).toHaveLength(0);
      expect(statuses.filter((s) => s === 202)).toHaveLength(20);
      expect(statuses.filter((s) => s === 429)).toHaveLength(10);
      expect(metrics.fallbacks).toBe(0);
    } finally {
      await far.close();
    }
  });

  it("lets webhooks through and answers API-key routes 503 when Redis is down, and counts both", async () => {
    // Prepare: nothing listens on port 9.
    const { send, metrics } = chain(configWith({}, {}, "http://127.0.0.1:9"), { breaker: false });

    // Act
    const webhook = await send({ route: webhookRoute, body: "{}" });
    const task = await send({ route: taskRoute, key: "fry_any" });
    const sent = await send({ route: emailsRoute, key: "fry_any", body: email("a@x.io") });

    // Assess
    expect(webhook.status).toBe(202);
    expect(webhook.headers["ratelimit-policy"]).toBe('"webhooks";q=200;w=10');
    expect(webhook.headers.ratelimit).toBeUndefined();
    expect([task.status, sent.status]).toEqual([503, 503]);
    expect(sent.headers["retry-after"]).toBe("1");
    expect(metrics).toMatchObject({ fallbacks: 3, fallbacksOpen: 1, fallbacksClosed: 2, errors: 3 });
  });
});

describe("RATE_LIMITS", () => {
  const base = { UPSTASH_REDIS_REST_URL: "http://127.0.0.1:1", UPSTASH_REDIS_REST_TOKEN: "t" };

  it.each([
    ["invalid JSON", "{api:"],
    ["a negative capacity", JSON.stringify({ api: { capacity: -1, refillPerSecond: 1 } })],
    ["a zero capacity", JSON.stringify({ emails: { capacity: 0, refillPerSecond: 1 } })],
    ["a zero refill", JSON.stringify({ emails: { capacity: 5, refillPerSecond: 0 } })],
    ["an unknown policy", JSON.stringify({ bulk: { capacity: 5, refillPerSecond: 1 } })],
    ["an unknown field", JSON.stringify({ api: { capacity: 5, refillPerSecond: 1, burst: 9 } })],
    ["an unknown mode", JSON.stringify({ api: { capacity: 5, refillPerSecond: 1, mode: "log" } })],
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

  it("overrides only the policies and fields it names, down to a capacity of 1", () => {
    // Act
    const policies = policiesFromEnvironment({
      RATE_LIMITS: JSON.stringify({ emails: { capacity: 1, refillPerSecond: 0.5, mode: "shadow" } }),
    });

    // Assess
    expect(policies.emails).toMatchObject({
      capacity: 1,
      refillPerSecond: 0.5,
      mode: "shadow",
      onRedisFailure: "closed",
      cost: "recipients",
    });
    expect(policies.api).toMatchObject({ capacity: 100, refillPerSecond: 10, onRedisFailure: "open" });
    expect(policies.webhooks).toMatchObject({ onRedisFailure: "open", subject: "sourceIp" });
  });
});

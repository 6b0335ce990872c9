/**
 * When Redis is stopped, hung or erroring, the limiter decides as each policy declares (webhooks
 * and api open, emails closed), counts and logs the fallback, and never sends the script twice;
 * its breaker finds the outage once and then decides at once, without Redis, until a probe
 * succeeds. Ordinary latency is not an outage. Faults are real: a private redis-server stopped or
 * paused (SIGSTOP), a TCP server that accepts and never answers, an HTTP server that answers
 * errors or drops connections, the proxy's injected latency. No assertion is on speed: a hung
 * Redis must merely not hang the decision (it resolves long before a 5 s bound).
 */
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createTcpServer, type Server, type Socket } from "node:net";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { type PrivateRedis, startPrivateRedis } from "#infra/local/process/redis-server.ts";
import { startUpstashProxy, type UpstashProxy } from "#infra/local/upstash/upstash-proxy.ts";
import {
  type LimitRequest,
  RateLimiter,
  type RateLimiterOptions,
  type ScriptClient,
} from "#shared/ratelimit/limiter.ts";
import { DEFAULT_POLICIES } from "#shared/ratelimit/policies.ts";
import { createRateLimitRedis } from "#shared/ratelimit/redis-client.ts";
import { ioredisScriptClient, recordingLogger, testPrefix } from "./support/backends.ts";

const BUDGET_MS = 50;
/** A container's first call also opens the connection; generous here, on two shared cores. */
const FIRST_CALL_BUDGET_MS = 1000;
const BOUND_MS = 5000;

const budgetedClient = (url: string) =>
  createRateLimitRedis({ url, token: "t", budgetMs: BUDGET_MS, firstCallBudgetMs: FIRST_CALL_BUDGET_MS });

const webhook: LimitRequest = { policy: DEFAULT_POLICIES.webhooks, subject: "ip:192.0.2.1" };
const emailsAndApi: LimitRequest[] = [
  { policy: DEFAULT_POLICIES.api, subject: "key:k1" },
  { policy: DEFAULT_POLICIES.emails, subject: "key:k1", cost: 3 },
];
const apiOnly: LimitRequest = { policy: DEFAULT_POLICIES.api, subject: "key:k1" };

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Three errors in a row open it; it stays open for the test unless a test sets a cooldown. */
const BREAKER = { failuresToOpen: 3, cooldownMs: 60_000 };

function limiterOver(client: ScriptClient, extra: Partial<RateLimiterOptions> = {}) {
  const logger = recordingLogger();
  const limiter = new RateLimiter({
    redis: client,
    budgetMs: BUDGET_MS,
    firstCallBudgetMs: FIRST_CALL_BUDGET_MS,
    keyPrefix: testPrefix(),
    deniedCache: false,
    breaker: BREAKER,
    logger,
    ...extra,
  });
  return { limiter, logger };
}

async function listen<T extends Server | HttpServer>(server: T): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return `http://127.0.0.1:${port}`;
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; elapsedMs: number }> {
  const started = performance.now();
  const value = await work();
  return { value, elapsedMs: performance.now() - started };
}

async function privateRedisBehindProxy(): Promise<{ redis: PrivateRedis; proxy: UpstashProxy }> {
  const redis = await startPrivateRedis();
  cleanups.push(() => redis.stop());
  const proxy = await startUpstashProxy({ redisUrl: redis.url, token: "t" });
  cleanups.push(() => proxy.close());
  return { redis, proxy };
}

/** Each policy's declared mode, checked through three requests in a row. */
async function expectDeclaredModes(limiter: RateLimiter) {
  const hook = await limiter.limit([webhook]);
  const api = await limiter.limit([apiOnly]);
  const email = await limiter.limit(emailsAndApi);
  expect(hook).toMatchObject({ allowed: true, source: "fallback", failure: { mode: "open" } });
  expect(api).toMatchObject({ allowed: true, source: "fallback", failure: { mode: "open" } });
  expect(email).toMatchObject({ allowed: false, source: "fallback", failure: { mode: "closed" } });
  expect(limiter.metrics).toMatchObject({ fallbacks: 3, fallbacksOpen: 2, fallbacksClosed: 1 });
  return [hook, api, email];
}

describe("rate limiter when Redis fails", () => {
  it("follows each policy's declared mode when Redis is stopped, then stops asking it", async () => {
    // Prepare
    const { redis, proxy } = await privateRedisBehindProxy();
    const { limiter, logger } = limiterOver(budgetedClient(proxy.url));
    expect((await limiter.limit([webhook])).source).toBe("redis");
    await redis.stop();

    // Act: three errors find the outage; the next ten are decided without asking Redis.
    const decisions = await expectDeclaredModes(limiter);
    const requestsAfterOpening = proxy.stats().requests;
    const later = [];
    for (let i = 0; i < 5; i++) later.push(await limiter.limit([webhook]), await limiter.limit(emailsAndApi));

    // Assess
    expect(decisions.map((d) => d.failure?.reason)).toEqual(["error", "error", "error"]);
    expect(limiter.breakerState).toBe("open");
    expect(proxy.stats().requests).toBe(requestsAfterOpening);
    expect(later.map((d) => d.allowed)).toEqual([
      true,
      false,
      true,
      false,
      true,
      false,
      true,
      false,
      true,
      false,
    ]);
    expect(later.every((d) => d.failure?.reason === "breaker-open")).toBe(true);
    expect(limiter.metrics).toMatchObject({
      errors: 3,
      fallbacks: 13,
      fallbacksOpen: 7,
      fallbacksClosed: 6,
      breakerOpened: 1,
      breakerSkips: 10,
    });
    // Each failed call is logged, and the outage once; the decisions it then makes are counted.
    expect(logger.warnings).toHaveLength(4);
    expect(logger.warnings[2]?.message).toMatch(/unreachable/);
    expect(logger.warnings[3]).toMatchObject({
      message: "rate limit decided without Redis",
      attributes: { reason: "error", mode: "closed", policies: ["api:open", "emails:closed"] },
    });
  });

  it("follows each policy's declared mode when a direct connection finds Redis stopped", async () => {
    // Prepare
    const redis = await startPrivateRedis();
    const client = new Redis(redis.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      lazyConnect: true,
    });
    client.on("error", () => undefined);
    await client.connect();
    cleanups.push(() => client.disconnect());
    await redis.stop();
    const { limiter } = limiterOver(ioredisScriptClient(client));

    // Act
    const decisions = await expectDeclaredModes(limiter);

    // Assess
    expect(decisions.every((d) => d.failure?.reason === "error")).toBe(true);
  });

  it("finds a Redis that accepts and never answers once, cancels that request, then decides at once", async () => {
    // Prepare: a TCP server that accepts connections and never writes a byte.
    const sockets: Socket[] = [];
    const requestsClosedByClient: Promise<void>[] = [];
    const hung = createTcpServer((socket) => {
      sockets.push(socket);
      const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
      // fetch may also open spare connections; only those that carried a request count.
      socket.once("data", () => requestsClosedByClient.push(closed));
    });
    const url = await listen(hung);
    cleanups.push(() => new Promise((resolve) => hung.close(resolve)));
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
    });
    const { limiter } = limiterOver(budgetedClient(url));

    // Act
    const { value: decision, elapsedMs } = await timed(() => limiter.limit([webhook]));
    const closed = await limiter.limit(emailsAndApi);
    const open = await limiter.limit([webhook]);

    // Assess: one timeout opened the breaker; only that request reached the server, and was aborted.
    expect(decision).toMatchObject({ allowed: true, source: "fallback", failure: { reason: "timeout" } });
    expect(closed).toMatchObject({ allowed: false, source: "fallback", failure: { reason: "breaker-open" } });
    expect(open).toMatchObject({ allowed: true, source: "fallback", failure: { reason: "breaker-open" } });
    expect(elapsedMs).toBeLessThan(BOUND_MS);
    expect(limiter.metrics).toMatchObject({
      timeouts: 1,
      breakerOpened: 1,
      fallbacksOpen: 2,
      fallbacksClosed: 1,
    });
    expect(requestsClosedByClient).toHaveLength(1);
    await Promise.all(requestsClosedByClient);
  });

  it("gives a container's first call the longer first-call budget, then the normal one", async () => {
    // Prepare: an Upstash-like endpoint that admits once and then never answers again, and a
    // client that would wait far longer than the limiter.
    let answered = false;
    const onceThenHung = createHttpServer((req, res) => {
      req.resume();
      if (answered) return;
      answered = true;
      const reply = { result: [1, 1_000_000, 1, 50_000, 200] };
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(req.url === "/pipeline" ? [reply] : reply));
    });
    const url = await listen(onceThenHung);
    cleanups.push(() => {
      onceThenHung.closeAllConnections();
      return new Promise((resolve) => onceThenHung.close(resolve));
    });
    const { limiter } = limiterOver(createRateLimitRedis({ url, token: "t", budgetMs: 10_000 }), {
      breaker: false,
    });

    // Act
    const first = await limiter.limit([webhook]);
    const second = await limiter.limit([webhook]);

    // Assess
    expect(first).toMatchObject({ allowed: true, source: "redis" });
    expect(second.failure?.message).toBe(`Redis did not answer within ${BUDGET_MS} ms`);
  });

  it("keeps the first-call budget until Redis has answered once", async () => {
    // Prepare
    const sockets: Socket[] = [];
    const hung = createTcpServer((socket) => sockets.push(socket));
    const url = await listen(hung);
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => hung.close(resolve));
    });
    const { limiter } = limiterOver(createRateLimitRedis({ url, token: "t", budgetMs: 10_000 }), {
      breaker: false,
    });

    // Act
    const first = await limiter.limit([webhook]);
    const second = await limiter.limit([webhook]);

    // Assess
    expect(first.failure?.message).toBe(`Redis did not answer within ${FIRST_CALL_BUDGET_MS} ms`);
    expect(second.failure?.message).toBe(`Redis did not answer within ${FIRST_CALL_BUDGET_MS} ms`);
  });

  it("decides without Redis while it is paused (SIGSTOP), and a probe brings it back once resumed", async () => {
    // Prepare: a short cooldown, so probes come often.
    const { redis, proxy } = await privateRedisBehindProxy();
    const { limiter } = limiterOver(budgetedClient(proxy.url), {
      breaker: { failuresToOpen: 3, cooldownMs: 100 },
    });
    expect((await limiter.limit([webhook])).source).toBe("redis");
    process.kill(redis.pid, "SIGSTOP");
    let resumed = false;
    const resume = () => {
      if (!resumed) process.kill(redis.pid, "SIGCONT");
      resumed = true;
    };
    cleanups.push(resume);

    // Act
    const { value: hook, elapsedMs } = await timed(() => limiter.limit([webhook]));
    const email = await limiter.limit(emailsAndApi);
    const stateWhilePaused = limiter.breakerState;
    resume();
    let after = await limiter.limit([webhook]);
    // The proxy answers the paused commands first; probes come every 100 ms.
    for (let i = 0; i < 50 && after.source !== "redis"; i++) {
      await new Promise((r) => setTimeout(r, 50));
      after = await limiter.limit([webhook]);
    }

    // Assess
    expect(hook).toMatchObject({
      allowed: true,
      source: "fallback",
      failure: { reason: "timeout", mode: "open" },
    });
    expect(email).toMatchObject({
      allowed: false,
      source: "fallback",
      failure: { reason: "breaker-open", mode: "closed" },
    });
    expect(stateWhilePaused).toBe("open");
    expect(elapsedMs).toBeLessThan(BOUND_MS);
    expect(after).toMatchObject({ allowed: true, source: "redis" });
    expect(limiter.breakerState).toBe("closed");
    expect(limiter.metrics.breakerProbes).toBeGreaterThanOrEqual(1);
  });

  it("follows each policy's declared mode when Redis answers errors, and probes once per cooldown", async () => {
    // Prepare: an Upstash-like endpoint answering every command with an error.
    let requests = 0;
    const erroring = createHttpServer((req, res) => {
      requests++;
      req.resume();
      res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "ERR simulated failure" }));
    });
    const url = await listen(erroring);
    cleanups.push(() => new Promise((resolve) => erroring.close(resolve)));
    let now = 0;
    // A budget no busy CPU can exhaust: this case is about how an error answer is classified and
    // probed, so a slow answer must not be read as a timeout (the timeout cases are above).
    const roomy = { budgetMs: 5000, firstCallBudgetMs: 5000 };
    const { limiter } = limiterOver(createRateLimitRedis({ url, token: "t", ...roomy }), {
      ...roomy,
      breaker: { failuresToOpen: 3, cooldownMs: 1000, clock: () => now },
    });

    // Act
    const decisions = await expectDeclaredModes(limiter);
    const whileOpen = [await limiter.limit([webhook]), await limiter.limit(emailsAndApi)];
    const requestsWhileOpen = requests;
    now += 1000;
    const probe = await limiter.limit([webhook]);
    const afterProbe = await limiter.limit([webhook]);

    // Assess
    expect(decisions.every((d) => d.failure?.reason === "error")).toBe(true);
    expect(decisions[0]?.failure?.message).toContain("ERR simulated failure");
    expect(whileOpen.map((d) => [d.allowed, d.failure?.reason])).toEqual([
      [true, "breaker-open"],
      [false, "breaker-open"],
    ]);
    expect(requestsWhileOpen).toBe(3);
    expect(probe.failure?.reason).toBe("error");
    expect(afterProbe.failure?.reason).toBe("breaker-open");
    expect(requests).toBe(4);
    expect(limiter.metrics).toMatchObject({ breakerProbes: 1, breakerOpened: 2 });
  });

  it("is not an outage when Redis answers a few hundred ms away: no fallback at the default budget", async () => {
    // Prepare: the default budget (no budget option), Redis 300 ms away.
    const { proxy } = await privateRedisBehindProxy();
    proxy.latencyMs = 300;
    const { limiter } = limiterOver(createRateLimitRedis({ url: proxy.url, token: "t", budgetMs: 1000 }), {
      budgetMs: undefined,
      firstCallBudgetMs: undefined,
    });

    // Act
    const decisions = await Promise.all(Array.from({ length: 10 }, () => limiter.limit(emailsAndApi)));
    const next = await limiter.limit([webhook]);

    // Assess
    expect([...decisions, next].every((d) => d.source === "redis" && d.allowed)).toBe(true);
    expect(limiter.metrics).toMatchObject({ fallbacks: 0, breakerOpened: 0 });
  });

  it("answers an authenticated request 503-closed, whatever its policies declare, when Redis is down", async () => {
    // Prepare
    const { redis, proxy } = await privateRedisBehindProxy();
    const { limiter } = limiterOver(budgetedClient(proxy.url));
    await redis.stop();

    // Act
    const outcome = await limiter.authenticateAndLimit("ferry:apikey:none", ["tasks:read"], [apiOnly]);

    // Assess: api fails open, but without Redis the key itself cannot be checked.
    expect(outcome).toMatchObject({ kind: "unavailable", failure: { reason: "error", mode: "closed" } });
    expect(limiter.metrics).toMatchObject({ fallbacksClosed: 1 });
  });

  it("never sends the script twice when the connection drops after the request was sent", async () => {
    // Prepare: the server reads the whole request (it may have run it) and then drops the connection.
    let requests = 0;
    const dropping = createHttpServer((req) => {
      requests++;
      req.resume();
      req.once("end", () => req.socket.destroy());
    });
    const url = await listen(dropping);
    cleanups.push(() => new Promise((resolve) => dropping.close(resolve)));
    const { limiter } = limiterOver(createRateLimitRedis({ url, token: "t", budgetMs: 2000 }));

    // Act
    const decision = await limiter.limit([webhook]);

    // Assess
    expect(decision).toMatchObject({ allowed: true, source: "fallback", failure: { reason: "error" } });
    expect(requests).toBe(1);
  });
});

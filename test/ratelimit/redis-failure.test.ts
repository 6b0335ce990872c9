/**
 * When Redis is stopped, hung or erroring, the limiter decides within its budget as each policy
 * declares (webhooks and api open, emails closed), counts and logs the fallback, and never sends
 * the script twice. Faults are real: a private redis-server stopped or paused (SIGSTOP), a TCP
 * server that accepts and never answers, an HTTP server that answers errors or drops connections.
 * No assertion is on speed; a hung Redis must merely not hang the decision (it resolves long
 * before a 5 s bound, with a 50 ms budget).
 */
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createTcpServer, type Server, type Socket } from "node:net";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { type PrivateRedis, startPrivateRedis } from "#infra/local/redis-server.ts";
import { startUpstashProxy, type UpstashProxy } from "#infra/local/upstash-proxy.ts";
import { type LimitRequest, RateLimiter, type ScriptClient } from "#shared/ratelimit/limiter.ts";
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

function limiterOver(client: ScriptClient) {
  const logger = recordingLogger();
  const limiter = new RateLimiter({
    redis: client,
    budgetMs: BUDGET_MS,
    firstCallBudgetMs: FIRST_CALL_BUDGET_MS,
    keyPrefix: testPrefix(),
    deniedCache: false,
    logger,
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
  it("follows each policy's declared mode when Redis is stopped behind the Upstash proxy", async () => {
    // Prepare
    const { redis, proxy } = await privateRedisBehindProxy();
    const { limiter, logger } = limiterOver(budgetedClient(proxy.url));
    expect((await limiter.limit([webhook])).source).toBe("redis");
    await redis.stop();

    // Act
    const decisions = await expectDeclaredModes(limiter);

    // Assess
    expect(decisions.map((d) => d.failure?.reason)).toEqual(["error", "error", "error"]);
    expect(limiter.metrics.errors).toBe(3);
    expect(logger.warnings).toHaveLength(3);
    expect(logger.warnings[2]).toMatchObject({
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

  it("decides within the budget and cancels the request when Redis accepts and never answers", async () => {
    // Prepare: a TCP server that accepts connections and never writes a byte.
    const sockets: Socket[] = [];
    const requestsClosedByClient: Promise<void>[] = [];
    const hung = createTcpServer((socket) => {
      sockets.push(socket);
      const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
      // fetch may also open spare connections; only those that carried a request must be aborted.
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
    const { value: closed } = await timed(() => limiter.limit(emailsAndApi));

    // Assess: decided by fallback, and the HTTP requests were aborted rather than left hanging.
    expect(decision).toMatchObject({ allowed: true, source: "fallback", failure: { reason: "timeout" } });
    expect(closed).toMatchObject({ allowed: false, source: "fallback", failure: { reason: "timeout" } });
    expect(elapsedMs).toBeLessThan(BOUND_MS);
    expect(limiter.metrics).toMatchObject({ timeouts: 2, fallbacksOpen: 1, fallbacksClosed: 1 });
    expect(requestsClosedByClient).toHaveLength(2);
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
      const reply = { result: [1, 1_000_000] };
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(req.url === "/pipeline" ? [reply] : reply));
    });
    const url = await listen(onceThenHung);
    cleanups.push(() => {
      onceThenHung.closeAllConnections();
      return new Promise((resolve) => onceThenHung.close(resolve));
    });
    const { limiter } = limiterOver(createRateLimitRedis({ url, token: "t", budgetMs: 10_000 }));

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
    const { limiter } = limiterOver(createRateLimitRedis({ url, token: "t", budgetMs: 10_000 }));

    // Act
    const first = await limiter.limit([webhook]);
    const second = await limiter.limit([webhook]);

    // Assess
    expect(first.failure?.message).toBe(`Redis did not answer within ${FIRST_CALL_BUDGET_MS} ms`);
    expect(second.failure?.message).toBe(`Redis did not answer within ${FIRST_CALL_BUDGET_MS} ms`);
  });

  it("decides within the budget while Redis is paused (SIGSTOP), and uses Redis again once resumed", async () => {
    // Prepare
    const { redis, proxy } = await privateRedisBehindProxy();
    const { limiter } = limiterOver(budgetedClient(proxy.url));
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
    resume();
    let after = await limiter.limit([webhook]);
    // The proxy answers the paused commands first; give it a few tries to drain them.
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
      failure: { reason: "timeout", mode: "closed" },
    });
    expect(elapsedMs).toBeLessThan(BOUND_MS);
    expect(after).toMatchObject({ allowed: true, source: "redis" });
  });

  it("follows each policy's declared mode when Redis answers errors", async () => {
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
    const { limiter } = limiterOver(budgetedClient(url));

    // Act
    const decisions = await expectDeclaredModes(limiter);

    // Assess
    expect(decisions.every((d) => d.failure?.reason === "error")).toBe(true);
    expect(decisions[0]?.failure?.message).toContain("ERR simulated failure");
    expect(requests).toBe(3);
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

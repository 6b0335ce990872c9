/**
 * The local Upstash proxy reads script shebangs the way Upstash does (so the same script runs
 * locally and in production), adds an injected round-trip latency on demand, and counts the
 * requests it serves (the benchmark's Redis round trips per HTTP request).
 */
import { createHash, randomUUID } from "node:crypto";
import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { withoutUpstashFlags } from "#infra/local/upstash/script-flags.ts";
import {
  latencyFromEnvironment,
  startUpstashProxy,
  type UpstashProxy,
} from "#infra/local/upstash/upstash-proxy.ts";
import { createRedisClient, type RedisClient } from "#shared/redis/client.ts";

const token = `test-token-${randomUUID()}`;
const prefix = `upstash-proxy-scripts:${randomUUID()}:`;
const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

let proxy: UpstashProxy;
let client: RedisClient;

beforeAll(async () => {
  proxy = await startUpstashProxy({ redisUrl: inject("redisUrl"), token, latencyMs: 0 });
  client = createRedisClient({ url: proxy.url, token, timeoutMs: 5000 });
});

afterAll(async () => {
  await proxy?.close();
});

describe("Upstash proxy: script shebangs", () => {
  it("runs a script carrying allow-key-locking, by EVAL and then by the client's own SHA", async () => {
    // Prepare: open-source Redis alone refuses this shebang.
    const source = `#!lua flags=allow-key-locking\nreturn redis.call('INCR', KEYS[1]) .. ':${randomUUID()}'`;
    const key = `${prefix}counter`;

    // Act
    const byEval = await client.eval(source, [key], []);
    const bySha = await client.evalsha(sha1(source), [key], []);

    // Assess
    expect(String(byEval)).toMatch(/^1:/);
    expect(String(bySha)).toMatch(/^2:/);
  });

  it("answers NOSCRIPT for an unknown SHA, so a client falls back to EVAL as against Upstash", async () => {
    // Act
    const error = await client
      .evalsha(sha1(`#!lua flags=allow-key-locking\nreturn ${Math.random()}`), [], [])
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );

    // Assess
    expect(error?.message).toMatch(/NOSCRIPT/);
  });

  it("answers SCRIPT LOAD with the SHA of the text the client sent", async () => {
    // Prepare
    const source = `#!lua flags=allow-key-locking\nreturn '${randomUUID()}'`;

    // Act
    const sha = String(await client.command(["script", "load", source]));
    const exists = await client.command(["script", "exists", sha]);

    // Assess
    expect(sha).toBe(sha1(source));
    expect(exists).toEqual([1]);
  });

  it("keeps the flags open-source Redis knows: a no-writes script still may not write", async () => {
    // Prepare
    const source = `#!lua flags=allow-key-locking,no-writes\nreturn redis.call('SET', KEYS[1], 'x')`;

    // Act
    const error = await client.eval(source, [`${prefix}w`], []).then(
      () => undefined,
      (e: unknown) => e as Error,
    );

    // Assess
    expect(withoutUpstashFlags(source)).toBe("#!lua flags=no-writes\nreturn redis.call('SET', KEYS[1], 'x')");
    expect(error?.message).toMatch(/read-only|not allowed/i);
  });

  it("runs @upstash/ratelimit's own scripts unmodified", async () => {
    // Prepare: its scripts start with the same shebang; it runs on @upstash/redis (its peer).
    const limiter = new Ratelimit({
      redis: new Redis({ url: proxy.url, token, enableTelemetry: false }),
      limiter: Ratelimit.tokenBucket(1, "1 s", 2),
      prefix: `${prefix}peer`,
      ephemeralCache: false,
      analytics: false,
    });

    // Act
    const results = [await limiter.limit("a"), await limiter.limit("a"), await limiter.limit("a")];

    // Assess
    expect(results.map((r) => r.success)).toEqual([true, true, false]);
  });
});

describe("Upstash proxy: latency knob and counters", () => {
  it("delays every request by the set round trip, changeable while it runs", async () => {
    // Prepare
    proxy.latencyMs = 60;

    // Act
    const started = performance.now();
    await client.ping();
    const elapsedMs = performance.now() - started;
    proxy.latencyMs = 0;

    // Assess: a lower bound only (the knob works); how fast anything is, is the benchmark's job.
    expect(elapsedMs).toBeGreaterThanOrEqual(59);
    expect(proxy.latencyMs).toBe(0);
  });

  it("reads FERRY_LOCAL_LATENCY_MS, and refuses a value that is not whole milliseconds", async () => {
    // Act
    const fromEnv = await startUpstashProxy({
      redisUrl: inject("redisUrl"),
      token,
      environment: { FERRY_LOCAL_LATENCY_MS: "25" },
    });
    const latency = fromEnv.latencyMs;
    await fromEnv.close();

    // Assess
    expect(latency).toBe(25);
    expect(latencyFromEnvironment({})).toBe(0);
    expect(() => latencyFromEnvironment({ FERRY_LOCAL_LATENCY_MS: "-1" })).toThrow(/FERRY_LOCAL_LATENCY_MS/);
    expect(() => latencyFromEnvironment({ FERRY_LOCAL_LATENCY_MS: "fast" })).toThrow(
      /FERRY_LOCAL_LATENCY_MS/,
    );
  });

  it("counts the REST requests and the commands in them", async () => {
    // Prepare
    const before = proxy.stats();

    // Act: one request with one command, then one pipeline of three.
    await client.set(`${prefix}s`, "1");
    const p = client.pipeline();
    p.get(`${prefix}s`);
    p.get(`${prefix}s`);
    p.get(`${prefix}s`);
    await p.exec();
    const after = proxy.stats();

    // Assess
    expect(after.requests - before.requests).toBe(2);
    expect(after.commands - before.commands).toBe(4);
  });
});

/**
 * The production Redis client (@upstash/redis, retries off, no deserialisation) talking to the
 * run's private redis-server through the local Upstash REST proxy, so the payment scripts run
 * exactly as they will against Upstash.
 */
import { randomUUID } from "node:crypto";
import { inject } from "vitest";
import { startUpstashProxy, type UpstashProxy } from "#infra/local/upstash-proxy.ts";
import { createRedisClient, type RedisClient } from "#shared/redis/client.ts";

export interface TestRedis {
  readonly redis: RedisClient;
  close(): Promise<void>;
}

export async function startTestRedis(): Promise<TestRedis> {
  const token = `payments-test-${randomUUID()}`;
  const proxy: UpstashProxy = await startUpstashProxy({ redisUrl: inject("redisUrl"), token });
  return {
    redis: createRedisClient({ url: proxy.url, token, timeoutMs: 5000 }),
    close: () => proxy.close(),
  };
}

/**
 * The production Redis client (Ferry's Upstash client, createRedisClient) against the run's private
 * redis-server, through the local Upstash-REST proxy: tests exercise the same client and wire
 * format as production. startTestRedis() starts a proxy of the test's own; redisOf(runtime)
 * uses a running runtime's, as its handlers do.
 */
import { randomUUID } from "node:crypto";
import { inject } from "vitest";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import { startUpstashProxy } from "#infra/local/upstash/upstash-proxy.ts";
import { createRedisClient, type RedisClient } from "#shared/redis/client.ts";

export interface TestRedis {
  readonly redis: RedisClient;
  readonly url: string;
  readonly token: string;
  close(): Promise<void>;
}

export async function startTestRedis(timeoutMs = 2000): Promise<TestRedis> {
  const token = randomUUID();
  const proxy = await startUpstashProxy({ redisUrl: inject("redisUrl"), token });
  return {
    redis: createRedisClient({ url: proxy.url, token, timeoutMs }),
    url: proxy.url,
    token,
    close: () => proxy.close(),
  };
}

/** The Redis a running local runtime's handlers use, through its Upstash proxy. */
export function redisOf(runtime: Pick<LocalRuntime, "upstash">, timeoutMs = 2000): RedisClient {
  return createRedisClient({ url: runtime.upstash.url, token: runtime.upstash.token, timeoutMs });
}

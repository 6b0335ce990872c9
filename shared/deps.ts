/**
 * Per-container dependencies shared by every handler: configuration and the Redis client, built
 * once at cold start. A failed build is retried by the next invocation rather than cached.
 */
import { type Config, getConfig } from "#shared/config.ts";
import { createRedisClient, type RedisClient } from "#shared/redis/client.ts";

export interface Deps {
  readonly config: Config;
  readonly redis: RedisClient;
}

let deps: Promise<Deps> | undefined;

export function getDeps(): Promise<Deps> {
  deps ??= getConfig().then((config) => ({
    config,
    redis: createRedisClient({
      url: config.UPSTASH_REDIS_REST_URL,
      token: config.UPSTASH_REDIS_REST_TOKEN,
      timeoutMs: config.REDIS_TIMEOUT_MS,
    }),
  }));
  deps.catch(() => {
    deps = undefined;
  });
  return deps;
}

/**
 * The limiter runs against the run's real redis-server through two clients with the same EVAL
 * semantics: ioredis directly, and the production client (Ferry's Upstash client, as the rate limiter
 * builds it) through the local Upstash-REST proxy. Every property test runs on both. A plain
 * ioredis connection inspects what the script stored (values, PEXPIRETIME).
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { inject } from "vitest";
import { ScriptRewriter } from "#infra/local/upstash/script-flags.ts";
import { startUpstashProxy } from "#infra/local/upstash/upstash-proxy.ts";
import type { ScriptClient } from "#shared/ratelimit/limiter.ts";
import { createRateLimitRedis } from "#shared/ratelimit/redis-client.ts";

/**
 * EVAL/EVALSHA over ioredis, shaped like the production client's methods, reading scripts the way Upstash
 * does (its key-locking flag dropped for open-source Redis, by the proxy's own rewriter).
 */
export function ioredisScriptClient(redis: Redis): ScriptClient {
  const scripts = new ScriptRewriter();
  const run = (command: [string, string, ...string[]]) => {
    const [name, ...args] = scripts.rewrite(command);
    return redis.call(name, ...args);
  };
  return {
    eval: (script, keys, args) => run(["EVAL", script, String(keys.length), ...keys, ...args]),
    evalsha: (sha, keys, args) => run(["EVALSHA", sha, String(keys.length), ...keys, ...args]),
  };
}

export interface Backend {
  readonly name: string;
  readonly client: ScriptClient;
  close(): Promise<void>;
}

export type BackendName = "ioredis" | "upstash-rest";
export const BACKENDS: readonly BackendName[] = ["ioredis", "upstash-rest"];

export async function openBackend(name: BackendName, redisUrl = inject("redisUrl")): Promise<Backend> {
  if (name === "ioredis") {
    const redis = new Redis(redisUrl, { maxRetriesPerRequest: 0 });
    return { name, client: ioredisScriptClient(redis), close: async () => void (await redis.quit()) };
  }
  const token = randomUUID();
  const proxy = await startUpstashProxy({ redisUrl, token });
  // A generous budget: these tests are about decisions, not speed, on two shared cores.
  const client = createRateLimitRedis({ url: proxy.url, token, budgetMs: 5000 });
  return { name, client, close: () => proxy.close() };
}

/** A connection for reading what the script stored. */
export const inspector = (redisUrl = inject("redisUrl")) => new Redis(redisUrl, { maxRetriesPerRequest: 0 });

/** A unique key prefix per test, so files sharing the run's Redis never collide. */
export const testPrefix = () => `ferry-test:rl:${randomUUID()}:`;

/** Simulated time: `now` is a script argument, so time moves only when a test moves it. */
export function simulatedClock(startMs = 1_700_000_000_000) {
  let now = startMs;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
    set(ms: number) {
      now = ms;
    },
  };
}

/** A logger that keeps what it was told, to assert fallbacks were logged. */
export function recordingLogger() {
  const warnings: { message: string; attributes: unknown }[] = [];
  return {
    warnings,
    warn(message: string, ...rest: unknown[]) {
      warnings.push({ message, attributes: rest[0] });
    },
  };
}

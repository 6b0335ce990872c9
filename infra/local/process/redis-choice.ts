/**
 * Which Redis the local runtime uses, and how to stop it if the runtime started it: REDIS_URL
 * when given (it must answer, or the runtime refuses to start, naming it), else a private
 * redis-server of its own. Never whatever happens to answer on 127.0.0.1:6379: that Redis may
 * be someone else's, and the runtime writes keys and, at start, fails tasks it finds lost.
 */
import { Redis } from "ioredis";
import type { PrivateRedis } from "./redis-server.ts";

export type RedisSource = "configured" | "private";

export interface ChosenRedis {
  readonly url: string;
  readonly source: RedisSource;
  readonly pid?: number;
  /** Where a private Redis keeps its data across restarts, when it does. */
  readonly dataDir?: string;
  stop(): Promise<void>;
}

export interface RedisChoice {
  readonly configuredUrl?: string | undefined;
  /** Why the configured Redis cannot be used, or undefined when it answers. */
  readonly configuredProblem: (url: string) => Promise<string | undefined>;
  readonly startPrivate: () => Promise<PrivateRedis>;
}

/** The URL with any password masked, for messages. */
export function redactedRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(an unparsable URL)";
  }
}

/** Why `url` cannot be used as the runtime's Redis (it does not answer a PING in time), if so. */
export async function redisUrlProblem(url: string, timeoutMs = 2000): Promise<string | undefined> {
  let client: Redis;
  try {
    client = new Redis(url, {
      lazyConnect: true,
      connectTimeout: timeoutMs,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
  } catch (error) {
    return (error as Error).message;
  }
  client.on("error", () => undefined);
  try {
    await client.connect();
    const answer = await Promise.race([
      client.ping(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no answer to PING")), timeoutMs)),
    ]);
    return answer === "PONG" ? undefined : `it answered PING with ${answer}`;
  } catch (error) {
    return (error as Error).message || String(error);
  } finally {
    client.disconnect();
  }
}

export async function chooseRedis(choice: RedisChoice): Promise<ChosenRedis> {
  if (choice.configuredUrl) {
    const problem = await choice.configuredProblem(choice.configuredUrl);
    if (problem) {
      throw new Error(
        `REDIS_URL=${redactedRedisUrl(choice.configuredUrl)} cannot be reached (${problem}). ` +
          "Start that Redis, fix REDIS_URL, or unset it to let the runtime start its own redis-server.",
      );
    }
    return { url: choice.configuredUrl, source: "configured", stop: async () => undefined };
  }
  const started = await choice.startPrivate();
  return {
    url: started.url,
    source: "private",
    pid: started.pid,
    ...(started.dataDir ? { dataDir: started.dataDir } : {}),
    stop: () => started.stop(),
  };
}

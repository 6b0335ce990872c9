/**
 * Which Redis an operator CLI talks to: the Upstash REST endpoint in the environment (a deployed
 * stack), else the one the running local runtime recorded in .ferry/local.json.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createRedisClient, type RedisClient } from "#shared/redis/client.ts";

export const LOCAL_STATE_FILE = join(import.meta.dirname, "..", "..", ".ferry", "local.json");

export async function resolveRedisForCli(): Promise<RedisClient> {
  const url = process.env.UPSTASH_REDIS_REST_URL;
  const token = process.env.UPSTASH_REDIS_REST_TOKEN;
  if (url && token) return createRedisClient({ url, token, timeoutMs: 5000 });
  if (existsSync(LOCAL_STATE_FILE)) {
    const state = JSON.parse(readFileSync(LOCAL_STATE_FILE, "utf8")) as { upstash?: { url?: string; token?: string } };
    if (state.upstash?.url && state.upstash.token) {
      return createRedisClient({ url: state.upstash.url, token: state.upstash.token, timeoutMs: 5000 });
    }
  }
  throw new Error(
    "No Redis to talk to: set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN, or start `npm run dev` first.",
  );
}

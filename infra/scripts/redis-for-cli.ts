/**
 * Which Redis an operator CLI talks to: the Upstash REST endpoint in the environment (a deployed
 * stack), else the one the running local runtime recorded in .ferry/local.json.
 */
import { readLocalState } from "#infra/local/process/local-state.ts";
import { createRedisClient, type RedisClient } from "#shared/redis/client.ts";

export async function resolveRedisForCli(): Promise<RedisClient> {
  const url = process.env.UPSTASH_REDIS_REST_URL;
  const token = process.env.UPSTASH_REDIS_REST_TOKEN;
  if (url && token) return createRedisClient({ url, token, timeoutMs: 5000 });
  const local = readLocalState();
  if (local)
    return createRedisClient({ url: local.upstash.url, token: local.upstash.token, timeoutMs: 5000 });
  throw new Error(
    "No Redis to talk to: set UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN, or start `npm run dev` first.",
  );
}

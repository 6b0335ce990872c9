/**
 * HGETALL as an object. With automaticDeserialization off (see client.ts) @upstash/redis returns
 * Redis's flat [field, value, ...] reply; this accepts either shape.
 */
import type { RedisClient } from "./client.ts";

export async function hgetallRecord(redis: RedisClient, key: string): Promise<Record<string, string>> {
  const reply = (await redis.hgetall(key)) as unknown;
  if (reply === null || reply === undefined) return {};
  if (!Array.isArray(reply)) return reply as Record<string, string>;
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}

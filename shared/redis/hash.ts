/**
 * HGETALL as an object. The client (client.ts) returns Redis's flat [field, value, ...] reply, as
 * @upstash/redis did with automaticDeserialization off; this accepts an object too.
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

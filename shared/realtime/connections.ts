/**
 * Open WebSocket connections and the principal each one belongs to. A record lives as long as
 * API Gateway lets a connection live (2 hours) plus a margin, so a `$disconnect` that never
 * arrives (AWS delivers it on a best-effort basis) cannot leave records behind forever; a
 * GoneException on a push removes such a connection sooner (see publish.ts).
 */
import type { RedisClient } from "#shared/redis/client.ts";
import { realtimeKeys } from "./keys.ts";

/** API Gateway closes every WebSocket connection after 2 hours; 5 minutes of margin for clocks. */
export const CONNECTION_TTL_SECONDS = 2 * 3600 + 300;

export interface ConnectionRecord {
  readonly keyId: string;
  readonly connectedAt: string;
}

/**
 * Records a connection under its key, in the key's connection set too (so revoking the key
 * finds it). $connect admits connections with admit-connection.ts, which also checks the key
 * still exists; this is for callers that already know it does.
 */
export async function saveConnection(
  redis: RedisClient,
  connectionId: string,
  record: ConnectionRecord,
): Promise<void> {
  const tx = redis.multi();
  tx.set(realtimeKeys.connection(connectionId), JSON.stringify(record), { ex: CONNECTION_TTL_SECONDS });
  tx.sadd(realtimeKeys.keyConnections(record.keyId), connectionId);
  tx.expire(realtimeKeys.keyConnections(record.keyId), CONNECTION_TTL_SECONDS);
  await tx.exec();
}

export async function getConnection(
  redis: RedisClient,
  connectionId: string,
): Promise<ConnectionRecord | undefined> {
  const raw = await redis.get<string>(realtimeKeys.connection(connectionId));
  return raw ? (JSON.parse(raw) as ConnectionRecord) : undefined;
}

const keyIdOf = (raw: string | null): string | undefined => {
  if (!raw) return undefined;
  try {
    return (JSON.parse(raw) as Partial<ConnectionRecord>).keyId;
  } catch {
    return undefined;
  }
};

/**
 * Forgets a connection, every subscription it held, and its entry in its key's connection set.
 * The record and its subscription list go in one transaction (a subscribe racing with this
 * either lands before and is cleaned up here, or finds no connection and is refused); the
 * task-side and key-side entries are removed afterwards. `alsoTaskIds` covers task sets that may
 * still name the connection after its own list expired.
 */
export async function removeConnection(
  redis: RedisClient,
  connectionId: string,
  options: { alsoTaskIds?: readonly string[] } = {},
): Promise<void> {
  const subsKey = realtimeKeys.connectionSubscriptions(connectionId);
  const tx = redis.multi();
  tx.get(realtimeKeys.connection(connectionId));
  tx.smembers(subsKey);
  tx.del(realtimeKeys.connection(connectionId), subsKey);
  const [record, taskIds] = (await tx.exec()) as [string | null, string[], number];
  const all = new Set([...taskIds, ...(options.alsoTaskIds ?? [])]);
  const keyId = keyIdOf(record);
  if (all.size === 0 && !keyId) return;
  const pipeline = redis.pipeline();
  for (const taskId of all) pipeline.srem(realtimeKeys.taskSubscribers(taskId), connectionId);
  if (keyId) pipeline.srem(realtimeKeys.keyConnections(keyId), connectionId);
  await pipeline.exec();
}

/** Takes (and clears) the set of connections opened with one key's tickets. */
export async function takeKeyConnections(redis: RedisClient, keyId: string): Promise<string[]> {
  const tx = redis.multi();
  tx.smembers(realtimeKeys.keyConnections(keyId));
  tx.del(realtimeKeys.keyConnections(keyId));
  const [ids] = (await tx.exec()) as [string[], number];
  return ids;
}

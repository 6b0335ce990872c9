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

export async function saveConnection(
  redis: RedisClient,
  connectionId: string,
  record: ConnectionRecord,
): Promise<void> {
  await redis.set(realtimeKeys.connection(connectionId), JSON.stringify(record), {
    ex: CONNECTION_TTL_SECONDS,
  });
}

export async function getConnection(
  redis: RedisClient,
  connectionId: string,
): Promise<ConnectionRecord | undefined> {
  const raw = await redis.get<string>(realtimeKeys.connection(connectionId));
  return raw ? (JSON.parse(raw) as ConnectionRecord) : undefined;
}

/**
 * Forgets a connection and every subscription it held. The record and its subscription list go
 * in one transaction (a subscribe racing with this either lands before and is cleaned up here, or
 * finds no connection and is refused); the task-side entries are removed afterwards.
 * `alsoTaskIds` covers task sets that may still name the connection after its own list expired.
 */
export async function removeConnection(
  redis: RedisClient,
  connectionId: string,
  options: { alsoTaskIds?: readonly string[] } = {},
): Promise<void> {
  const subsKey = realtimeKeys.connectionSubscriptions(connectionId);
  const tx = redis.multi();
  tx.smembers(subsKey);
  tx.del(realtimeKeys.connection(connectionId), subsKey);
  const [taskIds] = (await tx.exec()) as [string[], number];
  const all = new Set([...taskIds, ...(options.alsoTaskIds ?? [])]);
  if (all.size === 0) return;
  const pipeline = redis.pipeline();
  for (const taskId of all) pipeline.srem(realtimeKeys.taskSubscribers(taskId), connectionId);
  await pipeline.exec();
}

/** Which connections follow which tasks (see keys.ts for the data model). */
import type { RedisClient } from "#shared/redis/client.ts";
import { redisKeys } from "#shared/redis/keys.ts";
import { publicTask, type StoredTask } from "#shared/tasks/store.ts";
import type { Task } from "#shared/tasks/task.ts";
import { realtimeKeys } from "./keys.ts";
import { SUBSCRIBE_SCRIPT } from "./subscribe-script.ts";

/** Bounds the Redis state and the per-connection work a single client can cause. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 100;

export type SubscribeOutcome =
  | { readonly kind: "subscribed"; readonly task: Task }
  | { readonly kind: "not_connected" | "task_not_found" | "too_many_subscriptions" };

export async function subscribe(
  redis: RedisClient,
  connectionId: string,
  taskId: string,
): Promise<SubscribeOutcome> {
  const reply = (await SUBSCRIBE_SCRIPT(
    redis,
    [
      realtimeKeys.connection(connectionId),
      realtimeKeys.connectionSubscriptions(connectionId),
      realtimeKeys.taskSubscribers(taskId),
      redisKeys.task(taskId),
    ],
    [connectionId, taskId, String(MAX_SUBSCRIPTIONS_PER_CONNECTION)],
  )) as [string, string?];
  const [kind, raw] = reply;
  if (kind === "subscribed" && raw) return { kind, task: publicTask(JSON.parse(raw) as StoredTask) };
  if (kind === "not_connected" || kind === "task_not_found" || kind === "too_many_subscriptions")
    return { kind };
  throw new Error(`subscribe script returned an unexpected reply: ${String(kind)}`);
}

/** Idempotent: unsubscribing from a task one does not follow is not an error. */
export async function unsubscribe(redis: RedisClient, connectionId: string, taskId: string): Promise<void> {
  const tx = redis.multi();
  tx.srem(realtimeKeys.connectionSubscriptions(connectionId), taskId);
  tx.srem(realtimeKeys.taskSubscribers(taskId), connectionId);
  await tx.exec();
}

export async function subscribersOf(redis: RedisClient, taskId: string): Promise<string[]> {
  return redis.smembers(realtimeKeys.taskSubscribers(taskId));
}

export async function subscriptionsOf(redis: RedisClient, connectionId: string): Promise<string[]> {
  return redis.smembers(realtimeKeys.connectionSubscriptions(connectionId));
}

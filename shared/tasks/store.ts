/**
 * Task records in Redis. The stored form adds the owner's key id, which is never shown to
 * clients; every write goes through the transition script so ordering holds under races.
 */
import type { RedisClient } from "#shared/redis/client.ts";
import { redisKeys } from "#shared/redis/keys.ts";
import type { Task, TaskTransition } from "./task.ts";
import { TRANSITION_SCRIPT } from "./transition-script.ts";

/** Tasks stay readable for a week after their last change. */
export const TASK_TTL_SECONDS = 7 * 24 * 3600;

export interface StoredTask extends Task {
  readonly ownerKeyId: string;
}

export function newQueuedTask(id: string, ownerKeyId: string, now: Date): StoredTask {
  const at = now.toISOString();
  return {
    id,
    type: "email",
    status: "queued",
    attempts: 0,
    createdAt: at,
    updatedAt: at,
    version: 1,
    ownerKeyId,
  };
}

/** The client-facing view: everything but the owner. */
export function publicTask(task: StoredTask): Task {
  const { ownerKeyId: _owner, ...rest } = task;
  return rest;
}

/** Writes a new queued task unless one exists (a worker may already have moved it on). */
export async function saveQueuedTask(redis: RedisClient, task: StoredTask): Promise<void> {
  await redis.set(redisKeys.task(task.id), JSON.stringify(task), { nx: true, ex: TASK_TTL_SECONDS });
}

export async function getTask(redis: RedisClient, taskId: string): Promise<StoredTask | undefined> {
  const raw = await redis.get<string>(redisKeys.task(taskId));
  return raw ? (JSON.parse(raw) as StoredTask) : undefined;
}

/** The task if it exists and belongs to this key; otherwise undefined (callers answer 404). */
export async function getOwnedTask(
  redis: RedisClient,
  taskId: string,
  keyId: string,
): Promise<StoredTask | undefined> {
  const task = await getTask(redis, taskId);
  return task && task.ownerKeyId === keyId ? task : undefined;
}

export interface TransitionOutcome {
  readonly task: StoredTask;
  /** False when the transition was stale or the task already terminal: nothing changed. */
  readonly applied: boolean;
}

export async function transitionTask(
  redis: RedisClient,
  taskId: string,
  transition: TaskTransition,
  options: { now: Date; createIfMissing?: StoredTask },
): Promise<TransitionOutcome | undefined> {
  const [raw, applied] = (await TRANSITION_SCRIPT(
    redis,
    [redisKeys.task(taskId)],
    [
      JSON.stringify(transition),
      options.now.toISOString(),
      String(TASK_TTL_SECONDS),
      options.createIfMissing ? JSON.stringify(options.createIfMissing) : "",
    ],
  )) as [string | null, string];
  if (raw === null) return undefined;
  return { task: JSON.parse(raw) as StoredTask, applied: applied === "1" };
}

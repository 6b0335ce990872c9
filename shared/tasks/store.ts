/**
 * Task records in Redis. The stored form adds the owner's key id, which is never shown to
 * clients; every write goes through the transition script so ordering holds under races.
 */
import type { RedisClient } from "#shared/redis/client.ts";
import { readIndexPage } from "#shared/redis/index-page.ts";
import { redisKeys } from "#shared/redis/keys.ts";
import { defineScript } from "#shared/redis/script.ts";
import type { Task, TaskStatus, TaskTransition } from "./task.ts";
import { TRANSITION_SCRIPT } from "./transition-script.ts";

/** Tasks stay readable for a week after their last change. */
export const TASK_TTL_SECONDS = 7 * 24 * 3600;

/**
 * How long an owner's index remembers a task id: twice a task's lifetime, because a task lives a
 * week after its LAST change (a retried or redriven one outlives its creation by days). Ids whose
 * task has expired are skipped when listing and pruned on the owner's next write.
 */
export const TASK_INDEX_RETENTION_SECONDS = 2 * TASK_TTL_SECONDS;

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

/**
 * Writes the task unless it exists and lists it in its owner's index, in one script: a task
 * GET /v1/tasks/{id} can read is always in GET /v1/tasks. The index entry is written even when
 * the task already exists (the worker can create it first, from the message), and old entries
 * are pruned here, so the index never outgrows an owner's recent tasks.
 * KEYS[1] task · KEYS[2] owner index · ARGV[1] task JSON · ARGV[2] task ttl (s) · ARGV[3] task
 * id · ARGV[4] score (creation ms) · ARGV[5] prune below (ms) · ARGV[6] index ttl (s).
 */
const SAVE_QUEUED_TASK_SCRIPT = defineScript(`
redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', tonumber(ARGV[2]))
redis.call('ZADD', KEYS[2], 'NX', ARGV[4], ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[5])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[6]))
return 1
`);

/** Writes a new queued task unless one exists (a worker may already have moved it on). */
export async function saveQueuedTask(redis: RedisClient, task: StoredTask): Promise<void> {
  const created = Date.parse(task.createdAt);
  await SAVE_QUEUED_TASK_SCRIPT(
    redis,
    [redisKeys.task(task.id), redisKeys.tasksByOwner(task.ownerKeyId)],
    [
      JSON.stringify(task),
      String(TASK_TTL_SECONDS),
      task.id,
      String(created),
      String(created - TASK_INDEX_RETENTION_SECONDS * 1000),
      String(TASK_INDEX_RETENTION_SECONDS),
    ],
  );
}

export interface TaskPage {
  readonly items: readonly Task[];
  readonly nextCursor: string | null;
}

/** The owner's tasks, newest first (by creation), optionally only those in one status. */
export async function listOwnedTasks(
  redis: RedisClient,
  ownerKeyId: string,
  options: { limit: number; cursor?: string | undefined; status?: TaskStatus | undefined },
): Promise<TaskPage> {
  const page = await readIndexPage(redis, {
    index: redisKeys.tasksByOwner(ownerKeyId),
    recordPrefix: redisKeys.task(""),
    limit: options.limit,
    cursor: options.cursor,
    // The owner check is repeated on the record: the index is a hint, the record decides.
    filters: { ownerKeyId, ...(options.status ? { status: options.status } : {}) },
  });
  return {
    items: page.records.map((raw) => publicTask(JSON.parse(raw) as StoredTask)),
    nextCursor: page.nextCursor,
  };
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

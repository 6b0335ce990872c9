/**
 * The local queues (fauxqs) live in memory: when the runtime stops or dies, the messages of
 * tasks still in flight are gone, while the tasks, in the kept Redis, would say `queued` or
 * `retrying` forever. At start, before any queue is polled, every task that is not terminal has
 * therefore lost its message, and is settled from what its send lease knows:
 *   - the email was sent (the lease recorded SES's message id) → `succeeded`;
 *   - SES was being called when the runtime stopped → `failed`, `delivery_unknown` (it may have
 *     been sent; it is not resent, as on AWS);
 *   - otherwise → `failed`, `local_queue_lost`: the email was not sent; send it again.
 * Only safe while no other runtime uses this Redis (its tasks' messages are in its queues): the
 * runtime runs it on its own private Redis, whose directory it holds the lock of.
 */
import type { RedisClient } from "#shared/redis/client.ts";
import { redisKeys } from "#shared/redis/keys.ts";
import { getTask, transitionTask } from "#shared/tasks/store.ts";
import { isTerminal, type TaskTransition } from "#shared/tasks/task.ts";

export const LOCAL_QUEUE_LOST = "local_queue_lost";

export interface SweepOutcome {
  /** Tasks found not terminal: each one's message was lost. */
  readonly found: number;
  readonly failed: number;
  readonly succeeded: number;
}

function settle(attempt: number, lease: unknown): TaskTransition {
  const record =
    lease && typeof lease === "object" ? (lease as { state?: unknown; messageId?: unknown }) : {};
  if (record.state === "sent" && typeof record.messageId === "string")
    return { status: "succeeded", attempt, messageId: record.messageId };
  if (record.state === "sending")
    return {
      status: "failed",
      attempt,
      error: {
        code: "delivery_unknown",
        message:
          "The local runtime stopped during the SES call; SES may have accepted the email, so it is not resent.",
      },
    };
  return {
    status: "failed",
    attempt,
    error: {
      code: LOCAL_QUEUE_LOST,
      message:
        "The local runtime stopped while this task's message was in its in-memory queue; the email was not sent. Send it again.",
    },
  };
}

export async function sweepLostTasks(redis: RedisClient, now = new Date()): Promise<SweepOutcome> {
  let found = 0;
  let failed = 0;
  let succeeded = 0;
  let cursor = "0";
  const pattern = redisKeys.task("*");
  do {
    const [next, keys] = await redis.scan(cursor, { match: pattern, count: 500 });
    cursor = String(next);
    for (const key of keys) {
      const taskId = key.slice(pattern.length - 1);
      const task = await getTask(redis, taskId);
      if (!task || isTerminal(task.status)) continue;
      found++;
      const raw = await redis.get<string>(redisKeys.emailSend(taskId));
      const transition = settle(task.attempts, raw ? (JSON.parse(raw) as unknown) : undefined);
      const outcome = await transitionTask(redis, taskId, transition, { now });
      if (!outcome?.applied) continue;
      if (transition.status === "succeeded") succeeded++;
      else failed++;
    }
  } while (cursor !== "0");
  return { found, failed, succeeded };
}

/**
 * Accepting an email: send the message to the email queue FIRST, then write the queued task.
 * A 202 therefore always means the work is durably queued, and a failed enqueue leaves no task
 * behind (nothing was written). If the task write fails after the send, the worker creates the
 * record from the message when it runs, so the task still appears.
 */
import { createHash, randomUUID } from "node:crypto";
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { logger } from "#shared/logger.ts";
import { sqsJsonBody } from "#shared/queues/sqs-body.ts";
import type { RedisClient } from "#shared/redis/client.ts";
import { newQueuedTask, publicTask, saveQueuedTask } from "#shared/tasks/store.ts";
import type { Task } from "#shared/tasks/task.ts";
import { buildEmailMessage, SQS_MAX_MESSAGE_BYTES } from "./message.ts";
import type { EmailContent } from "./request.ts";

export class MessageTooLargeError extends Error {
  override readonly name = "MessageTooLargeError";
  constructor(readonly bytes: number) {
    super(`queue message of ${bytes} bytes exceeds ${SQS_MAX_MESSAGE_BYTES}`);
  }
}

export class EnqueueFailedError extends Error {
  override readonly name = "EnqueueFailedError";
}

export interface EnqueueEmailDeps {
  readonly redis: RedisClient;
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly now?: () => Date;
  readonly newTaskId?: () => string;
}

export const newTaskId = (): string => `tsk_${randomUUID().replaceAll("-", "")}`;

/**
 * The task id for a request sent with an Idempotency-Key: the same key, caller and body always
 * give the same task. So a retry after an ambiguous failure (SQS took the message but its answer
 * was lost, and the caller got 503) maps to the task the first attempt may already have queued,
 * and the worker's send lease lets only one of the two messages reach SES.
 */
export const idempotentTaskId = (
  ownerKeyId: string,
  idempotencyKey: string,
  requestFingerprint: string,
): string =>
  `tsk_${createHash("sha256").update(`${ownerKeyId}\n${idempotencyKey}\n${requestFingerprint}`).digest("hex").slice(0, 32)}`;

export async function enqueueEmail(
  deps: EnqueueEmailDeps,
  ownerKeyId: string,
  email: EmailContent,
): Promise<Task> {
  const now = (deps.now ?? (() => new Date()))();
  const taskId = (deps.newTaskId ?? newTaskId)();
  // ASCII only: an emoji or a U+FFFF in the subject must not make SQS refuse the message.
  const body = sqsJsonBody(buildEmailMessage(taskId, ownerKeyId, now, email));
  // SQS counts message attributes (name, type and value) towards its limit too.
  const bytes = Buffer.byteLength(body, "utf8") + "taskId".length + "String".length + taskId.length;
  if (bytes > SQS_MAX_MESSAGE_BYTES) throw new MessageTooLargeError(bytes);
  try {
    await deps.sqs.send(
      new SendMessageCommand({
        QueueUrl: deps.queueUrl,
        MessageBody: body,
        MessageAttributes: { taskId: { DataType: "String", StringValue: taskId } },
      }),
    );
  } catch (error) {
    logger.error("email enqueue failed", { taskId, error: error as Error });
    throw new EnqueueFailedError("the email queue did not accept the message", { cause: error });
  }
  const task = newQueuedTask(taskId, ownerKeyId, now);
  try {
    await saveQueuedTask(deps.redis, task);
  } catch (error) {
    // Queued durably already; the worker will create the record. Not the caller's problem.
    logger.warn("queued task record not written; the worker will create it", {
      taskId,
      error: error as Error,
    });
  }
  return publicTask(task);
}

/**
 * The email worker's decision for one SQS record. Outcomes:
 *   done  → delete the message (sent, permanently failed, or nothing left to do);
 *   retry → report a batch item failure; the message comes back after `delaySeconds`
 *           (set through ChangeMessageVisibility: backoff without sleeping in the Lambda).
 * Every task transition that took effect is handed to `onTaskUpdated` in order (live pushes).
 */
import { randomUUID } from "node:crypto";
import type { SESv2Client } from "@aws-sdk/client-sesv2";
import type { SQSRecord } from "aws-lambda";
import { logger } from "#shared/logger.ts";
import type { RedisClient } from "#shared/redis/client.ts";
import { getTask, newQueuedTask, publicTask, type StoredTask, transitionTask } from "#shared/tasks/store.ts";
import type { Task, TaskTransition } from "#shared/tasks/task.ts";
import { fullJitterDelaySeconds } from "./backoff.ts";
import type { SesCircuitBreaker } from "./circuit-breaker.ts";
import { emailMessageSchema } from "./message.ts";
import { sendWithSes } from "./send.ts";
import { acquireSendLease, recordSent, releaseSendLease } from "./send-lease.ts";
import { classifySesError } from "./ses-errors.ts";

export type RecordOutcome =
  | { readonly kind: "done" }
  | { readonly kind: "retry"; readonly delaySeconds?: number };

export interface EmailWorkerDeps {
  readonly redis: RedisClient;
  readonly ses: SESv2Client;
  readonly breaker: SesCircuitBreaker;
  readonly from: string;
  readonly retryBaseSeconds: number;
  readonly retryMaxSeconds: number;
  /** The queue's maxReceiveCount: the delivery with this receive count is the last one. */
  readonly maxReceiveCount: number;
  /** How long a send lease lasts: at least as long as this invocation can still run. */
  readonly leaseMs: number;
  readonly onTaskUpdated: (task: Task) => Promise<void>;
  readonly now?: () => Date;
  readonly random?: () => number;
}

const RETRIES_EXHAUSTED = "retries_exhausted";

export async function processEmailRecord(deps: EmailWorkerDeps, record: SQSRecord): Promise<RecordOutcome> {
  const now = () => (deps.now ?? (() => new Date()))();
  let parsed: unknown;
  try {
    parsed = JSON.parse(record.body);
  } catch {
    parsed = undefined;
  }
  const result = emailMessageSchema.safeParse(parsed);
  if (!result.success) {
    // Poison: no task to report on. Leave it to the redrive policy so it lands in the DLQ intact.
    logger.error("unreadable email message; leaving it for the DLQ", { messageId: record.messageId });
    return { kind: "retry" };
  }
  const message = result.data;
  const { taskId } = message;
  logger.appendKeys({ taskId });
  const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? "1");
  const lastDelivery = receiveCount >= deps.maxReceiveCount;
  const seed = newQueuedTask(taskId, message.ownerKeyId, new Date(message.createdAt));

  const move = async (transition: TaskTransition): Promise<StoredTask | undefined> => {
    const outcome = await transitionTask(deps.redis, taskId, transition, {
      now: now(),
      createIfMissing: seed,
    });
    if (outcome?.applied) {
      logger.info("task transition", { status: outcome.task.status, attempt: outcome.task.attempts });
      await deps.onTaskUpdated(publicTask(outcome.task));
    }
    return outcome?.task;
  };

  const current = (await getTask(deps.redis, taskId)) ?? seed;
  if (current.status === "succeeded") return { kind: "done" };
  if (current.status === "failed" && current.error?.code !== RETRIES_EXHAUSTED) return { kind: "done" };
  const attempt = current.attempts + 1;

  const token = randomUUID();
  const lease = await acquireSendLease(deps.redis, taskId, token, now().getTime(), deps.leaseMs);
  if (lease.kind === "sent") {
    // SES accepted it before; a crash kept the task from saying so. Finish the record, never resend.
    await move({ status: "succeeded", attempt: Math.max(current.attempts, 1), messageId: lease.messageId });
    return { kind: "done" };
  }
  if (lease.kind === "busy") return { kind: "retry", delaySeconds: Math.ceil(lease.retryInMs / 1000) };
  if (lease.kind === "unknown") {
    logger.error("a worker stopped while SES was sending; not resending to avoid a duplicate");
    await move({
      status: "failed",
      attempt,
      error: {
        code: "delivery_unknown",
        message: "The worker stopped after handing the email to SES; it may have been delivered. Not resent.",
      },
    });
    return { kind: "done" };
  }

  /** The last allowed delivery: fail the task, then let the message go straight to the DLQ. */
  const giveUp = async (why: string): Promise<RecordOutcome> => {
    await move({ status: "failed", attempt, error: { code: RETRIES_EXHAUSTED, message: why } });
    return { kind: "retry", delaySeconds: 0 };
  };

  const gate = await deps.breaker.check(now().getTime(), deps.leaseMs);
  if (!gate.allow) {
    await releaseSendLease(deps.redis, taskId, token);
    if (lastDelivery) return giveUp("SES stayed throttled (circuit open) through every delivery.");
    logger.info("SES circuit open; handing the message back", { retryInMs: gate.retryInMs });
    const jitter = Math.round((deps.random ?? Math.random)() * 2);
    return { kind: "retry", delaySeconds: Math.ceil(gate.retryInMs / 1000) + jitter };
  }

  await move({ status: "processing", attempt });
  let messageId: string;
  try {
    messageId = await sendWithSes(deps.ses, deps.from, message);
  } catch (error) {
    const failure = classifySesError(error);
    await releaseSendLease(deps.redis, taskId, token);
    if (failure.throttled) {
      const state = await deps.breaker.recordThrottle(now().getTime());
      if (state === "open") logger.warn("SES circuit breaker is open", { probe: gate.probe });
    }
    const taskError = { code: failure.code, message: failure.message };
    logger.warn("SES send failed", {
      errorCode: failure.code,
      errorMessage: failure.message,
      kind: failure.kind,
      attempt,
      receiveCount,
    });
    if (failure.kind === "permanent") {
      await move({ status: "failed", attempt, error: taskError });
      return { kind: "done" };
    }
    if (lastDelivery) return giveUp(`Gave up after ${attempt} attempts; last error: ${failure.code}.`);
    const delaySeconds = fullJitterDelaySeconds(
      attempt,
      deps.retryBaseSeconds,
      deps.retryMaxSeconds,
      deps.random,
    );
    await move({
      status: "retrying",
      attempt,
      error: taskError,
      nextAttemptAt: new Date(now().getTime() + delaySeconds * 1000).toISOString(),
    });
    return { kind: "retry", delaySeconds };
  }
  await recordSent(deps.redis, taskId, token, messageId);
  if (gate.probe) logger.info("SES probe succeeded; circuit closed");
  await deps.breaker.recordSuccess(gate.probe);
  await move({ status: "succeeded", attempt, messageId });
  return { kind: "done" };
}

/**
 * The email worker's decision for one SQS record. Outcomes:
 *   done    → delete the message (sent, permanently failed, or nothing left to do);
 *   retry   → report a batch item failure; the message comes back after `delaySeconds`
 *             (set through ChangeMessageVisibility: backoff without sleeping in the Lambda);
 *   requeue → send a copy with `delaySeconds` and delete this one. Used while the SES circuit is
 *             open: waiting for the breaker must not use up the message's receives (which would
 *             send a backlog to the DLQ without a single SES attempt).
 * Every task transition that took effect is handed to `onTaskUpdated` in order (live pushes).
 * Log through the record's own logger (`log`): records of a batch run concurrently, so keys put
 * on the container's logger would name another record's task.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "@aws-lambda-powertools/logger";
import type { SESv2Client } from "@aws-sdk/client-sesv2";
import type { SQSRecord } from "aws-lambda";
import { logger } from "#shared/logger.ts";
import type { RedisClient } from "#shared/redis/client.ts";
import { newQueuedTask, publicTask, type StoredTask, transitionTask } from "#shared/tasks/store.ts";
import type { Task, TaskTransition } from "#shared/tasks/task.ts";
import { finishSent, startAttempt } from "./attempt-scripts.ts";
import { fullJitterDelaySeconds } from "./backoff.ts";
import type { SesCircuitBreaker } from "./circuit-breaker.ts";
import { type EmailMessage, emailMessageSchema } from "./message.ts";
import { sendWithSes } from "./send.ts";
import { beginSend, releaseSendLease } from "./send-lease.ts";
import { classifySesError } from "./ses-errors.ts";

export type RecordOutcome =
  | { readonly kind: "done" }
  | { readonly kind: "retry"; readonly delaySeconds?: number }
  | { readonly kind: "requeue"; readonly delaySeconds: number };

export interface EmailWorkerDeps {
  readonly redis: RedisClient;
  readonly ses: SESv2Client;
  readonly breaker: SesCircuitBreaker;
  readonly from: string;
  /** SES configuration set to send with (SES_CONFIGURATION_SET), if any. */
  readonly configurationSet?: string | undefined;
  readonly retryBaseSeconds: number;
  readonly retryMaxSeconds: number;
  /** The queue's maxReceiveCount: the delivery with this receive count is the last one. */
  readonly maxReceiveCount: number;
  /** How long a send lease lasts: at least as long as this invocation can still run. */
  readonly leaseMs: number;
  /** An email still waiting on an open circuit this long after it was accepted is given up. */
  readonly maxAgeSeconds: number;
  /**
   * `log` is the record's logger, for the push's own lines; `subscribers` the task's subscribers
   * when the transition's own script listed them (the push then needs no lookup of its own).
   */
  readonly onTaskUpdated: (task: Task, log: Logger, subscribers?: readonly string[]) => Promise<void>;
  readonly now?: () => Date;
  readonly random?: () => number;
}

const RETRIES_EXHAUSTED = "retries_exhausted";

/** Settling a lease is idempotent (token-checked), so one quick retry is safe and worth it. */
async function twice<T>(log: Logger, what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    log.warn(`${what} failed once; retrying`, error as Error);
    return run();
  }
}

function parseMessage(record: SQSRecord): EmailMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(record.body);
  } catch {
    return undefined;
  }
  const result = emailMessageSchema.safeParse(parsed);
  return result.success ? result.data : undefined;
}

export async function processEmailRecord(
  deps: EmailWorkerDeps,
  record: SQSRecord,
  log: Logger = logger.createChild(),
): Promise<RecordOutcome> {
  const now = () => (deps.now ?? (() => new Date()))();
  const message = parseMessage(record);
  if (!message) {
    // Poison: no task to report on. Leave it to the redrive policy so it lands in the DLQ intact.
    log.error("unreadable email message; leaving it for the DLQ", { messageId: record.messageId });
    return { kind: "retry" };
  }
  const { taskId } = message;
  log.appendKeys({ taskId });
  const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? "1");
  const lastDelivery = receiveCount >= deps.maxReceiveCount;
  const seed = newQueuedTask(taskId, message.ownerKeyId, new Date(message.createdAt));

  /** Logs and pushes a transition that took effect; `subscribers` when a fused script listed them. */
  const announce = async (task: StoredTask, subscribers?: readonly string[]) => {
    log.info("task transition", { status: task.status, attempt: task.attempts });
    await deps.onTaskUpdated(publicTask(task), log, subscribers);
  };

  const move = async (transition: TaskTransition, at = now()): Promise<StoredTask | undefined> => {
    const outcome = await transitionTask(deps.redis, taskId, transition, {
      now: at,
      createIfMissing: seed,
    });
    if (outcome?.applied) await announce(outcome.task);
    return outcome?.task;
  };

  // One round trip: the task's state, the send lease, the breaker and the `processing` transition.
  const token = randomUUID();
  const start = await startAttempt(deps.redis, {
    taskId,
    seed,
    token,
    now: now(),
    leaseMs: deps.leaseMs,
    breaker: deps.breaker,
  });
  if (start.kind === "finished") return { kind: "done" };
  const attempt = start.kind === "go" ? start.attempt : start.attempts + 1;

  /** Fail the task as exhausted; `toDlq` lets the message go straight to the DLQ for a redrive. */
  const giveUp = async (why: string, toDlq = true): Promise<RecordOutcome> => {
    await move({ status: "failed", attempt, error: { code: RETRIES_EXHAUSTED, message: why } });
    return toDlq ? { kind: "retry", delaySeconds: 0 } : { kind: "done" };
  };

  if (start.kind === "sent") {
    // SES accepted it before; a crash kept the task from saying so. Finish the record, never resend.
    await move({ status: "succeeded", attempt: Math.max(start.attempts, 1), messageId: start.messageId });
    return { kind: "done" };
  }
  if (start.kind === "busy") return { kind: "retry", delaySeconds: Math.ceil(start.retryInMs / 1000) };
  if (start.kind === "unknown") {
    log.error("a worker stopped during the SES call; not resending to avoid a duplicate");
    await move({
      status: "failed",
      attempt,
      error: {
        code: "delivery_unknown",
        message: "The worker stopped while handing the email to SES; it may have been delivered. Not resent.",
      },
    });
    return { kind: "done" };
  }
  if (start.kind === "denied") {
    // The script gave the claim back already.
    const ageSeconds = (now().getTime() - Date.parse(message.createdAt)) / 1000;
    if (ageSeconds > deps.maxAgeSeconds) {
      return giveUp(`SES stayed throttled (circuit open) for over ${deps.maxAgeSeconds} s.`, false);
    }
    log.info("SES circuit open; requeueing the message for later", { retryInMs: start.retryInMs });
    const jitter = Math.round((deps.random ?? Math.random)() * 2);
    return { kind: "requeue", delaySeconds: Math.ceil(start.retryInMs / 1000) + jitter };
  }
  const gate = { probe: start.probe };
  if (start.applied) await announce(start.task, start.subscribers);
  // Everything before this point is safe to lose in a crash; from here on SES may be called.
  if (!(await beginSend(deps.redis, taskId, token, now().getTime(), deps.leaseMs))) {
    log.warn("the send lease expired before SES was called; another delivery took over");
    if (gate.probe) await deps.breaker.endProbe();
    return { kind: "retry", delaySeconds: 1 };
  }
  const sent = await sendWithSes(
    deps.ses,
    { from: deps.from, configurationSet: deps.configurationSet },
    message,
  );
  if (!sent.ok) {
    const failure = classifySesError(sent.error, sent.request);
    const fields = {
      errorCode: failure.code,
      sesErrorCode: failure.sesCode,
      errorMessage: failure.sesMessage,
      kind: failure.kind,
      attempt,
      receiveCount,
    };
    if (failure.kind === "maybeAccepted") {
      // The lease stays "sending": every later delivery of this task finds it and never resends.
      if (gate.probe) await (failure.answered ? deps.breaker.recordSuccess(true) : deps.breaker.endProbe());
      log.error("SES may have accepted the email but did not answer; not resending", fields);
      await move({ status: "failed", attempt, error: { code: failure.code, message: failure.message } });
      return { kind: "done" };
    }
    await twice(log, "releasing the send lease", () => releaseSendLease(deps.redis, taskId, token));
    if (failure.throttled) {
      const state = await deps.breaker.recordThrottle(now().getTime());
      if (state === "open") log.warn("SES circuit breaker is open", { probe: gate.probe });
    } else if (gate.probe) {
      // SES answered (not a throttle): it is reachable again. No answer: let another caller probe.
      if (failure.answered) await deps.breaker.recordSuccess(true);
      else await deps.breaker.endProbe();
    }
    const taskError = { code: failure.code, message: failure.message };
    // An operator problem (AccessDenied) is logged at error level with a stable errorCode, for a
    // metric filter or the function's alarm; SES's own message (account id, role) stays in the log.
    if (failure.operatorProblem) log.error("SES refused the send: the deployment must be fixed", fields);
    else log.warn("SES send failed", fields);
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
    // One instant for both, so nextAttemptAt is never before the transition's updatedAt.
    const at = now();
    await move(
      {
        status: "retrying",
        attempt,
        error: taskError,
        nextAttemptAt: new Date(at.getTime() + delaySeconds * 1000).toISOString(),
      },
      at,
    );
    return { kind: "retry", delaySeconds };
  }
  const messageId = sent.value;
  const finish = () =>
    finishSent(deps.redis, {
      taskId,
      seed,
      token,
      attempt,
      messageId,
      now: now(),
      probe: gate.probe,
      breaker: deps.breaker,
    });
  if (gate.probe) log.info("SES probe succeeded; circuit closed");
  let finished: Awaited<ReturnType<typeof finishSent>>;
  try {
    // One round trip: record the send, close the breaker after a probe, apply `succeeded`.
    finished = await twice(log, "recording the send", finish);
  } catch (error) {
    // The email is out; still try to say so on the task. If that fails too, a redelivery sees an
    // expired send without outcome and reports `delivery_unknown` — it never resends.
    log.error("SES accepted the email but the send could not be recorded", error as Error);
    await deps.breaker.recordSuccess(gate.probe);
    await move({ status: "succeeded", attempt, messageId });
    return { kind: "done" };
  }
  if (finished.applied && finished.task) await announce(finished.task, finished.subscribers);
  return { kind: "done" };
}

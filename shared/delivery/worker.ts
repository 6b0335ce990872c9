/**
 * The events worker's work on one SQS record (one SES event in its EventBridge envelope):
 * parse it, apply it (apply.ts: delivery records, counting, suppression in one script), push
 * the task to its subscribers when a record changed, and, when the event counted a bounce or a
 * complaint, read the account's rates: they are reported (`onRates`, a metric) and, with the
 * pause on, a rate at its limit opens the SES circuit breaker with reason `reputation`.
 * A record that is not an SES event is left for the DLQ (retry until maxReceiveCount); an event
 * type Ferry does not follow is acknowledged. Every step is idempotent, so a redelivery after a
 * failure anywhere is safe.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { SQSBatchResponse, SQSRecord } from "aws-lambda";
import type { SesCircuitBreaker } from "#shared/email/circuit-breaker.ts";
import { runPartialBatch } from "#shared/queues/partial-batch.ts";
import type { RedisClient } from "#shared/redis/client.ts";
import { publicTask } from "#shared/tasks/store.ts";
import type { Task } from "#shared/tasks/task.ts";
import { applyDeliveryUpdate, type DeliveryOutcome } from "./apply.ts";
import {
  type ReputationLimits,
  type ReputationRates,
  readReputation,
  reputationProblem,
} from "./reputation.ts";
import { type DeliveryUpdate, parseSesEvent } from "./ses-event.ts";

export interface DeliveryWorkerDeps {
  readonly redis: RedisClient;
  readonly breaker: SesCircuitBreaker;
  readonly reputation: ReputationLimits & {
    readonly windowSeconds: number;
    /** REPUTATION_PAUSE: open the breaker when a limit is reached. */
    readonly pause: boolean;
    readonly pauseSeconds: number;
  };
  readonly onTaskUpdated: (task: Task, log: Logger) => Promise<void>;
  /** What an applied event changed and counted (metrics). */
  readonly onApplied?: (update: DeliveryUpdate, outcome: DeliveryOutcome) => void;
  readonly onRates?: (rates: ReputationRates) => void;
  readonly onPaused?: (why: string) => void;
  readonly now?: () => Date;
  /** Parent of the per-record loggers (tests capture it). */
  readonly logger?: Logger;
}

export type DeliveryRecordOutcome = "done" | "retry";

export async function processDeliveryRecord(
  deps: DeliveryWorkerDeps,
  record: SQSRecord,
  log: Logger,
): Promise<DeliveryRecordOutcome> {
  const parsed = parseSesEvent(record.body);
  if (parsed.kind === "invalid") {
    log.error("not an SES event; leaving it for the DLQ", { problem: parsed.problem });
    return "retry";
  }
  if (parsed.kind === "ignored") {
    log.info("SES event type not followed; acknowledged", { eventType: parsed.eventType });
    return "done";
  }
  const { update } = parsed;
  log.appendKeys({ sesMessageId: update.messageId, ...(update.taskId ? { taskId: update.taskId } : {}) });
  const now = (deps.now ?? (() => new Date()))();
  const outcome = await applyDeliveryUpdate(deps.redis, update, {
    now,
    windowSeconds: deps.reputation.windowSeconds,
  });
  deps.onApplied?.(update, outcome);
  if (outcome.suppressed.length > 0)
    log.info("suppressed", { addresses: outcome.suppressed, eventType: update.eventType });
  if (outcome.changed && outcome.task) {
    log.info("delivery updated", { eventType: update.eventType, version: outcome.task.version });
    await deps.onTaskUpdated(publicTask(outcome.task), log);
  }
  if (outcome.counted.bounced + outcome.counted.complained > 0) {
    const rates = await readReputation(deps.redis, deps.reputation, now.getTime());
    deps.onRates?.(rates);
    const problem = reputationProblem(rates, deps.reputation);
    if (problem) {
      log.warn("account reputation at risk", { problem, ...rates, pause: deps.reputation.pause });
      if (deps.reputation.pause) {
        const opened = await deps.breaker.openForReputation(
          now.getTime(),
          deps.reputation.pauseSeconds * 1000,
          problem,
        );
        if (opened) {
          log.error("sending paused: SES circuit opened for reputation", {
            errorCode: "reputation_paused",
            problem,
          });
          deps.onPaused?.(problem);
        }
      }
    }
  }
  return "done";
}

export function processDeliveryBatch(
  deps: DeliveryWorkerDeps,
  records: readonly SQSRecord[],
): Promise<SQSBatchResponse> {
  return runPartialBatch<DeliveryRecordOutcome>(
    records,
    {
      process: (record, log) => processDeliveryRecord(deps, record, log),
      onError: (_record, error, log) => {
        log.error("SES event failed; it will be redelivered", error as Error);
        return "retry";
      },
      settle: async (_record, outcome) => outcome === "retry",
    },
    { byMessageGroup: true, ...(deps.logger ? { logger: deps.logger } : {}) },
  );
}

/**
 * Runs the payment worker over a batch from the payments FIFO queue.
 *
 * Records of one message group (one payment) are processed one after the other, in batch order;
 * different groups run in parallel. A failed record does NOT stop the rest of its group: the
 * payment script gives the same result in any order, so there is no ordering to protect, while
 * failing the healthy later events with it would make them share its receive count and follow a
 * poison message into the DLQ. (This deliberately departs from AWS's generic FIFO advice and from
 * Powertools' `skipGroupOnError`, which assume order-dependent processing.)
 *
 * Failed records whose outcome says it is safe come back early through ChangeMessageVisibility.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import { ChangeMessageVisibilityCommand } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSRecord } from "aws-lambda";
import { runPartialBatch } from "#shared/queues/partial-batch.ts";
import { type PaymentRecordOutcome, type PaymentWorkerDeps, processPaymentRecord } from "./worker.ts";

export interface PaymentBatchDeps extends PaymentWorkerDeps {
  /** The payments queue, for ChangeMessageVisibility (sent with `sqs`). */
  readonly paymentsQueueUrl: string;
  /** Parent of the per-record loggers (tests capture it); the container's logger by default. */
  readonly logger?: Logger;
}

async function redeliverAfter(deps: PaymentBatchDeps, record: SQSRecord, seconds: number, log: Logger) {
  try {
    await deps.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: deps.paymentsQueueUrl,
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: Math.max(0, Math.round(seconds)),
      }),
    );
  } catch (error) {
    // The message still comes back, after the queue's own (longer) visibility timeout.
    log.warn("could not shorten the redelivery delay", { error: error as Error });
  }
}

export function processPaymentBatch(
  deps: PaymentBatchDeps,
  records: readonly SQSRecord[],
): Promise<SQSBatchResponse> {
  return runPartialBatch<PaymentRecordOutcome>(
    records,
    {
      process: (record, log) => processPaymentRecord(deps, record, log),
      onError: (_record, error, log) => {
        log.error("payment record failed unexpectedly; it will be redelivered", { error: error as Error });
        return { kind: "retry", reason: "apply_failed" };
      },
      settle: async (record, outcome, log) => {
        if (outcome.kind === "done") return false;
        if (outcome.redeliverAfterSeconds !== undefined)
          await redeliverAfter(deps, record, outcome.redeliverAfterSeconds, log);
        return true;
      },
    },
    { byMessageGroup: true, ...(deps.logger ? { logger: deps.logger } : {}) },
  );
}

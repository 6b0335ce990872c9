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
import { ChangeMessageVisibilityCommand } from "@aws-sdk/client-sqs";
import type { SQSBatchItemFailure, SQSBatchResponse, SQSRecord } from "aws-lambda";
import { logger } from "#shared/logger.ts";
import { type PaymentRecordOutcome, type PaymentWorkerDeps, processPaymentRecord } from "./worker.ts";

export interface PaymentBatchDeps extends PaymentWorkerDeps {
  /** The payments queue, for ChangeMessageVisibility (sent with `sqs`). */
  readonly paymentsQueueUrl: string;
}

interface Failure {
  readonly record: SQSRecord;
  readonly redeliverAfterSeconds: number | undefined;
}

/** The records of each message group, in batch order. Records without a group stand alone. */
export function groupRecords(records: readonly SQSRecord[]): SQSRecord[][] {
  const groups = new Map<string, SQSRecord[]>();
  for (const record of records) {
    const group = record.attributes.MessageGroupId ?? `message:${record.messageId}`;
    const list = groups.get(group);
    if (list) list.push(record);
    else groups.set(group, [record]);
  }
  return [...groups.values()];
}

async function processGroup(deps: PaymentBatchDeps, records: readonly SQSRecord[]): Promise<Failure[]> {
  const failures: Failure[] = [];
  for (const record of records) {
    let outcome: PaymentRecordOutcome;
    try {
      outcome = await processPaymentRecord(deps, record);
    } catch (error) {
      logger.error("payment record failed unexpectedly; it will be redelivered", {
        messageId: record.messageId,
        error: error as Error,
      });
      outcome = { kind: "retry", reason: "apply_failed" };
    }
    if (outcome.kind === "done") continue;
    failures.push({ record, redeliverAfterSeconds: outcome.redeliverAfterSeconds });
  }
  return failures;
}

export async function processPaymentBatch(
  deps: PaymentBatchDeps,
  records: readonly SQSRecord[],
): Promise<SQSBatchResponse> {
  const perGroup = await Promise.all(groupRecords(records).map((group) => processGroup(deps, group)));
  const failures = perGroup.flat();
  await Promise.all(
    failures.map(async ({ record, redeliverAfterSeconds }) => {
      if (redeliverAfterSeconds === undefined) return;
      try {
        await deps.sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: deps.paymentsQueueUrl,
            ReceiptHandle: record.receiptHandle,
            VisibilityTimeout: Math.max(0, Math.round(redeliverAfterSeconds)),
          }),
        );
      } catch (error) {
        // The message still comes back, after the queue's own (longer) visibility timeout.
        logger.warn("could not shorten the redelivery delay", {
          messageId: record.messageId,
          error: error as Error,
        });
      }
    }),
  );
  // Batch order, as Lambda reads the list (it only needs the ids).
  const failed = new Set(failures.map((f) => f.record.messageId));
  const batchItemFailures: SQSBatchItemFailure[] = records
    .filter((r) => failed.has(r.messageId))
    .map((r) => ({ itemIdentifier: r.messageId }));
  return { batchItemFailures };
}

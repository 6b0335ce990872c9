/**
 * Runs the payment worker over a batch from the payments FIFO queue.
 *
 * FIFO rules (AWS, "partial batch responses" for FIFO event sources): records of one message
 * group (one payment) are processed in order, one after the other; once one fails, every later
 * record of that group in the batch is reported as failed too, without being processed, so the
 * group is redelivered in its original order. Different groups are independent and run in
 * parallel. (Powertools' SqsFifoPartialProcessor with `skipGroupOnError` has the same rule; it is
 * written here because the outcome per record also decides each message's redelivery delay.)
 *
 * Failed records whose outcome says it is safe come back early through ChangeMessageVisibility;
 * the skipped records of a group follow their group's failure, so the group unblocks as a whole.
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
  for (const [i, record] of records.entries()) {
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
    const delay = outcome.redeliverAfterSeconds;
    failures.push({ record, redeliverAfterSeconds: delay });
    const skipped = records.slice(i + 1);
    if (skipped.length > 0) {
      logger.info("skipping the rest of the message group after a failure", {
        messageGroupId: record.attributes.MessageGroupId,
        skipped: skipped.length,
      });
    }
    // Never processed, so no claim is at stake: they may come back with the record that failed.
    for (const later of skipped) failures.push({ record: later, redeliverAfterSeconds: delay });
    break;
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

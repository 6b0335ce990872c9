/**
 * Runs the email worker over an SQS batch: records in parallel (each is independent; SES calls
 * are gated by the shared circuit breaker), then applies each retry's backoff by changing the
 * message's visibility, and reports retries as batch item failures. An unexpected error on one
 * record fails only that record.
 */
import { ChangeMessageVisibilityCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSRecord } from "aws-lambda";
import { logger } from "#shared/logger.ts";
import { type EmailWorkerDeps, processEmailRecord, type RecordOutcome } from "./worker.ts";

/** SQS's ceiling for a visibility timeout (12 h). */
const MAX_VISIBILITY_SECONDS = 43_200;

export async function processEmailBatch(
  deps: EmailWorkerDeps & { readonly sqs: SQSClient; readonly queueUrl: string },
  records: readonly SQSRecord[],
): Promise<SQSBatchResponse> {
  const outcomes = await Promise.all(
    records.map(async (record): Promise<RecordOutcome> => {
      try {
        return await processEmailRecord(deps, record);
      } catch (error) {
        logger.error("email record failed unexpectedly; it will be redelivered", error as Error);
        return { kind: "retry" };
      }
    }),
  );
  const failures: SQSBatchResponse["batchItemFailures"] = [];
  await Promise.all(
    records.map(async (record, i) => {
      const outcome = outcomes[i];
      if (outcome?.kind !== "retry") return;
      failures.push({ itemIdentifier: record.messageId });
      if (outcome.delaySeconds === undefined) return;
      try {
        await deps.sqs.send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: deps.queueUrl,
            ReceiptHandle: record.receiptHandle,
            VisibilityTimeout: Math.min(
              Math.max(0, Math.round(outcome.delaySeconds)),
              MAX_VISIBILITY_SECONDS,
            ),
          }),
        );
      } catch (error) {
        // The message still comes back, after the queue's own visibility timeout instead.
        logger.warn("could not set the retry delay", { messageId: record.messageId, error: error as Error });
      }
    }),
  );
  return { batchItemFailures: failures };
}

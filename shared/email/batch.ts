/**
 * Runs the email worker over an SQS batch: records in parallel (each is independent; SES calls
 * are gated by the shared circuit breaker), then carries out each outcome:
 *   retry   → a batch item failure, its backoff applied by changing the message's visibility;
 *   requeue → a delayed copy is sent and this message is acknowledged (deleted by the event
 *             source mapping). If the copy cannot be sent, it falls back to a plain retry. A
 *             crash between the two leaves two messages for one task: the send lease still lets
 *             only one of them call SES.
 * An unexpected error on one record fails only that record (shared/queues/partial-batch.ts).
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSRecord } from "aws-lambda";
import { runPartialBatch } from "#shared/queues/partial-batch.ts";
import { type EmailWorkerDeps, processEmailRecord, type RecordOutcome } from "./worker.ts";

/** SQS's ceiling for a visibility timeout (12 h). */
const MAX_VISIBILITY_SECONDS = 43_200;
/** SQS's ceiling for a message delay (15 min). */
const MAX_DELAY_SECONDS = 900;

type BatchDeps = EmailWorkerDeps & {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** Parent of the per-record loggers (tests capture it); the container's logger by default. */
  readonly logger?: Logger;
};

const clamp = (seconds: number, max: number) => Math.min(Math.max(0, Math.round(seconds)), max);

async function requeue(
  deps: BatchDeps,
  record: SQSRecord,
  delaySeconds: number,
  log: Logger,
): Promise<boolean> {
  try {
    await deps.sqs.send(
      new SendMessageCommand({
        QueueUrl: deps.queueUrl,
        MessageBody: record.body,
        DelaySeconds: clamp(delaySeconds, MAX_DELAY_SECONDS),
        MessageAttributes: Object.fromEntries(
          Object.entries(record.messageAttributes).flatMap(([name, a]) =>
            a.stringValue !== undefined ? [[name, { DataType: a.dataType, StringValue: a.stringValue }]] : [],
          ),
        ),
      }),
    );
    return true;
  } catch (error) {
    log.warn("could not requeue; retrying the message instead", { error: error as Error });
    return false;
  }
}

async function delay(deps: BatchDeps, record: SQSRecord, delaySeconds: number, log: Logger): Promise<void> {
  try {
    await deps.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: deps.queueUrl,
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: clamp(delaySeconds, MAX_VISIBILITY_SECONDS),
      }),
    );
  } catch (error) {
    // The message still comes back, after the queue's own visibility timeout instead.
    log.warn("could not set the retry delay", { error: error as Error });
  }
}

export function processEmailBatch(deps: BatchDeps, records: readonly SQSRecord[]): Promise<SQSBatchResponse> {
  return runPartialBatch<RecordOutcome>(
    records,
    {
      process: (record, log) => processEmailRecord(deps, record, log),
      onError: (_record, error, log) => {
        log.error("email record failed unexpectedly; it will be redelivered", error as Error);
        return { kind: "retry" };
      },
      settle: async (record, outcome, log) => {
        if (outcome.kind === "done") return false;
        if (outcome.kind === "requeue" && (await requeue(deps, record, outcome.delaySeconds, log)))
          return false;
        if (outcome.delaySeconds !== undefined) await delay(deps, record, outcome.delaySeconds, log);
        return true;
      },
    },
    deps.logger ? { logger: deps.logger } : {},
  );
}

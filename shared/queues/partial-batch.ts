/**
 * The one partial-batch SQS runner behind every queue worker: each record is processed, its
 * outcome carried out (settled), and the records that must come back are reported as
 * `batchItemFailures`, so one bad record never fails the others (the event source mapping has
 * `reportBatchItemFailures`). Standard queues run every record in parallel; FIFO queues run the
 * records of one message group one after the other, in batch order, and groups in parallel.
 *
 * Each record gets its own child logger (Powertools `createChild`: the invocation's keys plus
 * `messageId`), handed to the record's code to append its own ids to. Records run concurrently,
 * so keys appended to the shared logger would name whichever record wrote them last.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { SQSBatchItemFailure, SQSBatchResponse, SQSRecord } from "aws-lambda";
import { logger as containerLogger } from "#shared/logger.ts";

export interface RecordHandler<O> {
  /** Works one record; log through `log`, which names this record. */
  readonly process: (record: SQSRecord, log: Logger) => Promise<O>;
  /** The outcome of a record whose `process` threw unexpectedly. */
  readonly onError: (record: SQSRecord, error: unknown, log: Logger) => O;
  /** Carries out an outcome; true when the record must be reported as a batch item failure. */
  readonly settle: (record: SQSRecord, outcome: O, log: Logger) => Promise<boolean>;
}

export interface PartialBatchOptions {
  /** FIFO: one message group's records in order, one at a time. */
  readonly byMessageGroup?: boolean;
  /** Parent of the per-record loggers; the container's logger by default. */
  readonly logger?: Logger;
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

export async function runPartialBatch<O>(
  records: readonly SQSRecord[],
  handler: RecordHandler<O>,
  options: PartialBatchOptions = {},
): Promise<SQSBatchResponse> {
  const parent = options.logger ?? containerLogger;
  const runOne = async (record: SQSRecord): Promise<boolean> => {
    const log = parent.createChild();
    log.appendKeys({ messageId: record.messageId });
    let outcome: O;
    try {
      outcome = await handler.process(record, log);
    } catch (error) {
      outcome = handler.onError(record, error, log);
    }
    try {
      return await handler.settle(record, outcome, log);
    } catch (error) {
      log.error("settling the record failed; it will be redelivered", error as Error);
      return true;
    }
  };
  const lanes = options.byMessageGroup ? groupRecords(records) : records.map((r) => [r]);
  const failed = new Set<string>();
  await Promise.all(
    lanes.map(async (lane) => {
      for (const record of lane) if (await runOne(record)) failed.add(record.messageId);
    }),
  );
  // Batch order, as Lambda reads the list (it only needs the ids).
  const batchItemFailures: SQSBatchItemFailure[] = records
    .filter((r) => failed.has(r.messageId))
    .map((r) => ({ itemIdentifier: r.messageId }));
  return { batchItemFailures };
}

/**
 * Plays the Lambda SQS event source mapping for one queue: long-polls, gathers a batch (up to
 * batchSize, within the batching window on standard queues), invokes the worker with an SQSEvent
 * shaped exactly as Lambda builds it, then deletes what succeeded:
 *   - `{ batchItemFailures }` → every other message is deleted; the failures stay in flight and
 *     come back after their visibility timeout (which the worker may have changed);
 *   - a malformed `batchItemFailures` (unknown or empty id), a thrown error or a timeout → the
 *     whole batch failed, nothing is deleted (as Lambda does);
 *   - moving a message to the DLQ after maxReceiveCount is the queue's job (its redrive policy).
 * Up to the queue's maxConcurrency batches are in flight at once (the mapping's
 * ScalingConfig.MaximumConcurrency, the same manifest field the stack writes; default
 * DEFAULT_MAX_CONCURRENCY), each in a sandbox of its own (function-host.ts). Batches are gathered
 * one after another, and a new one only once a slot is free, so no message sits received (its
 * visibility timeout running) while no worker has it. FIFO group order holds as on AWS: SQS
 * hands out no message of a group while an earlier one of that group is in flight. SQS errors
 * are logged and retried after a pause; they never end the loop.
 */
import {
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type {
  SQSBatchResponse,
  SQSEvent,
  SQSMessageAttribute,
  SQSRecord,
  SQSRecordAttributes,
} from "aws-lambda";
import { DEFAULT_MAX_CONCURRENCY } from "#shared/app/types.ts";
import type { LocalLog } from "../functions/lambda-context.ts";
import type { InvokeFunction } from "../functions/load-handler.ts";

export interface PolledQueue {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  readonly fifo: boolean;
  readonly batchSize: number;
  /** Ignored for FIFO queues (AWS allows no batching window on them). */
  readonly maxBatchingWindowSeconds: number;
  /** The manifest function invoked with each batch. */
  readonly worker: string;
  /** Most batches in flight at once (the mapping's maximum concurrency); default DEFAULT_MAX_CONCURRENCY. */
  readonly maxConcurrency?: number | undefined;
}

export interface QueuePollerOptions {
  readonly queue: PolledQueue;
  readonly sqs: SQSClient;
  readonly region: string;
  readonly invoke: InvokeFunction;
  readonly log: LocalLog;
  /** Long-poll wait per ReceiveMessage; short, so stop() is prompt. */
  readonly waitTimeSeconds?: number;
  /** Pause after an SQS error before trying again. */
  readonly retryPauseMs?: number;
}

export interface QueuePoller {
  /** Stops polling and waits for the batches in flight to finish (and their deletes). */
  stop(): Promise<void>;
}

/** SQS allows at most 10 messages per ReceiveMessage and per DeleteMessageBatch. */
const SQS_MAX_MESSAGES = 10;

const RECORD_ATTRIBUTES = [
  "ApproximateReceiveCount",
  "SentTimestamp",
  "SenderId",
  "ApproximateFirstReceiveTimestamp",
  "SequenceNumber",
  "MessageGroupId",
  "MessageDeduplicationId",
  "AWSTraceHeader",
  "DeadLetterQueueSourceArn",
] as const;

function recordAttributes(message: Message): SQSRecordAttributes {
  const source: Partial<Record<string, string>> = message.Attributes ?? {};
  const picked: Record<string, string> = {};
  for (const name of RECORD_ATTRIBUTES) {
    const value = source[name];
    if (value !== undefined) picked[name] = value;
  }
  return picked as unknown as SQSRecordAttributes;
}

/** Lambda's camel-cased attribute shape, with the (always empty) list fields it includes. */
function recordMessageAttribute(value: MessageAttributeValue): SQSMessageAttribute {
  return {
    ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
    ...(value.BinaryValue !== undefined
      ? { binaryValue: Buffer.from(value.BinaryValue).toString("base64") }
      : {}),
    stringListValues: value.StringListValues ?? [],
    binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString("base64")),
    dataType: value.DataType ?? "String",
  };
}

export function toSqsRecord(message: Message, queue: Pick<PolledQueue, "arn">, region: string): SQSRecord {
  const messageAttributes = Object.fromEntries(
    Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
      name,
      recordMessageAttribute(value),
    ]),
  );
  return {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body: message.Body ?? "",
    attributes: recordAttributes(message),
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? "",
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: "aws:sqs",
    eventSourceARN: queue.arn,
    awsRegion: region,
  };
}

/**
 * The ids the worker reported as failed, or "all" when the batch failed as a whole. Like
 * Lambda, a response naming an id that is empty or not in the batch fails the whole batch.
 */
export function failedMessageIds(
  result: unknown,
  batchIds: ReadonlySet<string>,
): ReadonlySet<string> | "all" {
  if (typeof result !== "object" || result === null) return new Set();
  const failures = (result as Partial<SQSBatchResponse>).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return "all";
  const ids = new Set<string>();
  for (const failure of failures as unknown[]) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== "string" || !batchIds.has(id)) return "all";
    ids.add(id);
  }
  return ids;
}

export function startQueuePoller(options: QueuePollerOptions): QueuePoller {
  const { queue, sqs, log } = options;
  const waitTimeSeconds = options.waitTimeSeconds ?? 1;
  const retryPauseMs = options.retryPauseMs ?? 1000;
  const maxBatch = queue.fifo ? Math.min(queue.batchSize, SQS_MAX_MESSAGES) : queue.batchSize;
  const windowMs = queue.fifo ? 0 : queue.maxBatchingWindowSeconds * 1000;
  const maxConcurrency = queue.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY;
  const inFlight = new Set<Promise<void>>();
  let stopping = false;
  let wakeUp: (() => void) | undefined;

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  async function receive(max: number, waitSeconds: number): Promise<Message[]> {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.url,
        MaxNumberOfMessages: Math.min(max, SQS_MAX_MESSAGES),
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      }),
    );
    return out.Messages ?? [];
  }

  /** First receive long-polls; on standard queues more are gathered until full or the window ends. */
  async function collectBatch(): Promise<Message[]> {
    const batch = await receive(maxBatch, waitTimeSeconds);
    if (batch.length === 0 || windowMs === 0) return batch;
    const windowEnds = Date.now() + windowMs;
    while (!stopping && batch.length < maxBatch) {
      const left = windowEnds - Date.now();
      if (left <= 0) break;
      let more: Message[];
      try {
        more = await receive(maxBatch - batch.length, Math.min(waitTimeSeconds, Math.floor(left / 1000)));
      } catch (error) {
        // What is already received must still be invoked: dropping it would leave it invisible
        // until its visibility timeout, one receive closer to the DLQ without being processed.
        log.error(
          `[${queue.name}] SQS receive failed in the batching window; invoking the ${batch.length} received`,
          error,
        );
        break;
      }
      if (more.length === 0 && left < 1000) await pause(Math.min(left, 100));
      batch.push(...more);
    }
    return batch;
  }

  async function deleteMessages(messages: readonly Message[]): Promise<void> {
    for (let i = 0; i < messages.length; i += SQS_MAX_MESSAGES) {
      const chunk = messages.slice(i, i + SQS_MAX_MESSAGES);
      const out = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queue.url,
          Entries: chunk.map((m, n) => ({ Id: String(n), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      for (const failed of out.Failed ?? []) {
        log.error(
          `[${queue.name}] could not delete a message (it will be delivered again): ${failed.Message}`,
        );
      }
    }
  }

  async function processBatch(messages: readonly Message[]): Promise<void> {
    const event: SQSEvent = { Records: messages.map((m) => toSqsRecord(m, queue, options.region)) };
    let failed: ReadonlySet<string> | "all";
    try {
      const result = await options.invoke(queue.worker, event);
      failed = failedMessageIds(result, new Set(messages.map((m) => m.MessageId ?? "")));
      if (failed === "all") log.error(`[${queue.worker}] invalid batchItemFailures: the whole batch failed`);
    } catch {
      failed = "all"; // the invoker logged the error
    }
    if (failed === "all") return;
    const done = messages.filter((m) => !failed.has(m.MessageId ?? ""));
    if (done.length > 0) await deleteMessages(done);
  }

  function dispatch(batch: readonly Message[]): void {
    const running: Promise<void> = processBatch(batch)
      .catch((error: unknown) => {
        // Its messages stay in flight and come back after their visibility timeout.
        log.error(
          `[${queue.name}] SQS poller error after a batch; its undeleted messages will come back`,
          error,
        );
      })
      .finally(() => inFlight.delete(running));
    inFlight.add(running);
  }

  async function loop(): Promise<void> {
    while (!stopping) {
      try {
        if (inFlight.size >= maxConcurrency) {
          await Promise.race(inFlight);
          continue;
        }
        const batch = await collectBatch();
        if (batch.length > 0) dispatch(batch);
      } catch (error) {
        if (stopping) break;
        log.error(`[${queue.name}] SQS poller error; retrying in ${retryPauseMs} ms`, error);
        await pause(retryPauseMs);
      }
    }
    await Promise.all(inFlight);
  }

  const running = loop();
  return {
    async stop() {
      stopping = true;
      wakeUp?.();
      await running;
    },
  };
}

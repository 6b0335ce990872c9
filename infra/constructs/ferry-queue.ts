/**
 * A work queue from the manifest, with its dead-letter queue and its worker: TLS-only, encrypted,
 * redrive after `maxReceiveCount`, and an event source that reports partial batch failures.
 * Invalid specs fail at synth, not at deploy or (worse) under load.
 */
import { Duration } from "aws-cdk-lib";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { QueueName, QueueSpec } from "#shared/app/manifest.ts";
import type { FerryFunction } from "./ferry-function.ts";
import { InvalidStackInputError } from "./validate-manifest.ts";

/**
 * The environment variable holding each queue's URL. Written out rather than derived from the
 * queue name because shared/config.ts reads `EMAIL_QUEUE_URL` (singular) and `PAYMENTS_QUEUE_URL`.
 */
export const QUEUE_URL_ENV: Readonly<Record<QueueName, string>> = {
  emails: "EMAIL_QUEUE_URL",
  payments: "PAYMENTS_QUEUE_URL",
};

/** AWS advises a visibility timeout of at least six times the consumer's timeout for SQS consumers. */
export const MIN_VISIBILITY_TO_WORKER_TIMEOUT_RATIO = 6;

export interface FerryQueueProps {
  /** The queue's manifest name, used in error messages. */
  readonly name: string;
  readonly spec: QueueSpec;
  /** The function that consumes the queue (the spec's `worker`). */
  readonly worker: FerryFunction;
  /** The environment variable that carries the queue URL (the worker gets it too). */
  readonly urlEnvironmentVariable: string;
}

export class FerryQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly eventSource: SqsEventSource;

  constructor(scope: Construct, id: string, props: FerryQueueProps) {
    super(scope, id);
    validateQueueSpec(props);
    const { spec, worker } = props;
    // `fifo: undefined` for standard queues: CloudFormation rejects FifoQueue=false on some updates.
    const fifo = spec.fifo ? true : undefined;

    this.deadLetterQueue = new Queue(this, "DeadLetterQueue", {
      fifo,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(spec.dlqRetentionDays),
    });
    this.queue = new Queue(this, "Queue", {
      fifo,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(spec.retentionDays),
      visibilityTimeout: Duration.seconds(spec.visibilityTimeoutSeconds),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: spec.maxReceiveCount },
    });

    this.eventSource = new SqsEventSource(this.queue, {
      batchSize: spec.batchSize,
      // AWS rejects a batching window on FIFO queues; 0 means "no window" on standard ones.
      maxBatchingWindow:
        spec.fifo || spec.maxBatchingWindowSeconds === 0
          ? undefined
          : Duration.seconds(spec.maxBatchingWindowSeconds),
      reportBatchItemFailures: true,
    });
    worker.addEventSource(this.eventSource);
    // The worker backs off a failed message by changing its visibility itself, so it needs the
    // action in its own right, not only as a side effect of the event source's consume grant.
    this.queue.grant(worker, "sqs:ChangeMessageVisibility");
    worker.addEnvironment(props.urlEnvironmentVariable, this.queue.queueUrl);
  }
}

function validateQueueSpec({ name, spec, worker }: FerryQueueProps): void {
  const problems: string[] = [];
  const minVisibility = MIN_VISIBILITY_TO_WORKER_TIMEOUT_RATIO * worker.spec.timeoutSeconds;
  if (spec.visibilityTimeoutSeconds < minVisibility) {
    problems.push(
      `visibilityTimeoutSeconds (${spec.visibilityTimeoutSeconds}) must be at least ` +
        `${MIN_VISIBILITY_TO_WORKER_TIMEOUT_RATIO} x the worker "${spec.worker}" timeout ` +
        `(${worker.spec.timeoutSeconds} s), i.e. >= ${minVisibility}`,
    );
  }
  if (spec.visibilityTimeoutSeconds > 43_200) {
    problems.push(`visibilityTimeoutSeconds (${spec.visibilityTimeoutSeconds}) must be <= 43200 (12 h)`);
  }
  const maxBatch = spec.fifo ? 10 : 10_000;
  if (!Number.isInteger(spec.batchSize) || spec.batchSize < 1 || spec.batchSize > maxBatch) {
    problems.push(`batchSize (${spec.batchSize}) must be an integer from 1 to ${maxBatch}`);
  }
  if (!spec.fifo && spec.batchSize > 10 && spec.maxBatchingWindowSeconds < 1) {
    problems.push("maxBatchingWindowSeconds must be >= 1 when batchSize is over 10");
  }
  if (!spec.fifo && (spec.maxBatchingWindowSeconds < 0 || spec.maxBatchingWindowSeconds > 300)) {
    problems.push(`maxBatchingWindowSeconds (${spec.maxBatchingWindowSeconds}) must be from 0 to 300`);
  }
  if (!Number.isInteger(spec.maxReceiveCount) || spec.maxReceiveCount < 1 || spec.maxReceiveCount > 1000) {
    problems.push(`maxReceiveCount (${spec.maxReceiveCount}) must be an integer from 1 to 1000`);
  }
  for (const key of ["retentionDays", "dlqRetentionDays"] as const) {
    if (spec[key] < 1 || spec[key] > 14) problems.push(`${key} (${spec[key]}) must be from 1 to 14 days`);
  }
  // A DLQ that forgets messages before the source queue would lose failures it exists to keep.
  if (spec.dlqRetentionDays < spec.retentionDays) {
    problems.push(
      `dlqRetentionDays (${spec.dlqRetentionDays}) must be >= retentionDays (${spec.retentionDays})`,
    );
  }
  if (problems.length > 0) {
    throw new InvalidStackInputError(`Queue "${name}": ${problems.join("; ")}`);
  }
}

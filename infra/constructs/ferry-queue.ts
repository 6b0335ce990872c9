/**
 * A work queue from the manifest, with its dead-letter queue and its worker: TLS-only, encrypted,
 * redrive after `maxReceiveCount`, and an event source that reports partial batch failures.
 * Invalid specs fail at synth, not at deploy or (worse) under load.
 */
import { Duration } from "aws-cdk-lib";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { QueueSpec } from "#shared/app/manifest.ts";
import { DEFAULT_MAX_CONCURRENCY } from "#shared/app/types.ts";
import { queueSpecProblems } from "#shared/app/validate.ts";
import type { FerryFunction } from "./ferry-function.ts";
import { InvalidStackInputError } from "./stack-input.ts";

export interface FerryQueueProps {
  /** The queue's manifest name, used in error messages. */
  readonly name: string;
  readonly spec: QueueSpec;
  /** The function that consumes the queue (the spec's `worker`). */
  readonly worker: FerryFunction;
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
      // A cap on concurrent workers, so a backlog cannot take the account's whole concurrency
      // (or outrun SES's sending rate); messages beyond it wait in the queue.
      maxConcurrency: spec.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY,
    });
    // The worker's grants and its queue URL come from its `<queue>:consume` need (need-wiring.ts).
    worker.addEventSource(this.eventSource);
  }
}

function validateQueueSpec({ name, spec, worker }: FerryQueueProps): void {
  const problems = queueSpecProblems(spec, worker.spec.timeoutSeconds);
  if (problems.length > 0) {
    throw new InvalidStackInputError(`Queue "${name}": ${problems.join("; ")}`);
  }
}

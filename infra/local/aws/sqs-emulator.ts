/**
 * SQS for the local runtime and tests: fauxqs 1.9 (in-process, real AWS JSON protocol) with every
 * manifest queue and its dead-letter queue created once at start.
 *
 * Why `buildApp` and not `startFauxqs`: `startFauxqs` listens on 0.0.0.0 (hard-coded), which would
 * expose the emulator to the network. `buildApp` is the same fastify app without the listen, so it
 * is bound to loopback here. Queues are then created through the SQS API itself (CreateQueue with
 * attributes), each exactly once: fauxqs's own `createQueue()` helper silently drops the
 * attributes (the DLQ RedrivePolicy) of a queue that already exists.
 *
 * Queue URLs look like `http://sqs.<region>.localhost:<port>/000000000000/<name>`; that host does
 * not resolve here, so every SQSClient needs `endpoint` set to the emulator's `endpoint`.
 */
import type { AddressInfo } from "node:net";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type QueueAttributeName,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { buildApp } from "fauxqs";
import { QUEUE_NAMES, type QueueName, type QueueSpec } from "#shared/app/manifest.ts";

export interface EmulatedQueue {
  readonly url: string;
  readonly dlqUrl: string;
  readonly arn: string;
  readonly dlqArn: string;
  /** The physical queue name, e.g. `ferry-emails` or `ferry-payments.fifo`. */
  readonly name: string;
}

export interface SqsEmulatorOptions {
  readonly queues: Partial<Record<QueueName, QueueSpec>>;
  /** Defaults to 127.0.0.1. */
  readonly host?: string;
  /** Defaults to 0 (a random free port). */
  readonly port?: number;
  /** Region in queue URLs and ARNs; defaults to us-east-1. */
  readonly region?: string;
}

export interface SqsEmulator {
  /** Pass as `endpoint` to every SQSClient (queue URLs alone do not resolve). */
  readonly endpoint: string;
  readonly queueUrls: Partial<Record<QueueName, EmulatedQueue>>;
  stop(): Promise<void>;
  /** The fauxqs fastify app, for inspection in tests. */
  readonly raw: unknown;
}

const SECONDS_PER_DAY = 86_400;

/** Physical names: `ferry-<name>[-dlq]`, with the `.fifo` suffix SQS requires on FIFO queues. */
export function physicalQueueNames(name: QueueName, spec: Pick<QueueSpec, "fifo">) {
  const suffix = spec.fifo ? ".fifo" : "";
  return { main: `ferry-${name}${suffix}`, dlq: `ferry-${name}-dlq${suffix}` };
}

/** The emulator accepts any credentials; the SDK only needs some to sign with. */
export const LOCAL_AWS_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" } as const;

/** What became of each queue: created now, or found already there (an external SQS). */
export interface QueueCreation {
  readonly created: string[];
  readonly found: string[];
}

/** The URL of an existing queue, or undefined when SQS says it does not exist. */
async function existingQueueUrl(sqs: SQSClient, name: string): Promise<string | undefined> {
  try {
    return (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (error) {
    const code = (error as { name?: string }).name;
    if (code === "QueueDoesNotExist" || code === "AWS.SimpleQueueService.NonExistentQueue") return undefined;
    throw error;
  }
}

async function createQueue(
  sqs: SQSClient,
  name: string,
  attributes: Partial<Record<QueueAttributeName, string>>,
  creation: QueueCreation | undefined,
): Promise<{ url: string; arn: string }> {
  // An external SQS may hold the queue from an earlier run: kept as it is, never re-created
  // (CreateQueue with other attributes fails on AWS, and fauxqs drops the existing ones).
  const existing = creation ? await existingQueueUrl(sqs, name) : undefined;
  let url = existing;
  if (!url) {
    const created = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    url = created.QueueUrl;
  }
  if (!url) throw new Error(`SQS returned no URL for queue ${name}`);
  creation?.[existing ? "found" : "created"].push(name);
  const described = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }),
  );
  const arn = described.Attributes?.QueueArn;
  if (!arn) throw new Error(`SQS returned no ARN for queue ${name}`);
  return { url, arn };
}

async function createQueuePair(
  sqs: SQSClient,
  name: QueueName,
  spec: QueueSpec,
  creation?: QueueCreation,
): Promise<EmulatedQueue> {
  const names = physicalQueueNames(name, spec);
  const fifo: Partial<Record<QueueAttributeName, string>> = spec.fifo ? { FifoQueue: "true" } : {};
  const dlq = await createQueue(
    sqs,
    names.dlq,
    { ...fifo, MessageRetentionPeriod: String(spec.dlqRetentionDays * SECONDS_PER_DAY) },
    creation,
  );
  const main = await createQueue(
    sqs,
    names.main,
    {
      ...fifo,
      VisibilityTimeout: String(spec.visibilityTimeoutSeconds),
      MessageRetentionPeriod: String(spec.retentionDays * SECONDS_PER_DAY),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: spec.maxReceiveCount }),
    },
    creation,
  );
  return { url: main.url, arn: main.arn, dlqUrl: dlq.url, dlqArn: dlq.arn, name: names.main };
}

/**
 * Every manifest queue and its DLQ on an SQS this runtime did not start (FERRY_LOCAL_SQS_ENDPOINT):
 * those missing are created as the stack would, those already there are used as they are.
 */
export async function ensureQueues(
  sqs: SQSClient,
  queues: Partial<Record<QueueName, QueueSpec>>,
): Promise<{ queueUrls: Partial<Record<QueueName, EmulatedQueue>>; creation: QueueCreation }> {
  const creation: QueueCreation = { created: [], found: [] };
  const queueUrls: Partial<Record<QueueName, EmulatedQueue>> = {};
  for (const name of QUEUE_NAMES) {
    const spec = queues[name];
    if (spec) queueUrls[name] = await createQueuePair(sqs, name, spec, creation);
  }
  return { queueUrls, creation };
}

export async function startSqsEmulator(options: SqsEmulatorOptions): Promise<SqsEmulator> {
  const host = options.host ?? "127.0.0.1";
  const region = options.region ?? "us-east-1";
  const app = buildApp({ logger: false, defaultRegion: region });
  await app.listen({ port: options.port ?? 0, host });
  const { port } = app.server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  const endpoint = `http://${urlHost}:${port}`;

  const sqs = new SQSClient({ endpoint, region, credentials: LOCAL_AWS_CREDENTIALS });
  const queueUrls: Partial<Record<QueueName, EmulatedQueue>> = {};
  try {
    for (const name of QUEUE_NAMES) {
      const spec = options.queues[name];
      if (spec) queueUrls[name] = await createQueuePair(sqs, name, spec);
    }
  } catch (error) {
    await app.close();
    throw error;
  } finally {
    sqs.destroy();
  }

  return {
    endpoint,
    queueUrls,
    raw: app,
    async stop() {
      await app.close();
    },
  };
}

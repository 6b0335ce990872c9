/**
 * What every pipeline measurement runs against: the local runtime with the shipped manifest
 * (so the email queue's batching window is shared/app/email.ts's), its Upstash proxy's stats()
 * counting every round trip, a private redis-server, generous rate limits, handlers' logs off,
 * all on 127.0.0.1.
 */
import { randomUUID } from "node:crypto";
import { CreateQueueCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { type PrivateRedis, startPrivateRedis } from "#infra/local/process/redis-server.ts";
import { type LocalRuntime, startLocalRuntime } from "#infra/local/runtime.ts";
import { manifest } from "#shared/app/manifest.ts";
import { createApiKey } from "#shared/auth/api-keys.ts";
import { buildEmailMessage } from "#shared/email/message.ts";
import { sqsJsonBody } from "#shared/queues/sqs-body.ts";
import { issueTicket } from "#shared/realtime/tickets.ts";
import { createRedisClient, type RedisClient } from "#shared/redis/client.ts";
import { newQueuedTask, type StoredTask, saveQueuedTask } from "#shared/tasks/store.ts";

export const GENEROUS_RATE_LIMITS = JSON.stringify({
  api: { capacity: 1_000_000, refillPerSecond: 100_000 },
  emails: { capacity: 1_000_000, refillPerSecond: 100_000 },
  webhooks: { capacity: 1_000_000, refillPerSecond: 100_000 },
});

export interface Harness {
  readonly runtime: LocalRuntime;
  /** Round trips (REST requests) and commands the handlers' Upstash proxy has served. */
  stats(): { readonly requests: number; readonly commands: number };
  /** The redis-server behind the proxy, for reads the proxy must not count (ioredis). */
  readonly redisUrl: string;
  /** The handlers' kind of client, through the same proxy (its requests count too). */
  readonly redis: RedisClient;
  /** An SQS client through the same edge the functions use. */
  readonly sqs: SQSClient;
  readonly apiKey: { readonly secret: string; readonly keyId: string };
  readonly emailQueueUrl: string;
  /** Sends one email as POST /v1/emails would, without the HTTP route (the task is pre-created). */
  enqueueEmail(task: StoredTask): Promise<void>;
  newTask(): Promise<StoredTask>;
  /** WebSocket URLs with fresh tickets for the benchmark's key (written straight to Redis). */
  ticketUrls(count: number): Promise<string[]>;
  /** A queue of the emulator's own, outside the manifest (for the floors). */
  benchQueue(fifo: boolean): Promise<string>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  /**
   * Replace the queue workers with a no-op (bench/noop-worker.ts) and poll no queue: for the
   * ingest figures, so the HTTP path is measured alone (on AWS the workers run on other machines)
   * and the round trips counted are the route's own. Not polling matters: consuming the messages
   * (ReceiveMessage, the no-op invocation, DeleteMessageBatch) cost 1.5-4 ms of this process's
   * CPU per request beside the route's ~8 ms, on the same two cores, while the floor's queue is
   * never consumed either.
   */
  readonly noopWorkers?: boolean;
}

/** The app manifest with every queue's worker acknowledging messages without doing anything. */
function noopWorkerManifest(): typeof manifest {
  const workers = Object.fromEntries(
    Object.values(manifest.queues).map((q) => [
      q.worker,
      { ...manifest.functions[q.worker], entry: "bench/noop-worker.ts" },
    ]),
  );
  return { ...manifest, functions: { ...manifest.functions, ...workers } } as typeof manifest;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const redisServer: PrivateRedis = await startPrivateRedis();
  let runtime: LocalRuntime | undefined;
  try {
    runtime = await startLocalRuntime({
      port: 0,
      quiet: true,
      stateFile: false,
      redisUrl: redisServer.url,
      ...(options.noopWorkers ? { manifest: noopWorkerManifest(), pollQueues: false } : {}),
      env: {
        RATE_LIMITS: GENEROUS_RATE_LIMITS,
        POWERTOOLS_LOG_LEVEL: "SILENT",
      },
    });
    const rt = runtime;
    const redis = createRedisClient({ url: rt.upstash.url, token: rt.upstash.token, timeoutMs: 10_000 });
    const { secret, key } = await createApiKey(redis, {
      name: `bench-${randomUUID()}`,
      scopes: ["emails:send", "tasks:read", "realtime:connect"],
    });
    const sqs = new SQSClient({
      endpoint: rt.aws.sqs.endpoint,
      region: rt.sqs.region,
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    const emailQueueUrl = rt.sqs.queueUrls.emails?.url;
    if (!emailQueueUrl) throw new Error("the local runtime has no emails queue");
    return {
      runtime: rt,
      stats: () => rt.upstashStats(),
      redisUrl: redisServer.url,
      redis,
      sqs,
      apiKey: { secret, keyId: key.keyId },
      emailQueueUrl,
      async enqueueEmail(task) {
        const body = buildEmailMessage(task.id, task.ownerKeyId, new Date(task.createdAt), {
          to: ["bench@example.com"],
          subject: "Bench",
          text: "Hello",
        });
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: emailQueueUrl,
            MessageBody: sqsJsonBody(body),
            MessageAttributes: { taskId: { DataType: "String", StringValue: task.id } },
          }),
        );
      },
      async newTask() {
        const task = newQueuedTask(`tsk_${randomUUID().replaceAll("-", "")}`, key.keyId, new Date());
        await saveQueuedTask(redis, task);
        return task;
      },
      async ticketUrls(count) {
        const urls: string[] = [];
        for (let i = 0; i < count; i += 200) {
          const batch = await Promise.all(
            Array.from({ length: Math.min(200, count - i) }, () => issueTicket(redis, { keyId: key.keyId })),
          );
          for (const t of batch) urls.push(`${rt.wsUrl}?ticket=${encodeURIComponent(t.ticket)}`);
        }
        return urls;
      },
      async benchQueue(fifo) {
        const name = `bench-${randomUUID().slice(0, 8)}${fifo ? ".fifo" : ""}`;
        const out = await sqs.send(
          new CreateQueueCommand({
            QueueName: name,
            ...(fifo ? { Attributes: { FifoQueue: "true", ContentBasedDeduplication: "true" } } : {}),
          }),
        );
        if (!out.QueueUrl) throw new Error("CreateQueue returned no url");
        return out.QueueUrl;
      },
      async stop() {
        sqs.destroy();
        await rt.stop();
        await redisServer.stop();
      },
    };
  } catch (error) {
    await runtime?.stop();
    await redisServer.stop();
    throw error;
  }
}

// ---- statistics ---------------------------------------------------------------------------------

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export interface Latencies {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export function latencies(samples: readonly number[]): Latencies {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
  };
}

export const median = (samples: readonly number[]): number =>
  percentile(
    [...samples].sort((a, b) => a - b),
    50,
  );

/** Runs `work` `total` times with `concurrency` callers; returns each call's duration in ms. */
export async function closedLoop(
  total: number,
  concurrency: number,
  work: (i: number) => Promise<void>,
): Promise<{ durations: number[]; elapsedMs: number }> {
  const durations: number[] = [];
  let next = 0;
  const started = performance.now();
  const caller = async () => {
    while (next < total) {
      const i = next++;
      const t0 = performance.now();
      await work(i);
      durations.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  return { durations, elapsedMs: performance.now() - started };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** CPU (user + system, every thread of this process) since `before`, in ms. */
export const cpuMsSince = (before: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
};

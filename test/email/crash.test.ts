/**
 * At most one SES call per task, even when a worker dies. A real crash: the worker runs in a
 * child process, SES accepts the email (the fault proxy forwards it and then withholds the
 * answer), and the child is SIGKILLed before it can record anything or acknowledge the message.
 * The redelivered message is then processed by the same handler in this process.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type SesEmulator, startSesEmulator } from "#infra/local/aws/ses-emulator.ts";
import { type SqsEmulator, startSqsEmulator } from "#infra/local/aws/sqs-emulator.ts";
import type { QueueSpec } from "#shared/app/manifest.ts";
import { enqueueEmail } from "#shared/email/enqueue.ts";
import { acquireSendLease, recordSent } from "#shared/email/send-lease.ts";
import { getTask } from "#shared/tasks/store.ts";
import { eventually } from "#test/support/http.ts";
import { type SesFaultProxy, startSesFaultProxy } from "#test/support/ses-fault-proxy.ts";
import { startTestRedis, type TestRedis } from "#test/support/upstash.ts";
import { deliverOnce } from "./fixtures/deliver-once.ts";

const queueSpec: QueueSpec = {
  fifo: false,
  worker: "emailWorker",
  batchSize: 1,
  maxBatchingWindowSeconds: 0,
  visibilityTimeoutSeconds: 1,
  maxReceiveCount: 5,
  retentionDays: 1,
  dlqRetentionDays: 1,
};
const TIMEOUT_SECONDS = 1;

let redis: TestRedis;
let sqsEmulator: SqsEmulator;
let sesEmulator: SesEmulator;
let faults: SesFaultProxy;
let env: Record<string, string>;
let sqs: SQSClient;

beforeAll(async () => {
  redis = await startTestRedis();
  sqsEmulator = await startSqsEmulator({ queues: { emails: queueSpec } });
  sesEmulator = await startSesEmulator();
  faults = await startSesFaultProxy(sesEmulator.endpoint);
  const queue = sqsEmulator.queueUrls.emails;
  if (!queue) throw new Error("no emails queue");
  env = {
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_ENDPOINT_URL_SQS: sqsEmulator.endpoint,
    AWS_ENDPOINT_URL_SESV2: faults.endpoint,
    EMAIL_QUEUE_URL: queue.url,
    EMAIL_FROM: "sender@ferry.test",
    // The worker's websocket:manage need: checked at cold start, never called (no subscribers).
    WS_CALLBACK_URL: "http://127.0.0.1:9/_ws",
    UPSTASH_REDIS_REST_URL: redis.url,
    UPSTASH_REDIS_REST_TOKEN: redis.token,
    POWERTOOLS_LOG_LEVEL: "SILENT",
    FERRY_TEST_QUEUE_ARN: queue.arn,
    FERRY_TEST_TIMEOUT_SECONDS: String(TIMEOUT_SECONDS),
  };
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  sqs = new SQSClient({ region: "us-east-1", endpoint: sqsEmulator.endpoint });
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await faults?.close();
  await sesEmulator?.stop();
  await sqsEmulator?.stop();
  await redis?.close();
});

const enqueue = (subject: string) =>
  enqueueEmail({ redis: redis.redis, sqs, queueUrl: env.EMAIL_QUEUE_URL ?? "" }, "key_crash", {
    to: ["a@example.com"],
    subject,
    text: "t",
  });

function runChild(): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "test/email/fixtures/deliver-once.ts"], {
    env: { ...process.env, ...env },
    stdio: "ignore",
  });
}

describe("a worker that crashes after SES accepted the email", () => {
  it("is never followed by a second send; the task says the outcome is unknown", async () => {
    const subject = `crash ${randomUUID()}`;
    faults.setPlan((c) => (c.subject === subject ? { kind: "forwardAndHold" } : { kind: "forward" }));
    const task = await enqueue(subject);
    const child = runChild();
    const exited = new Promise((resolve) => child.once("exit", resolve));

    await faults.held();
    child.kill("SIGKILL");
    await exited;
    faults.setPlan(() => ({ kind: "forward" }));

    // While the dead worker's lease lasts, a redelivery backs off without calling SES.
    const early = await eventually(async () => deliverOnce(), { what: "the redelivery" });
    expect(early).toMatchObject({ batchItemFailures: [{ itemIdentifier: expect.any(String) }] });
    // After it expires, the outcome is unknown: not resent, the task fails explicitly.
    const final = await eventually(
      async () => {
        const result = (await deliverOnce()) as { batchItemFailures?: unknown[] };
        return result.batchItemFailures?.length === 0 ? result : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 500, what: "the lease to expire" },
    );

    expect(final).toEqual({ batchItemFailures: [] });
    expect(faults.calls.filter((c) => c.subject === subject)).toHaveLength(1);
    expect((await sesEmulator.outbox()).filter((e) => e.subject === subject)).toHaveLength(1);
    expect(await getTask(redis.redis, task.id)).toMatchObject({
      status: "failed",
      error: { code: "delivery_unknown" },
    });
  }, 40_000);

  it("finishes the task from the recorded send when the crash came after recording it", async () => {
    const subject = `recorded ${randomUUID()}`;
    const task = await enqueue(subject);
    const token = randomUUID();
    await acquireSendLease(redis.redis, task.id, token, Date.now(), 60_000);
    await recordSent(redis.redis, task.id, token, "ses-message-1");

    const result = await deliverOnce();

    expect(result).toEqual({ batchItemFailures: [] });
    expect(faults.calls.filter((c) => c.subject === subject)).toHaveLength(0);
    expect(await getTask(redis.redis, task.id)).toMatchObject({
      status: "succeeded",
      result: { messageId: "ses-message-1" },
    });
  });
});

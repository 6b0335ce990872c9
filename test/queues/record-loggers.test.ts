/**
 * Per-record loggers (issue #14): the records of a batch run concurrently, so each one logs
 * through its own child logger. Over a batch of 10, every line the email worker writes names the
 * task of the message it is about, and every line the payment worker writes names its message,
 * payment and provider event. Real Redis, the SES emulator and the real workers; the output is
 * captured from stdout, where Powertools writes it.
 */
import { randomUUID } from "node:crypto";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { type SesEmulator, startSesEmulator } from "#infra/local/aws/ses-emulator.ts";
import { processEmailBatch } from "#shared/email/batch.ts";
import { buildEmailMessage } from "#shared/email/message.ts";
import { logger } from "#shared/logger.ts";
import { processPaymentBatch } from "#shared/payments/batch.ts";
import { paymentQueueMessage } from "#shared/payments/queue-message.ts";
import { emailWorkerDeps, testBreaker } from "#test/email/support/worker-deps.ts";
import { randomId, statusEvent } from "#test/payments/support/events.ts";
import { localClientConfig } from "#test/support/local-aws.ts";
import { sqsRecord } from "#test/support/sqs-records.ts";
import { startTestRedis, type TestRedis } from "#test/support/upstash.ts";

let redis: TestRedis;
let ses: SesEmulator;
/** Never called by these batches (nothing is requeued, no receipt has an address to go to). */
const sqs = new SQSClient(localClientConfig("http://127.0.0.1:9"));
let lines: Record<string, unknown>[];

beforeAll(async () => {
  redis = await startTestRedis();
  ses = await startSesEmulator();
});

afterAll(async () => {
  sqs.destroy();
  await ses?.stop();
  await redis?.close();
});

beforeEach(() => {
  lines = [];
  logger.setLogLevel("INFO");
  const write = process.stdout.write.bind(process.stdout);
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = chunk.toString();
    if (!text.startsWith("{")) return write(chunk, ...(rest as []));
    for (const line of text.split("\n").filter((l) => l.trim() !== "")) lines.push(JSON.parse(line));
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  logger.setLogLevel("SILENT");
});

describe("per-record loggers over a batch of 10", () => {
  it("the email worker names each line's own task", async () => {
    // Prepare
    const now = new Date();
    const batch = Array.from({ length: 10 }, () => {
      const taskId = `tsk_${randomUUID().replaceAll("-", "")}`;
      const message = buildEmailMessage(taskId, "key_logs", now, {
        to: ["ada@example.com"],
        subject: `logs ${taskId}`,
        text: "t",
      });
      return { taskId, record: sqsRecord(JSON.stringify(message)) };
    });
    const taskOf = new Map(batch.map((b) => [b.record.messageId, b.taskId]));

    // Act
    const response = await processEmailBatch(
      {
        ...emailWorkerDeps(
          {
            redis: redis.redis,
            ses: new SESv2Client(localClientConfig(ses.endpoint)),
            breaker: testBreaker(redis.redis, 5),
          },
          { retryMaxSeconds: 2 },
        ),
        sqs,
        queueUrl: "http://127.0.0.1:9/emails",
      },
      batch.map((b) => b.record),
    );

    // Assess: processing and succeeded for each task, each line naming its own message's task.
    expect(response.batchItemFailures).toEqual([]);
    const transitions = lines.filter((l) => l.message === "task transition");
    expect(transitions).toHaveLength(20);
    for (const { taskId } of batch) expect(transitions.filter((l) => l.taskId === taskId)).toHaveLength(2);
    for (const line of transitions) expect(line.taskId).toBe(taskOf.get(String(line.messageId)));
  });

  it("the payment worker names each line's own message, payment and provider event", async () => {
    // Prepare: succeeded payments without an address, so each also logs its receipt being skipped.
    const events = Array.from({ length: 10 }, () => {
      const { email: _none, ...event } = statusEvent(randomId("pi"), "succeeded");
      return event;
    });
    const batch = events.map((event) => {
      const message = paymentQueueMessage(event);
      return { event, record: sqsRecord(message.MessageBody, { groupId: message.MessageGroupId }) };
    });
    const eventOf = new Map(batch.map((b) => [b.record.messageId, b.event]));

    // Act
    const response = await processPaymentBatch(
      {
        redis: redis.redis,
        sqs,
        emailQueueUrl: "http://127.0.0.1:9/emails",
        paymentsQueueUrl: "http://127.0.0.1:9/p",
      },
      batch.map((b) => b.record),
    );

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(lines.filter((l) => l.message === "payment event processed")).toHaveLength(10);
    expect(lines.filter((l) => String(l.message).startsWith("payment has no usable email"))).toHaveLength(10);
    for (const line of lines) {
      const event = eventOf.get(String(line.messageId));
      expect(event, `a line without its message: ${JSON.stringify(line)}`).toBeDefined();
      expect(line).toMatchObject({
        provider: event?.provider,
        paymentId: event?.paymentId,
        eventId: event?.eventId,
      });
    }
  });
});

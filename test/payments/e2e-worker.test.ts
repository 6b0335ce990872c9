/**
 * The payment worker over real SQS batches (fauxqs) and real Redis (through the Upstash proxy):
 * messages are sent to the FIFO queue, received as Lambda would, turned into SQS records and
 * handed to processPaymentBatch. Faults are real: a poison message, a queue that does not
 * exist, a Redis that does not answer.
 */
import { randomUUID } from "node:crypto";
import { type Message, ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type EmulatedQueue,
  LOCAL_AWS_CREDENTIALS,
  type SqsEmulator,
  startSqsEmulator,
} from "#infra/local/aws/sqs-emulator.ts";
import { toSqsRecord } from "#infra/local/queues/sqs-poller.ts";
import { manifest } from "#shared/app/manifest.ts";
import { emailMessageSchema } from "#shared/email/message.ts";
import { processPaymentBatch } from "#shared/payments/batch.ts";
import { paymentKey, receiptTaskId } from "#shared/payments/keys.ts";
import type { PaymentEvent } from "#shared/payments/payment-event.ts";
import { getPayment } from "#shared/payments/payment-reads.ts";
import { paymentQueueMessage } from "#shared/payments/queue-message.ts";
import { formatAmount, PAYMENT_EMAIL_OWNER, paymentEffectEmail } from "#shared/payments/receipt-email.ts";
import { effectRetryDelaySeconds } from "#shared/payments/worker.ts";
import { createRedisClient } from "#shared/redis/client.ts";
import { startTestRedis, type TestRedis } from "#test/support/upstash.ts";
import { randomId, statusEvent } from "./support/events.ts";

const REGION = "us-east-1";

let redis: TestRedis;
let emulator: SqsEmulator;
let sqs: SQSClient;
let payments: EmulatedQueue;
let emails: EmulatedQueue;
/** SQS calls the worker made through `sqs`, by command name. */
let calls: { command: string; input: Record<string, unknown> }[] = [];

beforeAll(async () => {
  redis = await startTestRedis();
  const paymentsSpec = manifest.queues.payments;
  const emailsSpec = manifest.queues.emails;
  if (!paymentsSpec || !emailsSpec) throw new Error("the manifest lacks the payments or emails queue");
  emulator = await startSqsEmulator({
    queues: { payments: paymentsSpec, emails: emailsSpec },
    region: REGION,
  });
  const urls = emulator.queueUrls;
  if (!urls.payments || !urls.emails) throw new Error("the emulator did not create the queues");
  payments = urls.payments;
  emails = urls.emails;
  sqs = new SQSClient({ endpoint: emulator.endpoint, region: REGION, credentials: LOCAL_AWS_CREDENTIALS });
  // Records the calls only; every call still goes to the emulator.
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      calls.push({ command: context.commandName ?? "", input: args.input as Record<string, unknown> });
      return next(args);
    },
    { step: "initialize", name: "recordCalls" },
  );
});

afterAll(async () => {
  sqs?.destroy();
  await emulator?.stop();
  await redis?.close();
});

beforeEach(() => {
  calls = [];
});

const deps = (overrides: Partial<Parameters<typeof processPaymentBatch>[0]> = {}) => ({
  redis: redis.redis,
  sqs,
  emailQueueUrl: emails.url,
  paymentsQueueUrl: payments.url,
  ...overrides,
});

async function sendEvent(event: PaymentEvent): Promise<void> {
  await sqs.send(new SendMessageCommand({ QueueUrl: payments.url, ...paymentQueueMessage(event) }));
}

async function sendRaw(body: string, groupId: string): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: payments.url,
      MessageBody: body,
      MessageGroupId: groupId,
      MessageDeduplicationId: randomUUID(),
    }),
  );
}

/** Receives until `count` messages are in hand (or `rounds` long polls came back short), as SQS records. */
async function receive(queueUrl: string, count: number, rounds = 10): Promise<SQSRecord[]> {
  const messages: Message[] = [];
  for (let round = 0; round < rounds && messages.length < count; round++) {
    const out = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ["All"],
        MessageAttributeNames: ["All"],
      }),
    );
    messages.push(...(out.Messages ?? []));
  }
  calls = [];
  const arn =
    queueUrl === payments.url ? payments.arn : queueUrl === emails.url ? emails.arn : payments.dlqArn;
  return messages.map((m) => toSqsRecord(m, { arn }, REGION));
}

/** Email-queue messages received now, parsed; they stay in flight (the tests never reuse them). */
async function queuedEmails() {
  const out = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: emails.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
  );
  return (out.Messages ?? []).map((m) => emailMessageSchema.parse(JSON.parse(m.Body ?? "")));
}

const storedEffects = async (paymentId: string) => {
  const raw = await redis.redis.get<string>(paymentKey("stripe", paymentId));
  return raw
    ? (JSON.parse(raw) as { effects: Record<string, { enqueued: boolean; claimedAt: number }> }).effects
    : {};
};

/** A record as Lambda delivers it from a FIFO queue, for batches fauxqs cannot assemble. */
function lambdaRecord(body: string, groupId: string): SQSRecord {
  const messageId = randomUUID();
  return toSqsRecord(
    {
      MessageId: messageId,
      ReceiptHandle: `handle-${messageId}`,
      Body: body,
      Attributes: {
        MessageGroupId: groupId,
        ApproximateReceiveCount: "1",
        MessageDeduplicationId: messageId,
      },
    },
    payments,
    REGION,
  );
}

const visibilityChanges = () => calls.filter((c) => c.command === "ChangeMessageVisibilityCommand");

describe("FIFO batches", () => {
  it("fails only the record that failed: a poison message neither blocks nor drags down its group's later events", async () => {
    // Prepare: payment A's group starts with a poison message; payment B is fine. fauxqs hands
    // out one message per group per receive (AWS: up to ten), so the batch is built as Lambda
    // would deliver it.
    const a = statusEvent(randomId("pi"), "succeeded", { email: "a@example.com" });
    const b = statusEvent(randomId("pi"), "succeeded", { email: "b@example.com" });
    const groupA = paymentQueueMessage(a).MessageGroupId;
    const poison = lambdaRecord("{ this is not a payment event", groupA);
    const recordA = lambdaRecord(paymentQueueMessage(a).MessageBody, groupA);
    const recordB = lambdaRecord(paymentQueueMessage(b).MessageBody, paymentQueueMessage(b).MessageGroupId);
    const laterA = lambdaRecord(paymentQueueMessage(a).MessageBody, groupA);

    // Act
    const response = await processPaymentBatch(deps(), [poison, recordA, recordB, laterA]);

    // Assess: only the poison message comes back (at once, towards the DLQ); A's events applied.
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: poison.messageId }]);
    expect(await getPayment(redis.redis, "stripe", a.paymentId)).toMatchObject({ status: "succeeded" });
    expect(await getPayment(redis.redis, "stripe", b.paymentId)).toMatchObject({ status: "succeeded" });
    const changes = visibilityChanges().map((c) => [c.input.ReceiptHandle, c.input.VisibilityTimeout]);
    expect(changes).toEqual([[poison.receiptHandle, 0]]);
  });

  it("sends a poison message back at once, so it reaches the DLQ after maxReceiveCount receives", async () => {
    // Prepare
    const groupId = `poison-${randomUUID()}`;
    await sendRaw("not json at all", groupId);
    const maxReceiveCount = manifest.queues.payments?.maxReceiveCount ?? 0;

    // Act: play the event source mapping until the queue has nothing left for this group.
    let receives = 0;
    for (;;) {
      const batch = await receive(payments.url, 1, 1);
      if (batch.length === 0) break;
      receives++;
      const response = await processPaymentBatch(deps(), batch);
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: batch[0]?.messageId }]);
    }

    // Assess
    expect(receives).toBe(maxReceiveCount);
    const dead = await receive(payments.dlqUrl, 1);
    expect(dead.map((r) => r.body)).toEqual(["not json at all"]);
  });

  it("enqueues the receipt under its fixed task id, owned by the payments system, and confirms it", async () => {
    // Prepare
    const event = statusEvent(randomId("pi"), "succeeded", { email: "receipt@example.com", amount: 123_456 });
    await sendEvent(event);
    const records = await receive(payments.url, 1);

    // Act
    const response = await processPaymentBatch(deps(), records);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const queued = (await queuedEmails()).filter((m) => m.email.to.includes("receipt@example.com"));
    expect(queued).toEqual([
      expect.objectContaining({
        taskId: receiptTaskId("stripe", event.paymentId),
        ownerKeyId: PAYMENT_EMAIL_OWNER,
        email: expect.objectContaining({ subject: "Receipt for your payment of $1,234.56" }),
      }),
    ]);
    expect((await storedEffects(event.paymentId)).receipt?.enqueued).toBe(true);
  });

  it("confirms the receipt without an email when the payment has no address", async () => {
    // Prepare
    const { email: _none, ...event } = statusEvent(randomId("pi"), "succeeded");
    await sendEvent(event);
    const records = await receive(payments.url, 1);

    // Act
    const response = await processPaymentBatch(deps(), records);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(calls.filter((c) => c.command === "SendMessageCommand")).toEqual([]);
    expect((await storedEffects(event.paymentId)).receipt?.enqueued).toBe(true);
  });
});

describe("faults", () => {
  it("releases the claim of a receipt it could not enqueue, asks for an early redelivery, and the redelivery sends it", async () => {
    // Prepare: the email queue URL names a queue that does not exist, so SendMessage really fails.
    const event = statusEvent(randomId("pi"), "succeeded", { email: "retry@example.com" });
    await sendEvent(event);
    const first = await receive(payments.url, 1);
    const broken = deps({ emailQueueUrl: `${emails.url}-missing` });

    // Act
    const failed = await processPaymentBatch(broken, first);
    const effectsAfterFailure = await storedEffects(event.paymentId);
    const visibility = visibilityChanges();
    const redelivered = await receive(payments.url, 1);
    const retried = await processPaymentBatch(deps(), redelivered);

    // Assess
    expect(failed.batchItemFailures).toEqual([{ itemIdentifier: first[0]?.messageId }]);
    expect(effectsAfterFailure.receipt).toMatchObject({ enqueued: false, claimedAt: 0 });
    expect(visibility.map((c) => c.input.VisibilityTimeout)).toEqual([effectRetryDelaySeconds(1)]);
    expect(redelivered[0]?.attributes.ApproximateReceiveCount).toBe("2");
    expect(retried.batchItemFailures).toEqual([]);
    expect((await storedEffects(event.paymentId)).receipt?.enqueued).toBe(true);
    const queued = (await queuedEmails()).filter((m) => m.email.to.includes("retry@example.com"));
    expect(queued.map((m) => m.taskId)).toEqual([receiptTaskId("stripe", event.paymentId)]);
  });

  it("leaves the visibility timeout alone when Redis fails, since a claim may be held", async () => {
    // Prepare: nothing listens on port 1.
    const event = statusEvent(randomId("pi"), "succeeded", { email: "down@example.com" });
    await sendEvent(event);
    const records = await receive(payments.url, 1);
    const unreachable = createRedisClient({ url: "http://127.0.0.1:1", token: "t", timeoutMs: 500 });

    // Act
    const response = await processPaymentBatch(deps({ redis: unreachable }), records);

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[0]?.messageId }]);
    expect(visibilityChanges()).toEqual([]);
  });
});

describe("payment emails", () => {
  it.each([
    [2000, "USD", "$20.00"],
    [5, "USD", "$0.05"],
    [1500, "JPY", "¥1,500"],
    [1234, "KWD", "KWD\u00a01.234"],
    [999_999_999_999, "INR", "₹9,999,999,999.99"],
  ])("formats %i minor units of %s as %s", (minor, currency, expected) => {
    expect(formatAmount(minor, currency)).toBe(expected);
  });

  it("writes a refund notice, and nothing for an address that is not one", () => {
    const payment = {
      provider: "razorpay" as const,
      paymentId: "pay_1",
      status: "refunded" as const,
      amount: 50_000,
      currency: "INR",
      events: [],
    };

    const notice = paymentEffectEmail("refund_notice", { ...payment, email: "gaurav@example.com" });
    const none = paymentEffectEmail("receipt", { ...payment, email: "not an address" });

    expect(notice).toMatchObject({
      to: ["gaurav@example.com"],
      subject: "Your payment of ₹500.00 has been refunded",
      text: expect.stringContaining("Payment: pay_1 (Razorpay)"),
    });
    expect(none).toBeUndefined();
  });
});

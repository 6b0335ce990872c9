import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { networkInterfaces } from "node:os";
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { type EmulatedQueue, type SqsEmulator, startSqsEmulator } from "#infra/local/aws/sqs-emulator.ts";
import type { QueueName, QueueSpec } from "#shared/app/manifest.ts";
import { forFile } from "#test/support/for-file.ts";
import { startSqsEmulatorWithClient } from "#test/support/local-aws.ts";

const emailsSpec: QueueSpec = {
  fifo: false,
  worker: "health",
  batchSize: 10,
  maxBatchingWindowSeconds: 1,
  visibilityTimeoutSeconds: 45,
  maxReceiveCount: 2,
  retentionDays: 4,
  dlqRetentionDays: 14,
};

const paymentsSpec: QueueSpec = {
  ...emailsSpec,
  fifo: true,
  visibilityTimeoutSeconds: 60,
  maxReceiveCount: 3,
};

let emulator: SqsEmulator;
let sqs: SQSClient;

function queue(name: QueueName): EmulatedQueue {
  const found = emulator.queueUrls[name];
  if (!found) throw new Error(`queue ${name} was not created`);
  return found;
}

async function receive(queueUrl: string, options: { max?: number; visibility?: number } = {}) {
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: options.max ?? 10,
      WaitTimeSeconds: 0,
      ...(options.visibility === undefined ? {} : { VisibilityTimeout: options.visibility }),
      MessageSystemAttributeNames: ["ApproximateReceiveCount"],
    }),
  );
  return out.Messages ?? [];
}

async function attributes(queueUrl: string) {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["All"] }));
  return out.Attributes ?? {};
}

/** Every message body in the queue, received and deleted: leaves the queue empty for the next test. */
async function drain(queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (let batch = await receive(queueUrl); batch.length > 0; batch = await receive(queueUrl)) {
    for (const message of batch) {
      bodies.push(message.Body ?? "");
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  }
  return bodies;
}

const bodies = (messages: Message[]) => messages.map((m) => m.Body);

forFile(
  () => startSqsEmulatorWithClient({ queues: { emails: emailsSpec, payments: paymentsSpec } }),
  (started) => {
    ({ emulator, sqs } = started);
  },
);

describe("SQS emulator: queues from the manifest", () => {
  it("names each queue and its DLQ after the manifest, FIFO ones with .fifo", () => {
    const emails = queue("emails");
    const payments = queue("payments");

    expect(emails.name).toBe("ferry-emails");
    expect(emails.url).toMatch(/\/ferry-emails$/);
    expect(emails.dlqUrl).toMatch(/\/ferry-emails-dlq$/);
    expect(emails.arn).toBe("arn:aws:sqs:us-east-1:000000000000:ferry-emails");
    expect(emails.dlqArn).toBe("arn:aws:sqs:us-east-1:000000000000:ferry-emails-dlq");
    expect(payments.name).toBe("ferry-payments.fifo");
    expect(payments.dlqUrl).toMatch(/\/ferry-payments-dlq\.fifo$/);
  });

  it("creates only the queues the manifest lists", async () => {
    const only = await startSqsEmulator({ queues: { emails: emailsSpec } });
    await only.stop();

    expect(Object.keys(only.queueUrls)).toEqual(["emails"]);
  });

  it("gives each queue its visibility timeout, retention and redrive policy", async () => {
    const emails = await attributes(queue("emails").url);
    const payments = await attributes(queue("payments").url);

    expect(emails.VisibilityTimeout).toBe("45");
    expect(emails.MessageRetentionPeriod).toBe(String(4 * 86_400));
    expect(JSON.parse(emails.RedrivePolicy ?? "{}")).toEqual({
      deadLetterTargetArn: queue("emails").dlqArn,
      maxReceiveCount: 2,
    });
    expect(payments.VisibilityTimeout).toBe("60");
    expect(payments.FifoQueue).toBe("true");
    expect(JSON.parse(payments.RedrivePolicy ?? "{}")).toMatchObject({ maxReceiveCount: 3 });
  });

  it("makes the DLQ of a FIFO queue a FIFO queue too", async () => {
    const dlq = await attributes(queue("payments").dlqUrl);

    expect(dlq.FifoQueue).toBe("true");
    expect(dlq.MessageRetentionPeriod).toBe(String(14 * 86_400));
  });
});

describe("SQS emulator: messages through the real SDK", () => {
  it("sends, receives and deletes on the standard queue", async () => {
    const url = queue("emails").url;
    const body = JSON.stringify({ taskId: randomUUID() });

    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    const [received] = await receive(url);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: received?.ReceiptHandle }));

    expect(received?.Body).toBe(body);
    expect(await receive(url, { visibility: 0 })).toEqual([]);
  });

  it("sends, receives and deletes on the FIFO queue", async () => {
    const url = queue("payments").url;
    const body = JSON.stringify({ eventId: randomUUID() });

    await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: body,
        MessageGroupId: "stripe:pi_1",
        MessageDeduplicationId: randomUUID(),
      }),
    );
    const [received] = await receive(url);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: received?.ReceiptHandle }));

    expect(received?.Body).toBe(body);
    expect(await receive(url, { visibility: 0 })).toEqual([]);
  });

  it("moves a message to the DLQ once it was received maxReceiveCount times", async () => {
    const { url, dlqUrl } = queue("emails");
    const body = `poison-${randomUUID()}`;
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));

    // Visibility 0: each failed attempt makes the message visible again at once.
    const first = await receive(url, { visibility: 0 });
    const second = await receive(url, { visibility: 0 });
    const third = await receive(url, { visibility: 0 });
    const inDlq = await receive(dlqUrl);

    expect(bodies(first)).toEqual([body]);
    expect(bodies(second)).toEqual([body]);
    expect(second[0]?.Attributes?.ApproximateReceiveCount).toBe("2");
    expect(third).toEqual([]);
    expect(bodies(inDlq)).toEqual([body]);
    await drain(dlqUrl);
  });

  it("drops a FIFO message sent again with the same deduplication id", async () => {
    const url = queue("payments").url;
    const dedupeId = `evt_${randomUUID()}`;
    const send = (body: string) =>
      sqs.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: body,
          MessageGroupId: "razorpay:pay_1",
          MessageDeduplicationId: dedupeId,
        }),
      );

    await send("first delivery");
    await send("retried delivery");

    expect(await drain(url)).toEqual(["first delivery"]);
  });

  it("delivers a FIFO group in order and holds it while a message is in flight", async () => {
    const url = queue("payments").url;
    const send = (body: string, group: string) =>
      sqs.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: body,
          MessageGroupId: group,
          MessageDeduplicationId: randomUUID(),
        }),
      );
    await send("a1", "group-a");
    await send("a2", "group-a");
    await send("b1", "group-b");

    const [a1] = await receive(url, { max: 1 });
    const whileA1InFlight = await receive(url);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: a1?.ReceiptHandle }));
    const afterA1 = await receive(url);

    expect(a1?.Body).toBe("a1");
    expect(bodies(whileA1InFlight)).toEqual(["b1"]);
    expect(bodies(afterA1)).toEqual(["a2"]);
    for (const m of [...whileA1InFlight, ...afterA1]) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    }
  });
});

describe("SQS emulator: network exposure", () => {
  it("listens on 127.0.0.1 only", async () => {
    const server = (emulator.raw as { server: Server }).server;
    const { address, port } = server.address() as AddressInfo;
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === "IPv4" && !i.internal)?.address;

    expect(new URL(emulator.endpoint).hostname).toBe("127.0.0.1");
    expect(address).toBe("127.0.0.1");
    if (external) {
      const outcome = await new Promise<string>((resolve) => {
        const socket = connect(port, external);
        socket.once("connect", () => {
          socket.destroy();
          resolve("connected");
        });
        socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? "error"));
      });
      expect(outcome).toBe("ECONNREFUSED");
    }
  });
});

/**
 * The local event source mapping: the runtime's pollers feed fixture workers from fauxqs queues
 * (a standard one: batch 3, 1 s window; a FIFO one), with maxReceiveCount 2 and a 3 s visibility
 * timeout. The fixture worker makes the messages it fails visible again at once.
 */
import { createHash, randomUUID } from "node:crypto";
import { createServer } from "node:net";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import type { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import type { LocalLog } from "#infra/local/functions/lambda-context.ts";
import { failedMessageIds, startQueuePoller } from "#infra/local/queues/sqs-poller.ts";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import { forFile } from "#test/support/for-file.ts";
import { localClientConfig } from "#test/support/local-aws.ts";
import { startLocalRuntimeWithFixtures } from "./fixtures/runtime.ts";

interface Delivery {
  batchId: string;
  batchSize: number;
  receiveCount: number;
  n: number;
  record: SQSRecord;
}

let runtime: LocalRuntime;
let redis: Redis;
let sqs: SQSClient;

function queue(name: "emails" | "payments") {
  const q = runtime.sqs.queueUrls[name];
  if (!q) throw new Error(`the fixture manifest has no ${name} queue`);
  return q;
}

async function sendAll(name: "emails" | "payments", bodies: object[], extra: { fifoGroup?: string } = {}) {
  await sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: queue(name).url,
      Entries: bodies.map((body, i) => ({
        Id: String(i),
        MessageBody: JSON.stringify(body),
        MessageAttributes: { kind: { DataType: "String", StringValue: "fixture" } },
        ...(extra.fifoGroup ? { MessageGroupId: extra.fifoGroup, MessageDeduplicationId: randomUUID() } : {}),
      })),
    }),
  );
}

const deliveries = async (runId: string): Promise<Delivery[]> =>
  (await redis.lrange(`fixture:sqs:${runId}`, 0, -1)).map((d) => JSON.parse(d) as Delivery);

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function queueDepth(url: string): Promise<number> {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return (
    Number(out.Attributes?.ApproximateNumberOfMessages) +
    Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible)
  );
}

forFile(startLocalRuntimeWithFixtures, (started) => {
  ({ runtime, redis } = started);
  sqs = new SQSClient(localClientConfig(runtime.sqs.endpoint));
});
afterAll(() => sqs?.destroy());

describe("SQS poller (standard queue)", () => {
  it("invokes the worker with batches of at most batchSize and deletes what succeeded", async () => {
    // Prepare
    const runId = randomUUID();

    // Act
    await sendAll(
      "emails",
      Array.from({ length: 7 }, (_, n) => ({ runId, n })),
    );
    const got = await eventually(
      () => deliveries(runId),
      (d) => d.length >= 7,
      "7 deliveries",
    );

    // Assess
    expect(got.map((d) => d.n).sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(Math.max(...got.map((d) => d.batchSize))).toBe(3);
    expect(got.every((d) => d.receiveCount === 1)).toBe(true);
    await eventually(
      () => queueDepth(queue("emails").url),
      (depth) => depth === 0,
      "an empty queue",
    );
  });

  it("builds records exactly as Lambda does", async () => {
    // Prepare
    const runId = randomUUID();
    const body = JSON.stringify({ runId, n: 0 });

    // Act
    await sendAll("emails", [{ runId, n: 0 }]);
    const [delivery] = await eventually(
      () => deliveries(runId),
      (d) => d.length >= 1,
      "a delivery",
    );

    // Assess
    const record = delivery?.record;
    expect(record).toMatchObject({
      body,
      md5OfBody: createHash("md5").update(body).digest("hex"),
      eventSource: "aws:sqs",
      eventSourceARN: queue("emails").arn,
      awsRegion: "us-east-1",
      messageAttributes: {
        kind: { stringValue: "fixture", stringListValues: [], binaryListValues: [], dataType: "String" },
      },
    });
    expect(record?.messageId).toBeTruthy();
    expect(record?.receiptHandle).toBeTruthy();
    expect(record?.attributes.ApproximateReceiveCount).toBe("1");
    expect(record?.attributes.SentTimestamp).toMatch(/^\d+$/);
    expect(record?.attributes.ApproximateFirstReceiveTimestamp).toMatch(/^\d+$/);
    expect(record?.attributes.SenderId).toBeTruthy();
  });

  it("on a partial batch failure deletes the others and redelivers only the failed message", async () => {
    // Prepare
    const runId = randomUUID();

    // Act: n=1 fails on its first receive only
    await sendAll("emails", [
      { runId, n: 0 },
      { runId, n: 1, failTimes: 1 },
      { runId, n: 2 },
    ]);
    const got = await eventually(
      () => deliveries(runId),
      (d) => d.length >= 4,
      "the redelivery",
    );
    await eventually(
      () => queueDepth(queue("emails").url),
      (depth) => depth === 0,
      "an empty queue",
    );

    // Assess
    const counts = (n: number) => got.filter((d) => d.n === n).map((d) => d.receiveCount);
    expect(counts(0)).toEqual([1]);
    expect(counts(1)).toEqual([1, 2]);
    expect(counts(2)).toEqual([1]);
  });

  it("moves a message that fails maxReceiveCount times to the DLQ", async () => {
    // Prepare
    const runId = randomUUID();

    // Act
    await sendAll("emails", [{ runId, n: 0, failTimes: 99 }]);
    await eventually(
      () => deliveries(runId),
      (d) => d.length >= 2,
      "two receives",
    );
    const dead = await eventually(
      async () =>
        (
          await sqs.send(
            new ReceiveMessageCommand({
              QueueUrl: queue("emails").dlqUrl,
              MaxNumberOfMessages: 10,
              WaitTimeSeconds: 1,
            }),
          )
        ).Messages ?? [],
      (messages) => messages.some((m) => m.Body?.includes(runId)),
      "the message in the DLQ",
    );

    // Assess
    expect(dead.find((m) => m.Body?.includes(runId))?.Body).toBe(
      JSON.stringify({ runId, n: 0, failTimes: 99 }),
    );
    expect((await deliveries(runId)).map((d) => d.receiveCount)).toEqual([1, 2]);
  });

  it("deletes nothing from a batch whose worker throws", async () => {
    // Prepare
    const runId = randomUUID();

    // Act: n=0 makes the worker throw for its whole batch on its first receive
    await sendAll("emails", [
      { runId, n: 0, throwOnFirst: true },
      { runId, n: 1 },
      { runId, n: 2 },
    ]);
    const thrownBatch = await eventually(
      async () => (await deliveries(runId)).find((d) => d.n === 0 && d.receiveCount === 1)?.batchId,
      (id) => id !== undefined,
      "the throwing batch",
    );
    const members = (await deliveries(runId)).filter((d) => d.batchId === thrownBatch).map((d) => d.n);
    const got = await eventually(
      () => deliveries(runId),
      (d) => members.every((n) => d.some((x) => x.n === n && x.receiveCount === 2)),
      "every member of the failed batch again",
    );

    // Assess: every message of the failed batch came back
    for (const n of members) {
      expect(got.filter((d) => d.n === n).map((d) => d.receiveCount)).toEqual([1, 2]);
    }
    expect(members).toContain(0);
  });
});

describe("SQS poller (FIFO queue)", () => {
  it("keeps group order and passes the FIFO attributes", async () => {
    // Prepare
    const runId = randomUUID();

    // Act
    await sendAll(
      "payments",
      Array.from({ length: 5 }, (_, n) => ({ runId, n })),
      { fifoGroup: `group-${runId}` },
    );
    const got = await eventually(
      () => deliveries(runId),
      (d) => d.length >= 5,
      "5 deliveries",
    );

    // Assess
    expect(got.map((d) => d.n)).toEqual([0, 1, 2, 3, 4]);
    const attributes = got[0]?.record.attributes;
    expect(attributes?.MessageGroupId).toBe(`group-${runId}`);
    expect(attributes?.MessageDeduplicationId).toBeTruthy();
    expect(attributes?.SequenceNumber).toMatch(/^\d+$/);
    expect(got[0]?.record.eventSourceARN).toBe(queue("payments").arn);
  });
});

describe("SQS poller (on its own)", () => {
  const recordingLog = () => {
    const errors: string[] = [];
    const log: LocalLog = { info: () => undefined, error: (message) => errors.push(message) };
    return { log, errors };
  };

  it("stop() waits for the batch in flight, which is then deleted", async () => {
    // Prepare: a queue of its own, so the runtime's pollers do not take its messages
    const created = await sqs.send(new CreateQueueCommand({ QueueName: `poller-stop-${randomUUID()}` }));
    const url = created.QueueUrl ?? "";
    const { log } = recordingLog();
    let started: () => void = () => undefined;
    const workerStarted = new Promise<void>((resolve) => {
      started = resolve;
    });
    let finished = false;
    const poller = startQueuePoller({
      queue: {
        name: "stop-test",
        url,
        arn: "arn:aws:sqs:us-east-1:000000000000:stop-test",
        fifo: false,
        batchSize: 1,
        maxBatchingWindowSeconds: 0,
        worker: "w",
      },
      sqs,
      region: "us-east-1",
      log,
      invoke: async () => {
        started();
        await new Promise((r) => setTimeout(r, 300));
        finished = true;
        return { batchItemFailures: [] };
      },
    });
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: "0", MessageBody: "x" }] }));
    await workerStarted;

    // Act
    await poller.stop();

    // Assess
    expect(finished).toBe(true);
    expect(await queueDepth(url)).toBe(0);
  });

  it("invokes what it received when a later receive in the batching window fails", async () => {
    // Prepare: a queue of its own; its second ReceiveMessage (inside the window) fails, a fault
    // fauxqs cannot produce on demand, so this client wrapper throws it
    const created = await sqs.send(new CreateQueueCommand({ QueueName: `poller-window-${randomUUID()}` }));
    const url = created.QueueUrl ?? "";
    const { log, errors } = recordingLog();
    let receives = 0;
    const flaky = {
      send: (command: unknown) => {
        if (command instanceof ReceiveMessageCommand && ++receives === 2) {
          return Promise.reject(new Error("receive failed"));
        }
        return sqs.send(command as ReceiveMessageCommand);
      },
    } as unknown as SQSClient;
    const invoked: string[] = [];
    const poller = startQueuePoller({
      queue: {
        name: "window-test",
        url,
        arn: "arn:aws:sqs:us-east-1:000000000000:window-test",
        fifo: false,
        batchSize: 10,
        maxBatchingWindowSeconds: 2,
        worker: "w",
      },
      sqs: flaky,
      region: "us-east-1",
      log,
      invoke: async (_name, event) => {
        invoked.push(...(event as SQSEvent).Records.map((r) => r.body));
        return { batchItemFailures: [] };
      },
    });
    try {
      // Act
      await sqs.send(
        new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: "0", MessageBody: "kept" }] }),
      );

      // Assess: invoked at once, not after its visibility timeout, and deleted
      // (a dropped message would come back only after the queue's 30 s visibility timeout)
      await eventually(
        async () => invoked,
        (names) => names.includes("kept"),
        "the received message invoked",
      );
      await eventually(
        () => queueDepth(url),
        (depth) => depth === 0,
        "the queue drained",
      );
      expect(invoked).toEqual(["kept"]);
      expect(errors.some((e) => e.includes("batching window"))).toBe(true);
    } finally {
      await poller.stop();
    }
  });

  /** A poller on a queue of its own (so the runtime's pollers take none of its messages). */
  async function ownQueuePoller(
    name: string,
    invoke: (event: SQSEvent) => Promise<unknown>,
    maxConcurrency?: number,
  ) {
    const created = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-${randomUUID()}` }));
    const url = created.QueueUrl ?? "";
    const poller = startQueuePoller({
      queue: {
        name,
        url,
        arn: `arn:aws:sqs:us-east-1:000000000000:${name}`,
        fifo: false,
        batchSize: 1,
        maxBatchingWindowSeconds: 0,
        worker: "w",
        ...(maxConcurrency !== undefined ? { maxConcurrency } : {}),
      },
      sqs,
      region: "us-east-1",
      log: recordingLog().log,
      invoke: (_name, event) => invoke(event as SQSEvent),
    });
    const send = (count: number) =>
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: Array.from({ length: count }, (_, i) => ({ Id: String(i), MessageBody: String(i) })),
        }),
      );
    return { url, poller, send };
  }

  it("keeps two batches in flight at once, as the mapping's default maximum concurrency allows", async () => {
    // Prepare: a worker that finishes only once two batches are running at the same time
    let running = 0;
    let bothRunning: () => void = () => undefined;
    const together = new Promise<void>((resolve) => {
      bothRunning = resolve;
    });
    const { url, poller, send } = await ownQueuePoller("poller-two", async () => {
      running++;
      if (running === 2) bothRunning();
      const met = await Promise.race([
        together.then(() => true),
        new Promise<false>((r) => setTimeout(() => r(false), 10_000)),
      ]);
      running--;
      if (!met) throw new Error("only one batch was in flight");
      return { batchItemFailures: [] };
    });

    // Act
    await send(2);
    await together;

    // Assess: both batches succeeded and were deleted
    await eventually(
      () => queueDepth(url),
      (depth) => depth === 0,
      "both messages deleted",
    );
    await poller.stop();
  }, 30_000);

  it("never has more batches in flight than the queue's maxConcurrency", async () => {
    // Prepare
    let running = 0;
    let most = 0;
    let handled = 0;
    const { url, poller, send } = await ownQueuePoller(
      "poller-cap",
      async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 200));
        running--;
        handled++;
        return { batchItemFailures: [] };
      },
      3,
    );

    // Act
    await send(9);
    await eventually(
      async () => handled,
      (n) => n === 9,
      "nine batches handled",
    );
    await poller.stop();

    // Assess
    expect(most).toBe(3);
    expect(await queueDepth(url)).toBe(0);
  }, 30_000);

  it("logs SQS errors and keeps retrying instead of crashing", async () => {
    // Prepare: an endpoint where nothing listens
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === "object" && address ? address.port : 0));
      });
    });
    const unreachable = new SQSClient({
      ...localClientConfig(`http://127.0.0.1:${port}`),
      maxAttempts: 1,
    });
    const { log, errors } = recordingLog();

    // Act
    const poller = startQueuePoller({
      queue: {
        name: "gone",
        url: `http://127.0.0.1:${port}/000000000000/gone`,
        arn: "arn:aws:sqs:us-east-1:000000000000:gone",
        fifo: false,
        batchSize: 1,
        maxBatchingWindowSeconds: 0,
        worker: "w",
      },
      sqs: unreachable,
      region: "us-east-1",
      log,
      invoke: async () => undefined,
      retryPauseMs: 20,
    });
    await eventually(
      async () => errors.length,
      (n) => n >= 2,
      "two logged errors",
    );
    await poller.stop();
    unreachable.destroy();

    // Assess
    expect(errors[0]).toMatch(/SQS poller error/);
  });

  it.each([
    ["no result", undefined, []],
    ["an empty list", { batchItemFailures: [] }, []],
    ["known ids", { batchItemFailures: [{ itemIdentifier: "b" }] }, ["b"]],
  ])("reads %s as the failed ids", (_, result, ids) => {
    // Act
    const failed = failedMessageIds(result, new Set(["a", "b"]));

    // Assess
    expect(failed === "all" ? "all" : [...failed]).toEqual(ids);
  });

  it.each([
    ["an unknown id", { batchItemFailures: [{ itemIdentifier: "zzz" }] }],
    ["an empty id", { batchItemFailures: [{ itemIdentifier: "" }] }],
    ["a missing id", { batchItemFailures: [{}] }],
    ["a non-list", { batchItemFailures: "a" }],
  ])("fails the whole batch for a response with %s, as Lambda does", (_, result) => {
    // Act / Assess
    expect(failedMessageIds(result, new Set(["a", "b"]))).toBe("all");
  });
});

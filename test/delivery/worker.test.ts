/**
 * The events worker on SQS records against a real redis-server: it pushes a task only when a
 * recipient's record changed, leaves a record that is not an SES event for the DLQ, acknowledges
 * event types it does not follow, and pauses sending (the SES breaker opens with reason
 * `reputation`) once the window's bounce rate reaches its limit with the pause on.
 */
import { randomUUID } from "node:crypto";
import type { SQSRecord } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SesMail, sesEvent } from "#infra/local/aws/ses-events.ts";
import { type DeliveryWorkerDeps, processDeliveryBatch } from "#shared/delivery/worker.ts";
import { SesCircuitBreaker } from "#shared/email/circuit-breaker.ts";
import { logger } from "#shared/logger.ts";
import { newQueuedTask, saveQueuedTask } from "#shared/tasks/store.ts";
import type { Task } from "#shared/tasks/task.ts";
import { startTestRedis, type TestRedis } from "#test/support/upstash.ts";

let t: TestRedis;
beforeAll(async () => {
  t = await startTestRedis();
});
afterAll(() => t.close());

const record = (body: string): SQSRecord =>
  ({
    messageId: randomUUID(),
    receiptHandle: "r",
    body,
    attributes: { ApproximateReceiveCount: "1" },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:ferry-events",
    awsRegion: "us-east-1",
  }) as unknown as SQSRecord;

function harness(overrides: Partial<DeliveryWorkerDeps["reputation"]> = {}) {
  const pushed: Task[] = [];
  const paused: string[] = [];
  const breaker = new SesCircuitBreaker(t.redis, {
    key: `ferry:test-breaker:${randomUUID()}`,
    threshold: 5,
    windowMs: 10_000,
    cooldownMs: 5_000,
    maxCooldownMs: 60_000,
  });
  // A moment of its own, so no other test's counts share this window.
  const now = new Date(Date.UTC(2032, 0, 1) + Math.floor(Math.random() * 1e10));
  const deps: DeliveryWorkerDeps = {
    redis: t.redis,
    breaker,
    reputation: {
      windowSeconds: 3600,
      maxBounceRate: 0.04,
      maxComplaintRate: 0.0008,
      minSent: 2,
      pause: true,
      pauseSeconds: 600,
      ...overrides,
    },
    onTaskUpdated: async (task) => void pushed.push(task),
    onPaused: (why) => void paused.push(why),
    now: () => now,
    logger,
  };
  return { deps, pushed, paused, breaker, now };
}

async function emailTo(recipients: string[]) {
  const task = newQueuedTask(`tsk_${randomUUID().replaceAll("-", "")}`, "key_w", new Date());
  await saveQueuedTask(t.redis, task);
  const mail: SesMail = {
    messageId: `ses-${randomUUID()}`,
    timestamp: new Date().toISOString(),
    source: "ferry@ferry.local",
    destination: recipients,
    tags: { ferry_task: [task.id] },
  };
  return { task, mail };
}

describe("the events worker", () => {
  it("pushes a change once, not its duplicate, and fails only the record that is not an SES event", async () => {
    const { deps, pushed } = harness({ pause: false });
    const { task, mail } = await emailTo(["a@example.org"]);
    const delivered = JSON.stringify(
      sesEvent({ type: "Delivery", mail, recipients: ["a@example.org"], at: mail.timestamp }),
    );
    const open = JSON.stringify({ ...sesEvent({ type: "Send", mail }), detail: { eventType: "Open", mail } });
    const bad = record("{not json");
    const out = await processDeliveryBatch(deps, [record(delivered), record(delivered), bad, record(open)]);
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: bad.messageId }]);
    expect(pushed.map((p) => [p.id, p.delivery?.["a@example.org"]?.state])).toEqual([[task.id, "delivered"]]);
  });

  it("applies one task's events of a batch in order, so its pushes leave in version order", async () => {
    const { deps, pushed } = harness({ pause: false });
    const recipients = ["q1@example.org", "q2@example.org", "q3@example.org"];
    const { mail } = await emailTo(recipients);
    const batch = [
      sesEvent({ type: "Send", mail }),
      ...recipients.map((r, i) =>
        sesEvent({
          type: "Delivery",
          mail,
          recipients: [r],
          at: new Date(Date.parse(mail.timestamp) + i).toISOString(),
        }),
      ),
    ].map((e) => record(JSON.stringify(e)));
    await processDeliveryBatch(deps, batch);
    const versions = pushed.map((p) => p.version);
    expect(versions).toHaveLength(4);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
  });

  it("pauses sending for reputation when the bounce rate reaches its limit", async () => {
    const { deps, paused, breaker, now } = harness();
    const recipients = ["x@example.org", "y@example.org", "z@example.org"];
    const { mail } = await emailTo(recipients);
    const bounce = sesEvent({
      type: "Bounce",
      mail,
      bounceType: "Permanent",
      bounceSubType: "General",
      recipients: [{ emailAddress: "x@example.org", diagnosticCode: "smtp; 550 5.1.1 user unknown" }],
      at: mail.timestamp,
    });
    await processDeliveryBatch(deps, [record(JSON.stringify(sesEvent({ type: "Send", mail })))]);
    expect((await breaker.state(now.getTime())).state).toBe("closed");
    await processDeliveryBatch(deps, [record(JSON.stringify(bounce))]);
    expect(paused).toEqual([expect.stringContaining("bounce rate 33.33 %")]);
    expect(await breaker.state(now.getTime())).toMatchObject({ state: "open", reason: "reputation" });
    expect(await breaker.check(now.getTime(), 1_000)).toMatchObject({ allow: false });
  });

  it("only reports the rates when the pause is off, and judges nothing below the minimum volume", async () => {
    const off = harness({ pause: false });
    const few = harness({ minSent: 1000 });
    for (const h of [off, few]) {
      const { mail } = await emailTo(["p@example.org"]);
      const bounce = sesEvent({
        type: "Bounce",
        mail,
        bounceType: "Permanent",
        bounceSubType: "General",
        recipients: [{ emailAddress: "p@example.org" }],
        at: mail.timestamp,
      });
      await processDeliveryBatch(h.deps, [record(JSON.stringify(bounce))]);
      expect(h.paused).toEqual([]);
      expect((await h.breaker.state(h.now.getTime())).state).toBe("closed");
    }
  });
});

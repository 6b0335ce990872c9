/**
 * The email worker's decisions around the circuit breaker and the send lease, against real
 * Redis and a real SESv2 client (SES emulator behind the fault proxy). Records are built as the
 * event source mapping delivers them.
 */
import { randomUUID } from "node:crypto";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type SesEmulator, startSesEmulator } from "#infra/local/aws/ses-emulator.ts";
import type { SesCircuitBreaker } from "#shared/email/circuit-breaker.ts";
import { acquireSendLease } from "#shared/email/send-lease.ts";
import { type EmailWorkerDeps, processEmailRecord } from "#shared/email/worker.ts";
import { getTask } from "#shared/tasks/store.ts";
import type { Task } from "#shared/tasks/task.ts";
import { localClientConfig } from "#test/support/local-aws.ts";
import { type SesFaultProxy, startSesFaultProxy } from "#test/support/ses-fault-proxy.ts";
import { startTestRedis, type TestRedis } from "#test/support/upstash.ts";
import { emailRecord, emailWorkerDeps, testBreaker } from "./support/worker-deps.ts";

let redis: TestRedis;
let ses: SesEmulator;
let faults: SesFaultProxy;
let breaker: SesCircuitBreaker;
let pushed: Task[];

beforeAll(async () => {
  redis = await startTestRedis();
  ses = await startSesEmulator();
  faults = await startSesFaultProxy(ses.endpoint);
});
afterAll(async () => {
  await faults?.close();
  await ses?.stop();
  await redis?.close();
});
beforeEach(() => {
  faults.setPlan(() => ({ kind: "forward" }));
  pushed = [];
  breaker = testBreaker(redis.redis, 1);
});

const NOW = new Date("2026-11-21T12:00:00Z");

function deps(overrides: Partial<EmailWorkerDeps> = {}): EmailWorkerDeps {
  return emailWorkerDeps(
    {
      redis: redis.redis,
      ses: new SESv2Client({ ...localClientConfig(faults.endpoint), maxAttempts: 1 }),
      breaker,
    },
    {
      onTaskUpdated: async (task) => void pushed.push(task),
      now: () => NOW,
      random: () => 0.5,
      ...overrides,
    },
  );
}

const recordFor = (subject: string, createdAt = NOW, receiveCount = 1) =>
  emailRecord(subject, { createdAt, receiveCount });

const callsFor = (subject: string) => faults.calls.filter((c) => c.subject === subject).length;

describe("email worker and the circuit breaker", () => {
  it("requeues instead of retrying while the circuit is open, so waiting uses up no receives", async () => {
    await breaker.recordThrottle(NOW.getTime());
    const subject = `open ${randomUUID()}`;
    const { record, taskId } = recordFor(subject);

    const outcome = await processEmailRecord(deps(), record);

    expect(outcome).toEqual({ kind: "requeue", delaySeconds: 5 + 1 });
    expect(callsFor(subject)).toBe(0);
    expect(await getTask(redis.redis, taskId)).toBeUndefined();
    // The claim was given back: the requeued copy can take it at once.
    expect(await acquireSendLease(redis.redis, taskId, randomUUID(), NOW.getTime(), 1000)).toEqual({
      kind: "acquired",
    });
  });

  it("gives up an email the open circuit has held back for longer than the maximum age", async () => {
    await breaker.recordThrottle(NOW.getTime());
    const { record, taskId } = recordFor(`old ${randomUUID()}`, new Date(NOW.getTime() - 3_601_000));

    const outcome = await processEmailRecord(deps(), record);

    expect(outcome).toEqual({ kind: "done" });
    expect(await getTask(redis.redis, taskId)).toMatchObject({
      status: "failed",
      error: { code: "retries_exhausted" },
    });
  });

  it("closes the circuit when the probe gets any answer from SES other than a throttle", async () => {
    await breaker.recordThrottle(NOW.getTime() - 10_000);
    const subject = `probe ${randomUUID()}`;
    faults.setPlan((c) =>
      c.subject === subject
        ? { kind: "error", status: 500, errorType: "InternalFailure", message: "boom" }
        : { kind: "forward" },
    );
    const { record, taskId } = recordFor(subject);

    const outcome = await processEmailRecord(deps(), record);

    expect(outcome).toMatchObject({ kind: "retry" });
    expect((await getTask(redis.redis, taskId))?.status).toBe("retrying");
    expect((await breaker.state(NOW.getTime())).state).toBe("closed");
  });
});

describe("email worker and the send lease", () => {
  it("sends when the previous holder died before calling SES (its claim expired)", async () => {
    const subject = `takeover ${randomUUID()}`;
    const { record, taskId } = recordFor(subject);
    await acquireSendLease(redis.redis, taskId, "dead-worker", NOW.getTime() - 60_000, 30_000);

    const outcome = await processEmailRecord(deps(), record);

    expect(outcome).toEqual({ kind: "done" });
    expect(callsFor(subject)).toBe(1);
    expect(await getTask(redis.redis, taskId)).toMatchObject({ status: "succeeded" });
    expect(pushed.map((t) => t.status)).toEqual(["processing", "succeeded"]);
  });
});

/**
 * Fault suite, SQS and the worker: the queue refusing sends (the API answers 503, nothing is
 * accepted that is not queued), and the email worker's sandbox killed in the middle of a batch,
 * while SES calls are in flight (redelivered messages never send twice).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import { startTestRuntime } from "#test/support/runtime.ts";
import { measure, sendMany, writeReport } from "./support/figures.ts";
import { startFaultRuntime } from "./support/runtime.ts";

const COUNT = 20;
let rt: LocalRuntime;

beforeAll(async () => {
  rt = await startTestRuntime({ EMAIL_RETRY_BASE_SECONDS: "1", EMAIL_RETRY_MAX_SECONDS: "2" }, { db: 10 });
});

afterAll(async () => {
  await rt?.stop();
  writeReport();
});

describe("fault suite: SQS", () => {
  it("refusing sends: SendMessage answered 503 for 5 requests (every retry); they get 503, the rest are sent once", async () => {
    // Prepare: the SDK retries a 503, so the queue refuses every attempt of requests #5 to #9.
    const prefix = `sqs-refuse-${Date.now()}`;
    const refusedFor = new Set([5, 6, 7, 8, 9].map((i) => `${prefix} #${i}"`));
    const remove = rt.aws.sqs.use((c) => {
      if (c.action !== "SendMessage") return undefined;
      const body = String(c.input.MessageBody ?? "");
      if (![...refusedFor].some((subject) => body.includes(subject))) return undefined;
      return { kind: "error", status: 503, code: "ServiceUnavailable", message: "Service is unavailable." };
    });
    const startedAt = Date.now();

    // Act
    const outcomes = await sendMany(rt, prefix, COUNT);
    remove();
    const figures = await measure(
      rt,
      "SQS refusing sends",
      "SendMessage → 503 for 5 requests",
      outcomes,
      startedAt,
    );

    // Assess
    expect(figures).toMatchObject({
      sent: COUNT,
      accepted: COUNT - 5,
      refused: { "503": 5 },
      applied: COUNT - 5,
      duplicated: 0,
      lost: 0,
      stuck: 0,
      sentAnyway: 0,
    });
  }, 60_000); // Its first requests cold-start a sandbox per concurrent invocation: slow on a loaded machine.
});

describe("fault suite: worker killed mid-batch", () => {
  let crashing: LocalRuntime;
  beforeAll(async () => {
    crashing = await startFaultRuntime(`${inject("redisUrl")}/11`);
  });
  afterAll(async () => {
    await crashing?.stop();
  });

  it("its sandbox killed during SES calls: no email sent twice, none lost, none stuck", async () => {
    // Prepare: on the 8th SendEmail of this scenario, the worker's sandbox dies while that call
    // and the rest of its batch are in flight.
    const prefix = `worker-crash-${Date.now()}`;
    let calls = 0;
    crashing.aws.ses.use((c) => {
      if (c.action !== "SendEmail" || !JSON.stringify(c.input).includes(prefix)) return undefined;
      calls++;
      if (calls === 8) void crashing.crashFunction("emailWorker");
      return undefined;
    });
    const startedAt = Date.now();

    // Act
    const outcomes = await sendMany(crashing, prefix, COUNT, { concurrency: 10 });
    const figures = await measure(
      crashing,
      "Worker killed mid-batch",
      "email worker sandbox killed at the 8th SendEmail",
      outcomes,
      startedAt,
    );

    // Assess
    expect(figures).toMatchObject({ sent: COUNT, accepted: COUNT, duplicated: 0, lost: 0, stuck: 0 });
    expect(figures.applied + (figures.failed.delivery_unknown ?? 0)).toBeGreaterThanOrEqual(COUNT);
  }, 90_000);
});

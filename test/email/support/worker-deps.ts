/**
 * The email worker called directly, as its tests do: its dependencies with the settings those
 * tests assume, a breaker of each test's own, and a record holding an email task's message.
 */
import { randomUUID } from "node:crypto";
import type { SESv2Client } from "@aws-sdk/client-sesv2";
import type { SQSRecord } from "aws-lambda";
import { SesCircuitBreaker } from "#shared/email/circuit-breaker.ts";
import { buildEmailMessage } from "#shared/email/message.ts";
import type { EmailWorkerDeps } from "#shared/email/worker.ts";
import type { RedisClient } from "#shared/redis/client.ts";
import { sqsRecord } from "#test/support/sqs-records.ts";

/** A breaker on a Redis key of its own (so tests never share one): 10 s window, 5 s cooldown. */
export function testBreaker(redis: RedisClient, threshold: number): SesCircuitBreaker {
  return new SesCircuitBreaker(redis, {
    key: `test:breaker:${randomUUID()}`,
    threshold,
    windowMs: 10_000,
    cooldownMs: 5_000,
    maxCooldownMs: 60_000,
  });
}

/** Retries 1 s then up to 4 s, 8 receives, a 30 s lease, given up after an hour; `overrides` last. */
export function emailWorkerDeps(
  base: { readonly redis: RedisClient; readonly ses: SESv2Client; readonly breaker: SesCircuitBreaker },
  overrides: Partial<EmailWorkerDeps> = {},
): EmailWorkerDeps {
  return {
    ...base,
    from: "sender@ferry.test",
    retryBaseSeconds: 1,
    retryMaxSeconds: 4,
    maxReceiveCount: 8,
    leaseMs: 30_000,
    maxAgeSeconds: 3600,
    onTaskUpdated: async () => undefined,
    ...overrides,
  };
}

/** A delivery of a new email task's message to `a@example.com`; `taskId` is the task's id. */
export function emailRecord(
  subject: string,
  options: { readonly createdAt: Date; readonly receiveCount?: number },
): { record: SQSRecord; taskId: string } {
  const taskId = `tsk_${randomUUID()}`;
  const message = buildEmailMessage(taskId, "key_w", options.createdAt, {
    to: ["a@example.com"],
    subject,
    text: "t",
  });
  return {
    record: sqsRecord(JSON.stringify(message), { receiveCount: options.receiveCount ?? 1 }),
    taskId,
  };
}

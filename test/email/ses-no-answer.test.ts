/**
 * What the email worker does when SES gives no answer, or refuses this deployment, with the real
 * SESv2 client (Ferry's timed handler, short budgets) against real sockets on 127.0.0.1:
 *   - the whole request was sent and no answer came: SES may have the email → `delivery_unknown`,
 *     and no later delivery calls SES again;
 *   - the request never got out (refused connection; an HTTPS endpoint that accepts the TCP
 *     connection and never finishes the handshake, which is what a hung SES looks like): SES
 *     cannot have it → `retrying`, and the send lease is free for the retry;
 *   - AccessDenied: `failed` with `ses_access_denied`, no account id or role on the task, and an
 *     error log line with that errorCode for the operator.
 */
import { randomUUID } from "node:crypto";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { type SesEmulator, startSesEmulator } from "#infra/local/aws/ses-emulator.ts";
import { timedHttpHandler } from "#shared/aws/http-handler.ts";
import { acquireSendLease } from "#shared/email/send-lease.ts";
import { type EmailWorkerDeps, processEmailRecord } from "#shared/email/worker.ts";
import { logger } from "#shared/logger.ts";
import { getTask } from "#shared/tasks/store.ts";
import { localClientConfig } from "#test/support/local-aws.ts";
import { accessDenied, hang, type SesFaultProxy, startSesFaultProxy } from "#test/support/ses-fault-proxy.ts";
import { closedPort, type SilentServer, startSilentServer } from "#test/support/silent-server.ts";
import { startTestRedis, type TestRedis } from "#test/support/upstash.ts";
import { emailRecord, emailWorkerDeps, testBreaker } from "./support/worker-deps.ts";

const BUDGET = { connectionTimeoutMs: 500, requestTimeoutMs: 800, maxAttempts: 1 } as const;
const NOW = new Date("2026-11-21T12:00:00Z");
const LEASE_MS = 30_000;

let redis: TestRedis;
let ses: SesEmulator;
let faults: SesFaultProxy;
let silent: SilentServer;

beforeAll(async () => {
  redis = await startTestRedis();
  ses = await startSesEmulator();
  faults = await startSesFaultProxy(ses.endpoint);
  silent = await startSilentServer();
});
afterAll(async () => {
  await silent?.close();
  await faults?.close();
  await ses?.stop();
  await redis?.close();
});
beforeEach(() => faults.setPlan(() => ({ kind: "forward" })));

const sesAt = (endpoint: string) =>
  new SESv2Client({
    ...localClientConfig(endpoint),
    requestHandler: timedHttpHandler(BUDGET),
    maxAttempts: BUDGET.maxAttempts,
  });

const deps = (endpoint: string, now = NOW): EmailWorkerDeps =>
  emailWorkerDeps(
    { redis: redis.redis, ses: sesAt(endpoint), breaker: testBreaker(redis.redis, 5) },
    { leaseMs: LEASE_MS, now: () => now, random: () => 0.5 },
  );

const recordFor = (subject: string) => emailRecord(subject, { createdAt: NOW });

const callsFor = (subject: string) => faults.calls.filter((c) => c.subject === subject).length;
const leaseIsFree = async (taskId: string) =>
  (await acquireSendLease(redis.redis, taskId, randomUUID(), NOW.getTime(), 1000)).kind === "acquired";

describe("SES gets the whole request and never answers", () => {
  it("fails the task with delivery_unknown within the budget, and no later delivery calls SES again", async () => {
    const subject = `hang ${randomUUID()}`;
    faults.setPlan((c) => (c.subject === subject ? hang() : { kind: "forward" }));
    const { record, taskId } = recordFor(subject);

    const started = performance.now();
    const outcome = await processEmailRecord(deps(faults.endpoint), record);
    const elapsed = performance.now() - started;
    const afterLease = new Date(NOW.getTime() + LEASE_MS + 1000);
    const redelivered = await processEmailRecord(deps(faults.endpoint, afterLease), record);

    expect(outcome).toEqual({ kind: "done" });
    expect(elapsed).toBeLessThan(5 * BUDGET.requestTimeoutMs);
    expect(await getTask(redis.redis, taskId)).toMatchObject({
      status: "failed",
      attempts: 1,
      error: { code: "delivery_unknown" },
    });
    expect(redelivered).toEqual({ kind: "done" });
    expect(callsFor(subject)).toBe(1);
  });
});

describe("the request never gets out", () => {
  it("retries when the HTTPS endpoint accepts the connection and never finishes the TLS handshake", async () => {
    const { record, taskId } = recordFor(`tls ${randomUUID()}`);

    const outcome = await processEmailRecord(deps(`https://127.0.0.1:${silent.port}`), record);

    expect(outcome).toMatchObject({ kind: "retry" });
    expect(await getTask(redis.redis, taskId)).toMatchObject({
      status: "retrying",
      error: { code: "TimeoutError" },
    });
    expect(await leaseIsFree(taskId)).toBe(true);
  });

  it("retries when SES refuses the connection", async () => {
    const { record, taskId } = recordFor(`refused ${randomUUID()}`);

    const outcome = await processEmailRecord(deps(`http://127.0.0.1:${await closedPort()}`), record);

    expect(outcome).toMatchObject({ kind: "retry" });
    expect((await getTask(redis.redis, taskId))?.status).toBe("retrying");
    expect(await leaseIsFree(taskId)).toBe(true);
  });
});

describe("SES answers AccessDenied", () => {
  it("fails the task with ses_access_denied, hides the account and role, and logs an error for the operator", async () => {
    const subject = `denied ${randomUUID()}`;
    faults.setPlan((c) => (c.subject === subject ? accessDenied() : { kind: "forward" }));
    const { record, taskId } = recordFor(subject);
    // The record's own logger, as the batch runner hands each record one.
    const log = logger.createChild();
    const errors = vi.spyOn(log, "error");

    const outcome = await processEmailRecord(deps(faults.endpoint), record, log);

    expect(outcome).toEqual({ kind: "done" });
    const task = await getTask(redis.redis, taskId);
    expect(task).toMatchObject({ status: "failed", attempts: 1, error: { code: "ses_access_denied" } });
    expect(JSON.stringify(task)).not.toMatch(/123456789012|EmailWorkerFunctionRole|arn:aws/);
    expect(errors).toHaveBeenCalledWith(
      expect.any(String),
      expect.objectContaining({
        errorCode: "ses_access_denied",
        sesErrorCode: "AccessDeniedException",
        errorMessage: expect.stringContaining("123456789012"),
      }),
    );
    expect(callsFor(subject)).toBe(1);
    errors.mockRestore();
  });
});

import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acquireSendLease, beginSend, recordSent, releaseSendLease } from "#shared/email/send-lease.ts";
import { startTestRedis, type TestRedis } from "#test/support/upstash.ts";

let t: TestRedis;
beforeAll(async () => {
  t = await startTestRedis();
});
afterAll(() => t.close());

describe("send lease: at most one SES call per task", () => {
  it("lets exactly one of many concurrent deliveries send", async () => {
    const taskId = randomUUID();
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => acquireSendLease(t.redis, taskId, randomUUID(), 1_000, 30_000)),
    );
    expect(outcomes.filter((o) => o.kind === "acquired")).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === "busy")).toHaveLength(19);
  });

  it("reports a recorded send to every later delivery", async () => {
    const taskId = randomUUID();
    const token = randomUUID();
    await acquireSendLease(t.redis, taskId, token, 1_000, 30_000);
    expect(await recordSent(t.redis, taskId, token, "ses-1")).toBe(true);
    expect(await acquireSendLease(t.redis, taskId, randomUUID(), 99_000, 30_000)).toEqual({
      kind: "sent",
      messageId: "ses-1",
    });
  });

  it("hands an expired claim to the next delivery: its holder died before calling SES", async () => {
    const taskId = randomUUID();
    const dead = randomUUID();
    await acquireSendLease(t.redis, taskId, dead, 1_000, 30_000);

    const early = await acquireSendLease(t.redis, taskId, randomUUID(), 20_000, 30_000);
    const takeover = await acquireSendLease(t.redis, taskId, randomUUID(), 31_000, 30_000);

    expect(early).toMatchObject({ kind: "busy" });
    expect(takeover).toEqual({ kind: "acquired" });
    // The dead holder, were it to wake up, may no longer call SES.
    expect(await beginSend(t.redis, taskId, dead, 31_500, 30_000)).toBe(false);
  });

  it("reports an expired send without an outcome as unknown (a worker died during the SES call)", async () => {
    const taskId = randomUUID();
    const token = randomUUID();
    await acquireSendLease(t.redis, taskId, token, 1_000, 30_000);
    expect(await beginSend(t.redis, taskId, token, 2_000, 30_000)).toBe(true);

    expect(await acquireSendLease(t.redis, taskId, randomUUID(), 31_000, 30_000)).toMatchObject({
      kind: "busy",
    });
    expect(await acquireSendLease(t.redis, taskId, randomUUID(), 32_000, 30_000)).toEqual({
      kind: "unknown",
    });
  });

  it("lets a later attempt send after a release, and ignores a settle by a non-holder", async () => {
    const taskId = randomUUID();
    const holder = randomUUID();
    await acquireSendLease(t.redis, taskId, holder, 1_000, 30_000);
    expect(await recordSent(t.redis, taskId, randomUUID(), "forged")).toBe(false);
    await releaseSendLease(t.redis, taskId, holder);
    expect(await acquireSendLease(t.redis, taskId, randomUUID(), 2_000, 30_000)).toEqual({
      kind: "acquired",
    });
  });
});

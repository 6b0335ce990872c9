import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getTask, newQueuedTask, saveQueuedTask, transitionTask } from "#shared/tasks/store.ts";
import { startTestRedis, type TestRedis } from "#test/support/upstash.ts";

let t: TestRedis;
beforeAll(async () => {
  t = await startTestRedis();
});
afterAll(() => t.close());

const now = new Date("2026-11-21T10:00:00Z");
const seedTask = async () => {
  const task = newQueuedTask(`tsk_${randomUUID()}`, "key_a", now);
  await saveQueuedTask(t.redis, task);
  return task;
};

describe("task transitions", () => {
  it("moves forward and bumps the version", async () => {
    const task = await seedTask();
    const p = await transitionTask(t.redis, task.id, { status: "processing", attempt: 1 }, { now });
    const s = await transitionTask(
      t.redis,
      task.id,
      { status: "succeeded", attempt: 1, messageId: "m-1" },
      { now },
    );
    expect(p).toMatchObject({ applied: true, task: { status: "processing", attempts: 1, version: 2 } });
    expect(s).toMatchObject({
      applied: true,
      task: { status: "succeeded", result: { messageId: "m-1" }, version: 3 },
    });
  });

  it("clears the previous attempt's error when a new attempt starts", async () => {
    const task = await seedTask();
    const error = { code: "TooManyRequestsException", message: "slow down" };
    await transitionTask(t.redis, task.id, { status: "processing", attempt: 1 }, { now });
    await transitionTask(
      t.redis,
      task.id,
      { status: "retrying", attempt: 1, error, nextAttemptAt: now.toISOString() },
      { now },
    );
    const next = await transitionTask(t.redis, task.id, { status: "processing", attempt: 2 }, { now });
    expect(next?.task.error).toBeUndefined();
    expect(next?.task.nextAttemptAt).toBeUndefined();
  });

  it("ignores a stale or repeated transition, so it never goes backwards", async () => {
    const task = await seedTask();
    await transitionTask(t.redis, task.id, { status: "processing", attempt: 2 }, { now });
    const stale = await transitionTask(t.redis, task.id, { status: "processing", attempt: 1 }, { now });
    const again = await transitionTask(t.redis, task.id, { status: "processing", attempt: 2 }, { now });
    expect(stale?.applied).toBe(false);
    expect(again?.applied).toBe(false);
    expect((await getTask(t.redis, task.id))?.attempts).toBe(2);
  });

  it("never leaves a terminal state, except a retries_exhausted failure restarted by a redrive", async () => {
    const done = await seedTask();
    await transitionTask(t.redis, done.id, { status: "succeeded", attempt: 1, messageId: "m" }, { now });
    const after = await transitionTask(t.redis, done.id, { status: "processing", attempt: 2 }, { now });
    expect(after?.applied).toBe(false);

    const exhausted = await seedTask();
    const error = { code: "retries_exhausted", message: "x" };
    await transitionTask(t.redis, exhausted.id, { status: "failed", attempt: 3, error }, { now });
    const redriven = await transitionTask(
      t.redis,
      exhausted.id,
      { status: "processing", attempt: 4 },
      { now },
    );
    expect(redriven).toMatchObject({ applied: true, task: { status: "processing", attempts: 4 } });
  });

  it("creates the record from the message when the worker runs first", async () => {
    const seed = newQueuedTask(`tsk_${randomUUID()}`, "key_b", now);
    const none = await transitionTask(t.redis, seed.id, { status: "processing", attempt: 1 }, { now });
    const created = await transitionTask(
      t.redis,
      seed.id,
      { status: "processing", attempt: 1 },
      { now, createIfMissing: seed },
    );
    expect(none).toBeUndefined();
    expect(created).toMatchObject({ applied: true, task: { ownerKeyId: "key_b", status: "processing" } });
    expect(await t.redis.command(["ttl", `ferry:task:${seed.id}`])).toBeGreaterThan(0);
  });
});

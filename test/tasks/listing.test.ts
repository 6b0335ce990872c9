/** The owner index behind GET /v1/tasks: written with the task, paged exactly, filtered in Redis. */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpError } from "#shared/http/errors.ts";
import { redisKeys } from "#shared/redis/keys.ts";
import { listOwnedTasks, newQueuedTask, saveQueuedTask, transitionTask } from "#shared/tasks/store.ts";
import { startTestRedis, type TestRedis } from "#test/support/upstash.ts";

let t: TestRedis;
beforeAll(async () => {
  t = await startTestRedis();
});
afterAll(() => t.close());

const owner = () => `key_${randomUUID()}`;

async function pages(keyId: string, limit: number, status?: "failed") {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 50; i++) {
    const page = await listOwnedTasks(t.redis, keyId, { limit, cursor, status });
    ids.push(...page.items.map((task) => task.id));
    if (!page.nextCursor) return ids;
    cursor = page.nextCursor;
  }
  throw new Error("the listing never ended");
}

describe("listing an owner's tasks", () => {
  it("pages through tasks created in the same millisecond without repeating or skipping one", async () => {
    const keyId = owner();
    const at = new Date("2026-11-21T10:00:00Z");
    const ids = Array.from({ length: 7 }, (_, i) => `tsk_same_${i}`);
    for (const id of ids) await saveQueuedTask(t.redis, newQueuedTask(id, keyId, at));

    const listed = await pages(keyId, 3);

    expect([...listed].sort()).toEqual([...ids].sort());
    expect(new Set(listed).size).toBe(ids.length);
  });

  it("lists newest first and filters by the task's current status", async () => {
    const keyId = owner();
    const older = newQueuedTask(`tsk_${randomUUID()}`, keyId, new Date("2026-11-21T10:00:00Z"));
    const newer = newQueuedTask(`tsk_${randomUUID()}`, keyId, new Date("2026-11-21T10:00:05Z"));
    await saveQueuedTask(t.redis, older);
    await saveQueuedTask(t.redis, newer);
    await transitionTask(
      t.redis,
      older.id,
      { status: "failed", attempt: 1, error: { code: "MessageRejected", message: "no" } },
      { now: new Date() },
    );

    expect(await pages(keyId, 10)).toEqual([newer.id, older.id]);
    expect(await pages(keyId, 10, "failed")).toEqual([older.id]);
  });

  it("indexes a task the worker created first, and skips ids whose task has expired", async () => {
    const keyId = owner();
    const task = newQueuedTask(`tsk_${randomUUID()}`, keyId, new Date());
    await transitionTask(
      t.redis,
      task.id,
      { status: "processing", attempt: 1 },
      { now: new Date(), createIfMissing: task },
    );
    await saveQueuedTask(t.redis, task);
    const gone = newQueuedTask(`tsk_${randomUUID()}`, keyId, new Date());
    await saveQueuedTask(t.redis, gone);
    await t.redis.del(redisKeys.task(gone.id));

    const page = await listOwnedTasks(t.redis, keyId, { limit: 10 });

    expect(page.items.map((x) => [x.id, x.status])).toEqual([[task.id, "processing"]]);
  });

  it("answers a cursor it did not write with a 400", async () => {
    await expect(
      listOwnedTasks(t.redis, owner(), { limit: 5, cursor: "not-a-cursor" }),
    ).rejects.toBeInstanceOf(HttpError);
  });
});

import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineScript } from "#shared/redis/script.ts";
import { startTestRedis, type TestRedis } from "#test/support/upstash.ts";

let t: TestRedis;
beforeAll(async () => {
  t = await startTestRedis();
});
afterAll(() => t.close());

const incr = defineScript("return redis.call('INCR', KEYS[1])");

describe("defineScript", () => {
  it("runs by SHA and, after Redis forgot the script, exactly once more through EVAL", async () => {
    const key = `test:script:${randomUUID()}`;

    const first = await incr(t.redis, [key], []);
    await t.redis.command(["script", "flush"]);
    const second = await incr(t.redis, [key], []);
    const third = await incr(t.redis, [key], []);

    expect([first, second, third]).toEqual([1, 2, 3]);
  });
});

import { describe, expect, inject, it } from "vitest";
import { redisAnswers, startPrivateRedis } from "#infra/local/redis-server.ts";

describe("private redis-server", () => {
  it("is started for the test run on a loopback port", async () => {
    const url = new URL(inject("redisUrl"));
    expect(url.hostname).toBe("127.0.0.1");
    expect(await redisAnswers(url.hostname, Number(url.port))).toBe(true);
  });

  it("stops by its pid and stops answering", async () => {
    const redis = await startPrivateRedis();
    expect(await redisAnswers("127.0.0.1", redis.port)).toBe(true);
    await redis.stop();
    expect(await redisAnswers("127.0.0.1", redis.port)).toBe(false);
  });
});

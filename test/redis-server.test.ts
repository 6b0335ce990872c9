import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { REDIS_SERVER_MISSING, redisAnswers, startPrivateRedis } from "#infra/local/process/redis-server.ts";
import { processExists } from "#test/support/processes.ts";

const dataDir = mkdtempSync(join(tmpdir(), "ferry-redis-data-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

async function withClient<T>(url: string, use: (r: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(url, { maxRetriesPerRequest: 0 });
  try {
    return await use(client);
  } finally {
    client.disconnect();
  }
}

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

  it("keeps its data across a restart when given a data directory", async () => {
    // Prepare
    const first = await startPrivateRedis({ dataDir });
    await withClient(first.url, (r) => r.set("ferry:kept", "yes"));

    // Act
    await first.stop();
    const second = await startPrivateRedis({ dataDir });

    // Assess
    try {
      expect(await withClient(second.url, (r) => r.get("ferry:kept"))).toBe("yes");
    } finally {
      await second.stop();
    }
  });

  it("shuts down the redis-server a crashed runtime left on its directory, keeping its data", async () => {
    // Prepare: a runtime that died without stopping its redis-server (it runs detached).
    const dir = join(dataDir, "leftover");
    const leftover = await startPrivateRedis({ dataDir: dir });
    await withClient(leftover.url, (r) => r.set("ferry:written-before-the-crash", "1"));

    // Act
    const next = await startPrivateRedis({ dataDir: dir });

    // Assess: one redis-server per directory, never two writing the same files.
    try {
      for (let i = 0; i < 40 && processExists(leftover.pid); i++) await new Promise((r) => setTimeout(r, 50));
      expect(processExists(leftover.pid)).toBe(false);
      expect(await withClient(next.url, (r) => r.get("ferry:written-before-the-crash"))).toBe("1");
    } finally {
      await next.stop();
      await leftover.stop();
    }
  });

  it("says how to install redis-server when it is not on the PATH", async () => {
    await expect(startPrivateRedis({ binary: "redis-server-not-installed" })).rejects.toThrow(
      REDIS_SERVER_MISSING,
    );
    expect(REDIS_SERVER_MISSING).toMatch(/apt-get install redis-server/);
    expect(REDIS_SERVER_MISSING).toMatch(/REDIS_URL/);
  });
});

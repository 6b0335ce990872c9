/**
 * Which Redis the local runtime uses (REDIS_URL, else the machine's, else a private one), and
 * that a private redis-server it started is gone after stop(), along with its state file.
 * The machine's own Redis answers on 6379 here, so "no Redis around" is played by pointing the
 * runtime's machine probe at a port where nothing listens.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { PrivateRedis } from "#infra/local/redis-server.ts";
import { chooseRedis, startLocalRuntime } from "#infra/local/runtime.ts";

const fakePrivate = (stopped: string[]): PrivateRedis => ({
  url: "redis://127.0.0.1:7777",
  port: 7777,
  pid: 4242,
  stop: async () => {
    stopped.push("private");
  },
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("chooseRedis", () => {
  it("uses REDIS_URL when given, without probing or starting anything", async () => {
    // Prepare
    const calls: string[] = [];

    // Act
    const chosen = await chooseRedis({
      configuredUrl: "redis://example:1234",
      machineUrl: "redis://127.0.0.1:6379",
      machineAnswers: async () => {
        calls.push("probe");
        return true;
      },
      startPrivate: async () => {
        calls.push("start");
        return fakePrivate([]);
      },
    });

    // Assess
    expect(chosen).toMatchObject({ url: "redis://example:1234", source: "configured" });
    expect(calls).toEqual([]);
  });

  it("uses the machine's Redis when it answers", async () => {
    // Prepare
    const calls: string[] = [];

    // Act
    const chosen = await chooseRedis({
      machineUrl: "redis://127.0.0.1:6379",
      machineAnswers: async () => true,
      startPrivate: async () => {
        calls.push("start");
        return fakePrivate([]);
      },
    });

    // Assess
    expect(chosen).toMatchObject({ url: "redis://127.0.0.1:6379", source: "machine" });
    expect(calls).toEqual([]);
  });

  it("starts a private redis-server when nothing answers, and stops it on stop()", async () => {
    // Prepare
    const stopped: string[] = [];

    // Act
    const chosen = await chooseRedis({
      machineUrl: "redis://127.0.0.1:6379",
      machineAnswers: async () => false,
      startPrivate: async () => fakePrivate(stopped),
    });
    await chosen.stop();

    // Assess
    expect(chosen).toMatchObject({ url: "redis://127.0.0.1:7777", source: "private", pid: 4242 });
    expect(stopped).toEqual(["private"]);
  });
});

describe("local runtime without any Redis around", () => {
  it("runs on a private redis-server and leaves no process nor state file after stop()", async () => {
    // Prepare
    const stateDir = mkdtempSync(join(tmpdir(), "ferry-runtime-redis-"));
    const stateFile = join(stateDir, "local.json");
    const savedRedisUrl = process.env.REDIS_URL;
    delete process.env.REDIS_URL;
    const runtime = await startLocalRuntime({
      port: 0,
      quiet: true,
      stateFile,
      machineRedis: { host: "127.0.0.1", port: await freePort() },
    });
    if (savedRedisUrl !== undefined) process.env.REDIS_URL = savedRedisUrl;
    const pid = runtime.redis.pid ?? 0;
    const health = await fetch(`${runtime.url}/health`);
    const healthBody = await health.json();
    const wasRunning = processExists(pid);
    const stateWritten = existsSync(stateFile);

    // Act
    await runtime.stop();

    // Assess
    expect(runtime.redis.source).toBe("private");
    expect(wasRunning).toBe(true);
    expect(healthBody).toMatchObject({ status: "ok" });
    expect(stateWritten).toBe(true);
    expect(processExists(pid)).toBe(false);
    expect(existsSync(stateFile)).toBe(false);
    await expect(fetch(`${runtime.url}/health`)).rejects.toThrow();
    rmSync(stateDir, { recursive: true, force: true });
  });
});

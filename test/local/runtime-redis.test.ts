/**
 * Which Redis the local runtime uses (REDIS_URL, which must answer, else a private redis-server
 * of its own, never whatever answers on 6379), that its data and its tasks survive a restart
 * (tasks whose in-memory queue message was lost are settled, never left in flight), and that a
 * second runtime on the same directory refuses to start.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { defaultLocalStatePath } from "#infra/local/process/local-state.ts";
import type { PrivateRedis } from "#infra/local/process/redis-server.ts";
import { chooseRedis, type LocalRuntime, startLocalRuntime } from "#infra/local/runtime.ts";
import { createApiKey } from "#shared/auth/api-keys.ts";
import type { Task } from "#shared/tasks/task.ts";
import { call, eventually } from "#test/support/http.ts";
import { processExists } from "#test/support/processes.ts";
import { GENEROUS_RATE_LIMITS } from "#test/support/runtime.ts";
import { redisOf } from "#test/support/upstash.ts";

const fakePrivate = (stopped: string[]): PrivateRedis => ({
  url: "redis://127.0.0.1:7777",
  port: 7777,
  pid: 4242,
  stop: async () => {
    stopped.push("private");
  },
});

const dirs: string[] = [];
function temporaryDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "ferry-runtime-redis-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A runtime as `npm run dev` starts one: no REDIS_URL, its own directory. */
async function startOwnRuntime(dir: string, env: Record<string, string> = {}): Promise<LocalRuntime> {
  const savedRedisUrl = process.env.REDIS_URL;
  delete process.env.REDIS_URL;
  try {
    return await startLocalRuntime({
      port: 0,
      quiet: true,
      stateFile: join(dir, "local.json"),
      env: { RATE_LIMITS: GENEROUS_RATE_LIMITS, ...env },
    });
  } finally {
    if (savedRedisUrl !== undefined) process.env.REDIS_URL = savedRedisUrl;
  }
}

describe("chooseRedis", () => {
  it("uses REDIS_URL when it answers, without starting anything", async () => {
    // Prepare
    const calls: string[] = [];

    // Act
    const chosen = await chooseRedis({
      configuredUrl: "redis://example:1234",
      configuredProblem: async () => undefined,
      startPrivate: async () => {
        calls.push("start");
        return fakePrivate([]);
      },
    });

    // Assess
    expect(chosen).toMatchObject({ url: "redis://example:1234", source: "configured" });
    expect(calls).toEqual([]);
  });

  it("refuses a REDIS_URL that does not answer, naming it with its password masked", async () => {
    // Act
    const choosing = chooseRedis({
      configuredUrl: "redis://:hunter2@127.0.0.1:1",
      configuredProblem: async () => "connect ECONNREFUSED 127.0.0.1:1",
      startPrivate: async () => fakePrivate([]),
    });

    // Assess
    await expect(choosing).rejects.toThrow(
      /^REDIS_URL=redis:\/\/:\*\*\*@127\.0\.0\.1:1 cannot be reached \(connect ECONNREFUSED 127\.0\.0\.1:1\)/,
    );
    await expect(choosing).rejects.not.toThrow(/hunter2/);
  });

  it("starts a private redis-server when no REDIS_URL is given, and stops it on stop()", async () => {
    // Prepare
    const stopped: string[] = [];

    // Act
    const chosen = await chooseRedis({
      configuredProblem: async () => undefined,
      startPrivate: async () => fakePrivate(stopped),
    });
    await chosen.stop();

    // Assess
    expect(chosen).toMatchObject({ url: "redis://127.0.0.1:7777", source: "private", pid: 4242 });
    expect(stopped).toEqual(["private"]);
  });
});

describe("local runtime on an unreachable REDIS_URL", () => {
  it("refuses to start, naming REDIS_URL", async () => {
    const starting = startLocalRuntime({
      port: 0,
      quiet: true,
      stateFile: false,
      redisUrl: "redis://127.0.0.1:1",
    });

    await expect(starting).rejects.toThrow(/REDIS_URL=redis:\/\/127\.0\.0\.1:1 cannot be reached/);
  });
});

describe("local runtime without REDIS_URL", () => {
  it("runs on its own redis-server, keeping its data in its directory, and leaves no process after stop()", async () => {
    // Prepare
    const dir = temporaryDir();
    const runtime = await startOwnRuntime(dir);
    const pid = runtime.redis.pid ?? 0;
    const health = await fetch(`${runtime.url}/health`);
    const wasRunning = processExists(pid);
    const stateWritten = existsSync(join(dir, "local.json"));

    // Act
    await runtime.stop();

    // Assess: even though a Redis answers on 127.0.0.1:6379 on these machines, it is not used.
    expect(runtime.redis).toMatchObject({ source: "private", dataDir: join(dir, "redis") });
    expect(new URL(runtime.redis.url).port).not.toBe("6379");
    expect(wasRunning).toBe(true);
    expect(await health.json()).toMatchObject({ status: "ok" });
    expect(stateWritten).toBe(true);
    expect(processExists(pid)).toBe(false);
    expect(existsSync(join(dir, "local.json"))).toBe(false);
    expect(existsSync(join(dir, "dev.lock"))).toBe(false);
    await expect(fetch(`${runtime.url}/health`)).rejects.toThrow();
  });

  it("keeps keys and tasks across a restart, and settles every task whose queued message was lost", async () => {
    // Prepare: SES throttles every call and retries wait long, so accepted emails stay in flight.
    const dir = temporaryDir();
    const env = {
      EMAIL_RETRY_BASE_SECONDS: "300",
      EMAIL_RETRY_MAX_SECONDS: "600",
      SES_BREAKER_THRESHOLD: "1000",
    };
    const first = await startOwnRuntime(dir, env);
    first.aws.ses.use((c) =>
      c.action === "SendEmail"
        ? {
            kind: "error",
            status: 429,
            code: "TooManyRequestsException",
            message: "Maximum sending rate exceeded.",
          }
        : undefined,
    );
    const { secret } = await createApiKey(redisOf(first, 5000), {
      name: "kept",
      scopes: ["emails:send", "tasks:read"],
    });
    const taskIds: string[] = [];
    for (let i = 0; i < 10; i++) {
      const accepted = await call<{ taskId: string }>(first.url, "POST", "/v1/emails", {
        key: secret,
        json: { to: [`r${i}@example.com`], subject: `restart ${i}`, text: "kept?" },
      });
      expect(accepted.status).toBe(202);
      taskIds.push(accepted.body.taskId);
    }
    const statusOf = async (rt: LocalRuntime, id: string) =>
      (await call<Task>(rt.url, "GET", `/v1/tasks/${id}`, { key: secret })).body;
    await eventually(
      async () => {
        const tasks = await Promise.all(taskIds.map((id) => statusOf(first, id)));
        return tasks.every((t) => t.status === "retrying") || undefined;
      },
      { what: "every task retrying" },
    );

    // Act
    await first.stop();
    const second = await startOwnRuntime(dir, env);

    // Assess
    try {
      const tasks = await Promise.all(taskIds.map((id) => statusOf(second, id)));
      expect(second.lostTasks).toEqual({ found: 10, failed: 10, succeeded: 0 });
      for (const task of tasks) {
        expect(task).toMatchObject({ status: "failed", error: { code: "local_queue_lost" } });
      }
      expect(await second.outbox()).toEqual([]);
    } finally {
      await second.stop();
    }
  });
});

describe("two runtimes on one directory", () => {
  it("refuses the second, naming the first and how to run both", async () => {
    // Prepare
    const dir = temporaryDir();
    const first = await startOwnRuntime(dir);

    // Act
    const second = startOwnRuntime(dir);

    // Assess
    try {
      await expect(second).rejects.toThrow(
        new RegExp(`Another Ferry local runtime \\(pid ${process.pid} at ${first.url}\\) is already using`),
      );
      await expect(second).rejects.toThrow(/FERRY_LOCAL_DIR=/);
      expect((await fetch(`${first.url}/health`)).status).toBe(200);
    } finally {
      await first.stop();
    }
  });

  it("lets the CLIs find a runtime in another directory through FERRY_LOCAL_DIR", () => {
    expect(defaultLocalStatePath({ FERRY_LOCAL_DIR: "/tmp/ferry-2" })).toBe("/tmp/ferry-2/local.json");
  });
});

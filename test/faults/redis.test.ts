/**
 * Fault suite, Redis: the runtime's own redis-server frozen (SIGSTOP: it holds every connection
 * and answers nothing) and stopped then restarted (SIGTERM: it writes its append-only file) in
 * the middle of a load. Requests that cannot be decided are refused with 503; every accepted one
 * ends sent, none twice.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PrivateRedis, startPrivateRedis } from "#infra/local/process/redis-server.ts";
import type { LocalRuntime } from "#infra/local/runtime.ts";
import { call, eventually } from "#test/support/http.ts";
import { type Figures, measure, type Outcome, sendMany, writeReport } from "./support/figures.ts";
import { startFaultRuntime } from "./support/runtime.ts";

const COUNT = 30;
const dataDir = mkdtempSync(join(tmpdir(), "ferry-faults-redis-"));
let redis: PrivateRedis;
let rt: LocalRuntime;
let frozen = false;

beforeAll(async () => {
  redis = await startPrivateRedis({ dataDir });
  rt = await startFaultRuntime(redis.url, { REDIS_TIMEOUT_MS: "500", RATE_LIMIT_TIMEOUT_MS: "500" });
});

afterAll(async () => {
  if (frozen) process.kill(redis.pid, "SIGCONT");
  await rt?.stop();
  await redis?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  writeReport();
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits for the fault to end and for /health to find Redis again. */
async function recovered(faultEnded: Promise<void> | undefined): Promise<void> {
  await faultEnded;
  await eventually(
    async () => {
      const health = await call<{ checks?: { redis?: { status?: string } } }>(rt.url, "GET", "/health");
      return health.body.checks?.redis?.status === "ok" || undefined;
    },
    { timeoutMs: 20_000, what: "Redis answering /health again" },
  );
}

/** Redis out of reach for a while: `begin` takes it away, `end` brings it back `lastsMs` later. */
interface RedisFault {
  readonly begin: () => Promise<void> | void;
  readonly lastsMs: number;
  readonly end: () => Promise<void> | void;
}

/**
 * COUNT emails, 3 at a time, 400 ms apart, with `fault` beginning before request 9. The last
 * third of the load runs once Redis answers again: the recovery is measured too.
 */
async function sendThrough(prefix: string, fault: RedisFault): Promise<Outcome[]> {
  let ended: Promise<void> | undefined;
  const outcomes = await sendMany(rt, prefix, COUNT, {
    concurrency: 3,
    intervalMs: 400,
    during: async (i) => {
      if (i === 21) await recovered(ended);
      if (i !== 9) return;
      await fault.begin();
      ended = pause(fault.lastsMs).then(fault.end);
    },
  });
  await ended;
  return outcomes;
}

/** Nothing duplicated, lost or stuck; what Redis could not decide was refused, not half-done. */
function expectEveryAcceptedEmailSentOnce(figures: Figures): void {
  expect(figures).toMatchObject({ sent: COUNT, duplicated: 0, lost: 0, stuck: 0 });
  // Every accepted email is sent, or final with a code that says why (see the report).
  const failed = Object.values(figures.failed).reduce((a, b) => a + b, 0);
  expect(figures.applied + failed).toBe(figures.accepted);
  expect(figures.accepted).toBeGreaterThan(9);
  // 503 (cannot decide without Redis); a 429 has been seen right after a freeze (see README).
  expect(Object.keys(figures.refused).every((status) => status === "503" || status === "429")).toBe(true);
}

describe("fault suite: Redis", () => {
  it("frozen for 2 s mid-load: refused requests get 503, every accepted email is sent once", async () => {
    // Prepare
    const prefix = `redis-frozen-${Date.now()}`;
    const startedAt = Date.now();

    // Act
    const outcomes = await sendThrough(prefix, {
      begin: () => {
        process.kill(redis.pid, "SIGSTOP");
        frozen = true;
      },
      lastsMs: 2000,
      end: () => {
        process.kill(redis.pid, "SIGCONT");
        frozen = false;
      },
    });
    const figures = await measure(rt, "Redis frozen", "SIGSTOP for 2 s after request 9", outcomes, startedAt);

    // Assess
    expectEveryAcceptedEmailSentOnce(figures);
  }, 90_000);

  it("stopped for 1.5 s mid-load and restarted: refused requests get 503, every accepted email is sent once", async () => {
    // Prepare
    const prefix = `redis-stopped-${Date.now()}`;
    const startedAt = Date.now();

    // Act
    const outcomes = await sendThrough(prefix, {
      begin: () => redis.stop(),
      lastsMs: 1500,
      end: async () => {
        redis = await startPrivateRedis({ dataDir, port: redis.port });
      },
    });
    const figures = await measure(
      rt,
      "Redis stopped",
      "stopped after request 9, restarted 1.5 s later",
      outcomes,
      startedAt,
    );

    // Assess
    expectEveryAcceptedEmailSentOnce(figures);
  }, 90_000);
});

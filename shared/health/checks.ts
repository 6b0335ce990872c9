/**
 * Dependency checks for GET /health. Each check is bounded by its client's timeout and reports
 * rather than throws: health answers 200 with `degraded` so that load balancers and humans can
 * tell "up but impaired" from "down".
 */
import type { RedisClient } from "#shared/redis/client.ts";

export interface CheckResult {
  readonly status: "ok" | "error";
  readonly latencyMs?: number;
  readonly detail?: string;
}

export interface HealthReport {
  readonly status: "ok" | "degraded";
  readonly checks: Record<string, CheckResult>;
}

export async function checkRedis(redis: RedisClient): Promise<CheckResult> {
  const started = performance.now();
  try {
    const pong = await redis.ping();
    const latencyMs = Math.round(performance.now() - started);
    return pong === "PONG"
      ? { status: "ok", latencyMs }
      : { status: "error", detail: "unexpected PING reply" };
  } catch {
    return { status: "error", detail: "unreachable" };
  }
}

export function summarize(checks: Record<string, CheckResult>): HealthReport {
  const degraded = Object.values(checks).some((c) => c.status !== "ok");
  return { status: degraded ? "degraded" : "ok", checks };
}

/**
 * Dependency checks for GET /health. Each check is bounded by its client's timeout and reports
 * rather than throws: health answers 200 with `degraded` so that load balancers and humans can
 * tell "up but impaired" from "down".
 */
import { SesCircuitBreaker } from "#shared/email/circuit-breaker.ts";
import type { RedisClient } from "#shared/redis/client.ts";

export interface CheckResult {
  readonly status: "ok" | "error";
  readonly latencyMs?: number;
  readonly detail?: string;
  readonly state?: string;
  readonly openUntil?: string;
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

/** The shared SES circuit breaker: `open` means sends are paused after repeated throttling. */
export async function checkSesCircuit(redis: RedisClient, nowMs: number): Promise<CheckResult> {
  try {
    // Settings only matter for recording throttles; reading the state needs none.
    const breaker = new SesCircuitBreaker(redis, {
      threshold: 1,
      windowMs: 1,
      cooldownMs: 1,
      maxCooldownMs: 1,
    });
    const { state, openUntil } = await breaker.state(nowMs);
    // Half-open means the cooldown is over and the next send probes SES: nothing is blocked, so
    // it is not a degradation (it may stay half-open for long when no email is sent).
    return { status: state === "open" ? "error" : "ok", state, ...(openUntil ? { openUntil } : {}) };
  } catch {
    return { status: "error", detail: "unreachable" };
  }
}

export function summarize(checks: Record<string, CheckResult>): HealthReport {
  const degraded = Object.values(checks).some((c) => c.status !== "ok");
  return { status: degraded ? "degraded" : "ok", checks };
}

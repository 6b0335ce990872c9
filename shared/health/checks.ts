/**
 * Dependency checks for GET /health. Each check is bounded by its client's timeout and reports
 * rather than throws: health answers 200 with `degraded` so that load balancers and humans can
 * tell "up but impaired" from "down".
 */
import { type ReputationLimits, readReputation, reputationProblem } from "#shared/delivery/reputation.ts";
import { SesCircuitBreaker } from "#shared/email/circuit-breaker.ts";
import type { RedisClient } from "#shared/redis/client.ts";

export interface CheckResult {
  readonly status: "ok" | "error";
  readonly latencyMs?: number;
  readonly detail?: string;
  readonly state?: string;
  readonly openUntil?: string;
  /** sesCircuit when open: `throttling` or `reputation`. */
  readonly reason?: string;
  /** reputation: the window's figures (rates are fractions: 0.01 = 1 %). */
  readonly windowSeconds?: number;
  readonly sent?: number;
  readonly bounceRate?: number;
  readonly complaintRate?: number;
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
    const { state, openUntil, reason, why } = await breaker.state(nowMs);
    // Half-open means the cooldown is over and the next send probes SES: nothing is blocked, so
    // it is not a degradation (it may stay half-open for long when no email is sent).
    return {
      status: state === "open" ? "error" : "ok",
      state,
      ...(openUntil ? { openUntil } : {}),
      ...(reason ? { reason } : {}),
      ...(why ? { detail: why } : {}),
    };
  } catch {
    return { status: "error", detail: "unreachable" };
  }
}

/**
 * The account's bounce and complaint rates over REPUTATION_WINDOW_SECONDS: `error` once a rate
 * reached its limit (with enough volume to judge), well before AWS's own review thresholds.
 */
export async function checkReputation(
  redis: RedisClient,
  settings: ReputationLimits & { readonly windowSeconds: number },
  nowMs: number,
): Promise<CheckResult> {
  try {
    const rates = await readReputation(redis, settings, nowMs);
    const problem = reputationProblem(rates, settings);
    return {
      status: problem ? "error" : "ok",
      ...(problem ? { detail: problem } : {}),
      windowSeconds: rates.windowSeconds,
      sent: rates.sent,
      bounceRate: rates.bounceRate,
      complaintRate: rates.complaintRate,
    };
  } catch {
    return { status: "error", detail: "unreachable" };
  }
}

export function summarize(checks: Record<string, CheckResult>): HealthReport {
  const degraded = Object.values(checks).some((c) => c.status !== "ok");
  return { status: degraded ? "degraded" : "ok", checks };
}

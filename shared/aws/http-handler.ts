/**
 * The HTTP handler every Ferry AWS SDK client is built with, so that its time budget FIRES.
 * @smithy/node-http-handler 4.x only logs a warning when `requestTimeout` passes unless
 * `throwOnRequestTimeout` is set: measured, a SendMessage with a 2 s budget against a socket that
 * never answered was still pending after 12 s, and a hung SendEmail held the email worker until
 * its own 30 s timeout (the whole batch was then redelivered).
 */
import { NodeHttpHandler } from "@smithy/node-http-handler";

/** How long one SDK call may take: per attempt, and how many attempts the SDK makes. */
export interface CallBudget {
  /** TCP connect, per attempt. */
  readonly connectionTimeoutMs: number;
  /**
   * One attempt, from its start until the response headers; also the longest silence allowed
   * while the response body arrives (the socket timeout), which requestTimeout does not cover.
   */
  readonly requestTimeoutMs: number;
  /** Attempts in all, the first included (SDK `maxAttempts`). */
  readonly maxAttempts: number;
}

export function timedHttpHandler(budget: CallBudget): NodeHttpHandler {
  return new NodeHttpHandler({
    connectionTimeout: budget.connectionTimeoutMs,
    requestTimeout: budget.requestTimeoutMs,
    socketTimeout: budget.requestTimeoutMs,
    throwOnRequestTimeout: true,
  });
}

/**
 * The longest a call with this budget can take: every attempt times out (the connect timeout runs
 * inside the request timeout), plus the SDK's retry backoff between attempts (standard mode:
 * full jitter below 100 ms × 2^n; well under a second for Ferry's two or three attempts).
 */
export function worstCaseMs(budget: CallBudget): number {
  const backoffMs = Array.from({ length: budget.maxAttempts - 1 }, (_, n) => 100 * 2 ** n).reduce(
    (a, b) => a + b,
    0,
  );
  return budget.maxAttempts * budget.requestTimeoutMs + backoffMs;
}

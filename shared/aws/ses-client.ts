/** The email worker's SESv2 client; its endpoint comes from config (the emulator, locally). */
import { SESv2Client } from "@aws-sdk/client-sesv2";
import type { Config } from "#shared/config.ts";
import { type CallBudget, timedHttpHandler } from "./http-handler.ts";
import { oncePerContainer } from "./memo.ts";
import { traced } from "./tracer.ts";

/**
 * One attempt, no SDK retries: the email worker owns retries (backoff through SQS visibility, a
 * circuit breaker) and must know of every call it made, to keep "at most one send per task". The
 * request timeout is SES_REQUEST_TIMEOUT_MS (10 s by default), well inside the worker's 30 s.
 */
export function sesBudget(config: Pick<Config, "SES_REQUEST_TIMEOUT_MS">): CallBudget {
  return { connectionTimeoutMs: 2000, requestTimeoutMs: config.SES_REQUEST_TIMEOUT_MS, maxAttempts: 1 };
}

export const sesClient = oncePerContainer((config: Config) => {
  const budget = sesBudget(config);
  return traced(
    new SESv2Client({
      region: config.AWS_REGION,
      ...(config.AWS_ENDPOINT_URL_SESV2 ? { endpoint: config.AWS_ENDPOINT_URL_SESV2 } : {}),
      requestHandler: timedHttpHandler(budget),
      maxAttempts: budget.maxAttempts,
    }),
  );
});

/**
 * The SQS client of every function that sends messages. Its endpoint comes from config (the local
 * runtime and tests point it at fauxqs); in AWS it is unset and the regional default applies.
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import type { Config } from "#shared/config.ts";
import { type CallBudget, timedHttpHandler } from "./http-handler.ts";
import { oncePerContainer } from "./memo.ts";
import { traced } from "./tracer.ts";

/**
 * An API call answers 503 when the enqueue fails: keep the worst case (~4.1 s) well inside the
 * HTTP functions' 10 s timeout. A retried SendMessage can queue an email twice; both copies carry
 * one task id and the worker's send lease lets only one reach SES.
 */
export const SQS_BUDGET: CallBudget = { connectionTimeoutMs: 1000, requestTimeoutMs: 2000, maxAttempts: 2 };

export const sqsClient = oncePerContainer((config: Config) =>
  traced(
    new SQSClient({
      region: config.AWS_REGION,
      ...(config.AWS_ENDPOINT_URL_SQS ? { endpoint: config.AWS_ENDPOINT_URL_SQS } : {}),
      requestHandler: timedHttpHandler(SQS_BUDGET),
      maxAttempts: SQS_BUDGET.maxAttempts,
    }),
  ),
);

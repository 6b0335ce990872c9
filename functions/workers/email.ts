/** SQS email queue → SES. Glue: dependencies from config, then shared/email/batch.ts. */
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { email } from "#shared/app/email.ts";
import { sesClient } from "#shared/aws/ses-client.ts";
import { sqsClient } from "#shared/aws/sqs-client.ts";
import { getDeps } from "#shared/deps.ts";
import { processEmailBatch } from "#shared/email/batch.ts";
import { SesCircuitBreaker } from "#shared/email/circuit-breaker.ts";
import { logger } from "#shared/logger.ts";
import { publishTaskUpdate } from "#shared/realtime/publish.ts";

const LEASE_MARGIN_MS = 5_000;

async function run(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const { config, redis } = await getDeps(email.functions.emailWorker);
  return processEmailBatch(
    {
      redis,
      ses: sesClient(config),
      sqs: sqsClient(config),
      queueUrl: config.EMAIL_QUEUE_URL,
      breaker: new SesCircuitBreaker(redis, {
        threshold: config.SES_BREAKER_THRESHOLD,
        windowMs: config.SES_BREAKER_WINDOW_MS,
        cooldownMs: config.SES_BREAKER_COOLDOWN_MS,
        maxCooldownMs: config.SES_BREAKER_MAX_COOLDOWN_MS,
      }),
      from: config.EMAIL_FROM,
      configurationSet: config.SES_CONFIGURATION_SET,
      retryBaseSeconds: config.EMAIL_RETRY_BASE_SECONDS,
      retryMaxSeconds: config.EMAIL_RETRY_MAX_SECONDS,
      maxAgeSeconds: config.EMAIL_MAX_AGE_SECONDS,
      maxReceiveCount: email.queues.emails.maxReceiveCount,
      leaseMs: context.getRemainingTimeInMillis() + LEASE_MARGIN_MS,
      onTaskUpdated: async (task, log, subscribers) => {
        await publishTaskUpdate({ redis, config, logger: log }, task, subscribers);
      },
    },
    event.Records,
  );
}

export const handler = middy<SQSEvent, SQSBatchResponse>(run).use(
  injectLambdaContext(logger, { resetKeys: true }),
);

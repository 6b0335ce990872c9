/**
 * SQS email queue → SES. Glue: dependencies from config, then shared/email/batch.ts. Metrics are
 * counted here from what the worker reports (task transitions, breaker answers, SES call times),
 * so the worker itself stays free of them.
 */
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { email } from "#shared/app/email.ts";
import { sesClient } from "#shared/aws/ses-client.ts";
import { sqsClient } from "#shared/aws/sqs-client.ts";
import { getDeps } from "#shared/deps.ts";
import { processEmailBatch } from "#shared/email/batch.ts";
import { type BreakerDecision, type BreakerState, SesCircuitBreaker } from "#shared/email/circuit-breaker.ts";
import { logger } from "#shared/logger.ts";
import { countMetric, METRIC } from "#shared/metrics/metrics.ts";
import { measureLatency } from "#shared/metrics/sdk-latency.ts";
import { publishTaskUpdate } from "#shared/realtime/publish.ts";
import type { Task } from "#shared/tasks/task.ts";

const LEASE_MARGIN_MS = 5_000;

/** The shared SES breaker, counting when it holds a message back and when a throttle opens it. */
class MeteredSesCircuitBreaker extends SesCircuitBreaker {
  override async check(nowMs: number, probeLeaseMs: number): Promise<BreakerDecision> {
    const decision = await super.check(nowMs, probeLeaseMs);
    if (!decision.allow) countMetric(METRIC.sesCircuitHeld);
    return decision;
  }

  override async recordThrottle(nowMs: number): Promise<BreakerState> {
    const state = await super.recordThrottle(nowMs);
    if (state === "open") countMetric(METRIC.sesCircuitOpened);
    return state;
  }
}

function countOutcome(task: Task): void {
  if (task.status === "succeeded") countMetric(METRIC.emailsSent);
  else if (task.status === "retrying") countMetric(METRIC.emailsRetried);
  else if (task.status === "failed")
    countMetric(METRIC.emailsFailed, { reason: task.error?.code ?? "unknown" });
}

async function run(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const { config, redis } = await getDeps(email.functions.emailWorker);
  return processEmailBatch(
    {
      redis,
      ses: measureLatency(sesClient(config), METRIC.sesLatency),
      sqs: sqsClient(config),
      queueUrl: config.EMAIL_QUEUE_URL,
      breaker: new MeteredSesCircuitBreaker(redis, {
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
        countOutcome(task);
        await publishTaskUpdate({ redis, config, logger: log }, task, subscribers);
      },
    },
    event.Records,
  );
}

export const handler = middy<SQSEvent, SQSBatchResponse>(run).use(
  injectLambdaContext(logger, { resetKeys: true }),
);

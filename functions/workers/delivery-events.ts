/**
 * SQS events queue (SES events via EventBridge) → per-recipient delivery state, suppression list
 * and account rates. Glue: dependencies from config, then shared/delivery/worker.ts; metrics are
 * counted here from what the worker reports.
 */
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { delivery } from "#shared/app/delivery.ts";
import { processDeliveryBatch } from "#shared/delivery/worker.ts";
import { getDeps } from "#shared/deps.ts";
import { SesCircuitBreaker } from "#shared/email/circuit-breaker.ts";
import { logger } from "#shared/logger.ts";
import { countMetric, METRIC, percentMetric } from "#shared/metrics/metrics.ts";
import { publishTaskUpdate } from "#shared/realtime/publish.ts";

async function run(event: SQSEvent): Promise<SQSBatchResponse> {
  const { config, redis } = await getDeps(delivery.functions.deliveryEventsWorker);
  return processDeliveryBatch(
    {
      redis,
      breaker: new SesCircuitBreaker(redis, {
        threshold: config.SES_BREAKER_THRESHOLD,
        windowMs: config.SES_BREAKER_WINDOW_MS,
        cooldownMs: config.SES_BREAKER_COOLDOWN_MS,
        maxCooldownMs: config.SES_BREAKER_MAX_COOLDOWN_MS,
      }),
      reputation: {
        windowSeconds: config.REPUTATION_WINDOW_SECONDS,
        maxBounceRate: config.REPUTATION_MAX_BOUNCE_RATE,
        maxComplaintRate: config.REPUTATION_MAX_COMPLAINT_RATE,
        minSent: config.REPUTATION_MIN_SENT,
        pause: config.REPUTATION_PAUSE,
        pauseSeconds: config.REPUTATION_PAUSE_SECONDS,
      },
      onTaskUpdated: async (task, log) => {
        await publishTaskUpdate({ redis, config, logger: log }, task);
      },
      onApplied: (update, outcome) => {
        if (outcome.changed) {
          for (const r of update.recipients) countMetric(METRIC.deliveryEvents, { reason: r.record.state });
        }
        if (outcome.counted.bounced > 0)
          countMetric(METRIC.emailsBounced, { value: outcome.counted.bounced });
        if (outcome.counted.complained > 0)
          countMetric(METRIC.emailsComplained, { value: outcome.counted.complained });
        for (const address of outcome.suppressed) {
          const reason = update.suppress.find((s) => s.address === address)?.reason ?? "bounce";
          countMetric(METRIC.recipientsSuppressed, { reason });
        }
      },
      onRates: (rates) => {
        percentMetric(METRIC.bounceRate, rates.bounceRate * 100);
        percentMetric(METRIC.complaintRate, rates.complaintRate * 100);
      },
      onPaused: () => countMetric(METRIC.reputationPaused),
    },
    event.Records,
  );
}

export const handler = middy<SQSEvent, SQSBatchResponse>(run).use(
  injectLambdaContext(logger, { resetKeys: true }),
);

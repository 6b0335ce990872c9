/**
 * POST /v1/webhooks/{stripe|razorpay|payu}: verify the provider's signature on the raw body,
 * normalise, put the event on the payments FIFO queue, and only then answer 200. Refusals are
 * 4xx problem+json and queue nothing; a failed enqueue is a 503 so the provider delivers again.
 * Verified events of types Ferry does not act on are recorded and acknowledged, never queued.
 */
import { payments } from "#shared/app/payments.ts";
import { sqsClient } from "#shared/aws/sqs-client.ts";
import { HttpError, notFound, PROBLEM_BASE } from "#shared/http/errors.ts";
import { httpHandler } from "#shared/http/handler.ts";
import { logger } from "#shared/logger.ts";
import { countMetric, METRIC } from "#shared/metrics/metrics.ts";
import { enqueuePaymentEvent } from "#shared/payments/enqueue-event.ts";
import { recordIgnoredEvent } from "#shared/payments/ignored-events.ts";
import { PAYMENT_PROVIDERS, type PaymentProvider } from "#shared/payments/payment-event.ts";
import { ingestWebhook, webhookSecretsFromConfig } from "#shared/webhooks/ingest.ts";

const isProvider = (value: string | undefined): value is PaymentProvider =>
  (PAYMENT_PROVIDERS as readonly (string | undefined)[]).includes(value);

/** The manifest serves one literal route per provider; a `{provider}` route works too. */
function providerOf(routePath: string | undefined, pathParameters: Record<string, string | undefined>) {
  const provider = pathParameters.provider ?? routePath?.split("/").pop();
  if (!isProvider(provider)) throw notFound("No webhook endpoint for this provider.");
  return provider;
}

const RECEIVED = { status: 200, body: { received: true } } as const;

export const handler = httpHandler(payments.functions.webhook, {
  handle: async ({ event, ferry, config }) => {
    const provider = providerOf(ferry.route?.path, event.pathParameters ?? {});
    let webhook: ReturnType<typeof ingestWebhook>;
    try {
      webhook = ingestWebhook(
        provider,
        { rawBody: ferry.rawBody, headers: event.headers ?? {} },
        { secrets: webhookSecretsFromConfig(config), now: new Date() },
      );
    } catch (error) {
      // reason: the problem type (bad-signature, stale-timestamp, …), as the provider sees it.
      if (error instanceof HttpError) {
        countMetric(METRIC.webhooksRejected, { reason: error.type.replace(PROBLEM_BASE, "") });
      }
      throw error;
    }

    if (webhook.kind === "ignored") {
      const ids = { provider, eventId: webhook.eventId, type: webhook.type };
      try {
        const { duplicate } = await recordIgnoredEvent(ferry.redis, webhook, new Date());
        logger.info("webhook event type ignored", { ...ids, duplicate });
      } catch (error) {
        // The record is bookkeeping; a retry by the provider would be ignored again anyway.
        logger.warn("ignored webhook event not recorded", { ...ids, error: error as Error });
      }
      return RECEIVED;
    }

    const paymentEvent = webhook.event;
    // Ids first, so the error logged for a failed enqueue (a 503 the provider retries, from the
    // error table) names the event.
    logger.appendKeys({ provider, eventId: paymentEvent.eventId });
    await enqueuePaymentEvent({ sqs: sqsClient(config), queueUrl: config.PAYMENTS_QUEUE_URL }, paymentEvent);
    countMetric(METRIC.webhooksAccepted);
    logger.info("webhook accepted", {
      provider,
      eventId: paymentEvent.eventId,
      paymentId: paymentEvent.paymentId,
      type: paymentEvent.rawType,
    });
    return RECEIVED;
  },
});

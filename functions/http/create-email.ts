/**
 * POST /v1/emails: validate, honour Idempotency-Key, screen against the suppression list, enqueue,
 * answer 202 with the task id.
 * With an Idempotency-Key the task id is derived from it (see idempotentTaskId), so a retry after
 * a 503 can never produce a second email. A failed enqueue throws; the error table
 * (shared/http/error-table.ts) answers for it.
 */
import { email } from "#shared/app/email.ts";
import { sqsClient } from "#shared/aws/sqs-client.ts";
import { screenRecipients } from "#shared/delivery/screen.ts";
import { suppressionPrefetch } from "#shared/delivery/suppression-prefetch.ts";
import { enqueueEmail, idempotentTaskId } from "#shared/email/enqueue.ts";
import { emailRequestSchema, normalizeEmail } from "#shared/email/request.ts";
import { httpHandler } from "#shared/http/handler.ts";
import { withIdempotency } from "#shared/http/idempotency.ts";
import { fingerprint } from "#shared/idempotency/fingerprint.ts";
import { logger } from "#shared/logger.ts";
import { countMetric, METRIC } from "#shared/metrics/metrics.ts";

export const handler = httpHandler(email.functions.createEmail, {
  body: emailRequestSchema,
  // The recipients' suppression entries, read by the API-key step's script in its round trip.
  prefetch: suppressionPrefetch,
  handle: async ({ event, ferry, config, body }) => {
    const ownerKeyId = ferry.principal?.keyId ?? "";
    const idempotencyKey = event.headers?.["idempotency-key"];
    const taskId = idempotencyKey
      ? idempotentTaskId(ownerKeyId, idempotencyKey, fingerprint(body))
      : undefined;
    return withIdempotency(ferry, idempotencyKey, body, async () => {
      // Suppressed recipients: 422 naming them, or (suppressed: "skip") dropped and reported.
      const { email: content, skipped } = await screenRecipients(
        ferry.redis,
        normalizeEmail(body),
        body.suppressed ?? "reject",
        ferry.prefetched,
      );
      if (skipped.length > 0) countMetric(METRIC.suppressedRecipientsRefused, { value: skipped.length });
      const task = await enqueueEmail(
        {
          redis: ferry.redis,
          sqs: sqsClient(config),
          queueUrl: config.EMAIL_QUEUE_URL,
          ...(taskId ? { newTaskId: () => taskId } : {}),
        },
        ownerKeyId,
        content,
      );
      countMetric(METRIC.emailsAccepted);
      logger.appendKeys({ taskId: task.id });
      return {
        status: 202,
        body: {
          taskId: task.id,
          status: task.status,
          ...(skipped.length > 0
            ? { skipped: skipped.map((s) => ({ address: s.address, reason: s.reason, at: s.at })) }
            : {}),
        },
        headers: { location: `/v1/tasks/${task.id}` },
      };
    });
  },
});

/**
 * POST /v1/emails: validate, honour Idempotency-Key, enqueue, answer 202 with the task id.
 * With an Idempotency-Key the task id is derived from it (see idempotentTaskId), so a retry after
 * a 503 can never produce a second email.
 */
import { email } from "#shared/app/email.ts";
import { sqsClient } from "#shared/aws/sqs-client.ts";
import {
  EnqueueFailedError,
  enqueueEmail,
  idempotentTaskId,
  MessageTooLargeError,
} from "#shared/email/enqueue.ts";
import { emailRequestSchema, normalizeEmail } from "#shared/email/request.ts";
import { HttpError, serviceUnavailable } from "#shared/http/errors.ts";
import { httpHandler } from "#shared/http/handler.ts";
import { withIdempotency } from "#shared/http/idempotency.ts";
import { fingerprint } from "#shared/idempotency/fingerprint.ts";
import { logger } from "#shared/logger.ts";
import { countMetric, METRIC } from "#shared/metrics/metrics.ts";

export const handler = httpHandler(email.functions.createEmail, {
  body: emailRequestSchema,
  handle: async ({ event, ferry, config, body }) => {
    const ownerKeyId = ferry.principal?.keyId ?? "";
    const idempotencyKey = event.headers?.["idempotency-key"];
    const taskId = idempotencyKey
      ? idempotentTaskId(ownerKeyId, idempotencyKey, fingerprint(body))
      : undefined;
    return withIdempotency(ferry, idempotencyKey, body, async () => {
      try {
        const task = await enqueueEmail(
          {
            redis: ferry.redis,
            sqs: sqsClient(config),
            queueUrl: config.EMAIL_QUEUE_URL,
            ...(taskId ? { newTaskId: () => taskId } : {}),
          },
          ownerKeyId,
          normalizeEmail(body),
        );
        countMetric(METRIC.emailsAccepted);
        logger.appendKeys({ taskId: task.id });
        return {
          status: 202,
          body: { taskId: task.id, status: task.status },
          headers: { location: `/v1/tasks/${task.id}` },
        };
      } catch (error) {
        if (error instanceof MessageTooLargeError) {
          throw new HttpError(413, {
            type: "payload-too-large",
            title: "Payload too large",
            // The queue carries non-ASCII as \uXXXX escapes (sqs-body.ts): 6 bytes per UTF-16 unit.
            detail: `The email is too large to queue (${error.bytes} bytes as queued, where a non-ASCII character takes 6 to 12; the limit is 262144).`,
          });
        }
        if (error instanceof EnqueueFailedError) {
          throw serviceUnavailable(
            "The email queue did not confirm the message; retry with the same Idempotency-Key.",
            5,
          );
        }
        throw error;
      }
    });
  },
});

/** POST /v1/emails: validate, honour Idempotency-Key, enqueue, answer 202 with the task id. */
import { sqsClient } from "#shared/aws/clients.ts";
import { required } from "#shared/config.ts";
import { EnqueueFailedError, enqueueEmail, MessageTooLargeError } from "#shared/email/enqueue.ts";
import { emailRequestSchema, normalizeEmail } from "#shared/email/request.ts";
import { HttpError, serviceUnavailable } from "#shared/http/errors.ts";
import { httpHandler } from "#shared/http/handler.ts";
import { withIdempotency } from "#shared/http/idempotency.ts";

export const handler = httpHandler({
  body: emailRequestSchema,
  handle: async ({ event, ferry, body }) =>
    withIdempotency(ferry, event.headers?.["idempotency-key"], body, async () => {
      try {
        const task = await enqueueEmail(
          {
            redis: ferry.redis,
            sqs: sqsClient(ferry.config),
            queueUrl: required(ferry.config, "EMAIL_QUEUE_URL"),
          },
          ferry.principal?.keyId ?? "",
          normalizeEmail(body),
        );
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
            detail: `The email is too large to queue (${error.bytes} bytes; the limit is 262144).`,
          });
        }
        if (error instanceof EnqueueFailedError)
          throw serviceUnavailable("The email queue is unavailable; retry.", 5);
        throw error;
      }
    }),
});

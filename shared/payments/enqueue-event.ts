/**
 * Hands a verified, normalised payment event to the payments FIFO queue. The webhook answers 2xx
 * only after this resolved, so an acknowledged event is durably queued; when it throws, the
 * provider gets a 5xx and delivers again later (its retries are the buffer, not ours).
 */
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { paymentQueueMessage } from "#shared/payments/queue-message.ts";
import type { PaymentEvent } from "./payment-event.ts";

export class PaymentEnqueueFailedError extends Error {
  override readonly name = "PaymentEnqueueFailedError";
}

export async function enqueuePaymentEvent(
  deps: { readonly sqs: SQSClient; readonly queueUrl: string },
  event: PaymentEvent,
): Promise<void> {
  try {
    await deps.sqs.send(new SendMessageCommand({ QueueUrl: deps.queueUrl, ...paymentQueueMessage(event) }));
  } catch (error) {
    throw new PaymentEnqueueFailedError("the payments queue did not accept the event", { cause: error });
  }
}

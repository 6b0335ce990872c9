/**
 * How a payment event travels on the payments FIFO queue. The group is the payment, so SQS hands
 * one payment's events to one worker at a time; the deduplication id is the event's identity
 * (built from what the provider signed), so a redelivery within SQS' 5-minute window is dropped at
 * the queue (the durable dedupe record in Redis covers the rest).
 */
import { createHash } from "node:crypto";
import type { PaymentEvent, PaymentProvider } from "#shared/payments/payment-event.ts";
import { sqsJsonBody } from "#shared/queues/sqs-body.ts";

/** SQS: at most 128 characters, each alphanumeric or ASCII punctuation. */
const SQS_ID = /^[A-Za-z0-9!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]{1,128}$/;

/** `provider:id` when SQS accepts it as is (readable in the console), else `provider:sha256(id)`. */
function sqsId(provider: PaymentProvider, id: string): string {
  const plain = `${provider}:${id}`;
  if (SQS_ID.test(plain)) return plain;
  return `${provider}:sha256:${createHash("sha256").update(id, "utf8").digest("hex")}`;
}

export function paymentMessageGroupId(event: Pick<PaymentEvent, "provider" | "paymentId">): string {
  return sqsId(event.provider, event.paymentId);
}

export function paymentMessageDeduplicationId(event: Pick<PaymentEvent, "provider" | "eventId">): string {
  return sqsId(event.provider, event.eventId);
}

/** The SendMessage fields for one event (QueueUrl is the caller's). */
export interface PaymentQueueMessage {
  readonly MessageBody: string;
  readonly MessageGroupId: string;
  readonly MessageDeduplicationId: string;
}

export function paymentQueueMessage(event: PaymentEvent): PaymentQueueMessage {
  return {
    // ASCII only: provider ids and emails are the provider's text, and SQS refuses some of it raw.
    MessageBody: sqsJsonBody(event),
    MessageGroupId: paymentMessageGroupId(event),
    MessageDeduplicationId: paymentMessageDeduplicationId(event),
  };
}

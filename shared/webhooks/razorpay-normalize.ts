/**
 * Razorpay events to payment events. The body is `{event, created_at, payload:{payment|order|refund:
 * {entity}}}`. Razorpay's event id travels in the `x-razorpay-event-id` header, outside what the
 * signature covers, so it cannot be the event's identity (anyone holding one signed body could
 * multiply it under fresh ids): the identity is the SHA-256 of the signed body itself.
 */
import * as z from "zod/mini";
import type { NormalizedWebhook, PaymentEvent } from "#shared/payments/payment-event.ts";
import { signedContentId } from "./event-identity.ts";
import { expectShape, isoFromUnixSeconds, parseJsonBody } from "./parse-body.ts";
import { currency, kindFor, minorUnits } from "./provider-fields.ts";

/** Razorpay fills `email` with this placeholder when checkout did not collect one. */
const PLACEHOLDER_EMAIL = "void@razorpay.com";

const envelopeSchema = z.object({
  event: z.string().check(z.minLength(1)),
  created_at: z.number().check(z.int(), z.nonnegative()),
  payload: z.record(z.string(), z.unknown()),
});

const paymentEntitySchema = z.object({
  id: z.string().check(z.minLength(1)),
  amount: minorUnits,
  currency,
  email: z.nullish(z.string()),
  amount_refunded: z.nullish(minorUnits),
  refund_status: z.nullish(z.string()),
});

const refundEntitySchema = z.object({
  id: z.string().check(z.minLength(1)),
  amount: minorUnits,
  currency,
  payment_id: z.string().check(z.minLength(1)),
});

const paymentPayloadSchema = z.object({ payment: z.object({ entity: paymentEntitySchema }) });
const refundPayloadSchema = z.object({
  refund: z.object({ entity: refundEntitySchema }),
  payment: z.optional(z.object({ entity: paymentEntitySchema })),
});

const PAYMENT_KINDS = {
  "payment.authorized": "authorized",
  "payment.captured": "succeeded",
  "payment.failed": "failed",
  // order.paid carries the captured payment alongside the order.
  "order.paid": "succeeded",
} as const;

/**
 * refund.created counts as well as refund.processed: Razorpay creates refunds only on captured
 * payments and almost all complete; both events of one refund carry the same `rfnd_` id, so
 * counting it twice is impossible.
 */
const REFUND_TYPES = new Set(["refund.created", "refund.processed"]);

function realEmail(email: string | null | undefined): { email?: string } {
  return email && email !== PLACEHOLDER_EMAIL ? { email } : {};
}

export function normalizeRazorpayEvent(rawBody: Buffer, now: Date): NormalizedWebhook {
  const envelope = expectShape(envelopeSchema, parseJsonBody(rawBody), "The Razorpay event");
  const eventId = signedContentId(rawBody);
  const base = {
    provider: "razorpay" as const,
    eventId,
    occurredAt: isoFromUnixSeconds(envelope.created_at, now, "created_at"),
    rawType: envelope.event,
  };

  const paymentKind = kindFor(PAYMENT_KINDS, envelope.event);
  if (paymentKind) {
    const payment = expectShape(paymentPayloadSchema, envelope.payload, "The Razorpay payload").payment
      .entity;
    const event: PaymentEvent = {
      ...base,
      kind: paymentKind,
      paymentId: payment.id,
      amount: payment.amount,
      currency: payment.currency,
      ...realEmail(payment.email),
    };
    return { kind: "payment", event };
  }

  if (REFUND_TYPES.has(envelope.event)) {
    const payload = expectShape(refundPayloadSchema, envelope.payload, "The Razorpay payload");
    const refund = payload.refund.entity;
    const payment = payload.payment?.entity;
    const event: PaymentEvent = {
      ...base,
      kind: "refund",
      paymentId: refund.payment_id,
      ...(payment ? { amount: payment.amount } : {}),
      currency: refund.currency,
      ...realEmail(payment?.email),
      refund: {
        refunds: [{ id: refund.id, amount: refund.amount }],
        ...(payment?.amount_refunded != null ? { totalRefunded: payment.amount_refunded } : {}),
        full: payment?.refund_status === "full",
      },
    };
    return { kind: "payment", event };
  }

  return { kind: "ignored", provider: "razorpay", eventId, type: envelope.event };
}

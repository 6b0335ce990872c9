/**
 * Stripe events to payment events. PaymentIntent events carry the PaymentIntent; `charge.refunded`
 * carries the Charge, whose `payment_intent` names the payment. Amounts are already in the
 * currency's smallest unit.
 */
import * as z from "zod/mini";
import type { NormalizedWebhook, PaymentEvent } from "#shared/payments/payment-event.ts";
import { expectShape, isoFromUnixSeconds, parseJsonBody } from "./parse-body.ts";
import { currency, kindFor, minorUnits } from "./provider-fields.ts";

const email = z.pipe(
  z.nullish(z.string()),
  z.transform((e: string | null | undefined) => (e ? e : undefined)),
);

const envelopeSchema = z.object({
  id: z.string().check(z.minLength(1)),
  type: z.string().check(z.minLength(1)),
  created: z.number().check(z.int(), z.nonnegative()),
  data: z.object({ object: z.unknown() }),
});

const paymentIntentSchema = z.object({
  id: z.string().check(z.minLength(1)),
  amount: minorUnits,
  amount_received: z.nullish(minorUnits),
  currency,
  receipt_email: email,
});

const chargeSchema = z.object({
  id: z.string().check(z.minLength(1)),
  amount: minorUnits,
  amount_captured: z.nullish(minorUnits),
  amount_refunded: minorUnits,
  currency,
  // A string id unless the event was sent with the field expanded.
  payment_intent: z.nullish(
    z.union([z.string().check(z.minLength(1)), z.object({ id: z.string().check(z.minLength(1)) })]),
  ),
  refunded: z.boolean(),
  receipt_email: email,
  billing_details: z.nullish(z.object({ email })),
  // Only on API versions before 2022-11-15; newer charges carry the running total alone.
  refunds: z.nullish(
    z.object({
      data: z.array(
        z.object({ id: z.string().check(z.minLength(1)), amount: minorUnits, status: z.nullish(z.string()) }),
      ),
    }),
  ),
});

const PAYMENT_INTENT_KINDS = {
  "payment_intent.processing": "pending",
  "payment_intent.amount_capturable_updated": "authorized",
  "payment_intent.succeeded": "succeeded",
  "payment_intent.payment_failed": "failed",
} as const;

/** Refunds that did not (or will not) move money are left out of the per-refund amounts. */
const UNSUCCESSFUL_REFUND = new Set(["failed", "canceled"]);

/**
 * The event's identity is its `evt_` id, which is inside the signed body. (Not a hash of the body:
 * Stripe's retries of one event may differ in bytes, e.g. `pending_webhooks`, and must stay one event.)
 */
export function normalizeStripeEvent(rawBody: Buffer, now: Date): NormalizedWebhook {
  const envelope = expectShape(envelopeSchema, parseJsonBody(rawBody), "The Stripe event");
  const base = {
    provider: "stripe" as const,
    eventId: envelope.id,
    occurredAt: isoFromUnixSeconds(envelope.created, now, "created"),
    rawType: envelope.type,
  };

  const kind = kindFor(PAYMENT_INTENT_KINDS, envelope.type);
  if (kind) {
    const intent = expectShape(paymentIntentSchema, envelope.data.object, "The PaymentIntent");
    const event: PaymentEvent = {
      ...base,
      kind,
      paymentId: intent.id,
      // On success the amount received is what the customer paid (less than `amount` after a partial capture).
      amount: kind === "succeeded" && intent.amount_received ? intent.amount_received : intent.amount,
      currency: intent.currency,
      ...(intent.receipt_email ? { email: intent.receipt_email } : {}),
    };
    return { kind: "payment", event };
  }

  if (envelope.type === "charge.refunded") {
    const charge = expectShape(chargeSchema, envelope.data.object, "The Charge");
    const intent = charge.payment_intent;
    const chargeEmail = charge.billing_details?.email ?? charge.receipt_email;
    const event: PaymentEvent = {
      ...base,
      kind: "refund",
      // Charges made without a PaymentIntent (legacy Charges API) are tracked under their own id.
      paymentId: typeof intent === "string" ? intent : (intent?.id ?? charge.id),
      amount: charge.amount_captured ? charge.amount_captured : charge.amount,
      currency: charge.currency,
      ...(chargeEmail ? { email: chargeEmail } : {}),
      refund: {
        refunds: (charge.refunds?.data ?? [])
          .filter((r) => !UNSUCCESSFUL_REFUND.has(r.status ?? ""))
          .map((r) => ({ id: r.id, amount: r.amount })),
        totalRefunded: charge.amount_refunded,
        full: charge.refunded,
      },
    };
    return { kind: "payment", event };
  }

  return { kind: "ignored", provider: "stripe", eventId: envelope.id, type: envelope.type };
}

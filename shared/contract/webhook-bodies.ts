/**
 * What each provider posts to /v1/webhooks/{provider}, for the document: the envelope fields
 * Ferry reads, open to everything else the provider sends. The handlers verify the signature on
 * the raw bytes before parsing anything (shared/webhooks/), so these schemas describe, they do
 * not validate; samples/webhooks/ has complete deliveries.
 */
import * as z from "zod";

export const stripeEventSchema = z
  .looseObject({
    id: z.string().meta({ example: "evt_1Pq…" }),
    type: z.string().meta({
      description:
        "Acted on: payment_intent.processing, payment_intent.amount_capturable_updated, payment_intent.succeeded, payment_intent.payment_failed, charge.refunded; others are acknowledged and ignored",
    }),
    created: z.int(),
    data: z.looseObject({ object: z.looseObject({ id: z.string(), object: z.string() }) }),
  })
  .meta({ id: "StripeEvent", description: "A Stripe event, signed with the `Stripe-Signature` header" });

export const razorpayEventSchema = z
  .looseObject({
    event: z.string().meta({
      description:
        "Acted on: payment.authorized, payment.captured, payment.failed, order.paid, refund.created, refund.processed; others are acknowledged and ignored",
    }),
    created_at: z.int(),
    payload: z.looseObject({}),
  })
  .meta({
    id: "RazorpayEvent",
    description: "A Razorpay webhook, signed with `X-Razorpay-Signature`; its id is `X-Razorpay-Event-Id`",
  });

export const payuCallbackSchema = z
  .looseObject({
    key: z.string(),
    txnid: z.string().meta({ description: "The payment id (hashed, so signed)" }),
    amount: z.string(),
    productinfo: z.string(),
    firstname: z.string(),
    email: z.string(),
    status: z.string().meta({ description: "success | failure | pending" }),
    mihpayid: z.string().optional(),
    hash: z.string().meta({ description: "SHA-512 reverse hash with the merchant salt" }),
  })
  .meta({
    id: "PayuCallback",
    description: "A PayU callback (S2S / webhook), form-encoded, signed by `hash`",
  });

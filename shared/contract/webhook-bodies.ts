/**
 * What each provider posts to /v1/webhooks/{provider}, for the document: the envelope fields
 * Ferry reads, open to everything else the provider sends. The handlers verify the signature on
 * the raw bytes before parsing anything (shared/webhooks/), so these schemas describe, they do
 * not validate; samples/webhooks/ has complete deliveries.
 */
import * as z from "zod/mini";
import { meta } from "#shared/zod/meta.ts";

export const stripeEventSchema = meta(
  z.looseObject({
    id: meta(z.string(), { example: "evt_1Pq…" }),
    type: meta(z.string(), {
      description:
        "Acted on: payment_intent.processing, payment_intent.amount_capturable_updated, payment_intent.succeeded, payment_intent.payment_failed, charge.refunded; others are acknowledged and ignored",
    }),
    created: z.int(),
    data: z.looseObject({ object: z.looseObject({ id: z.string(), object: z.string() }) }),
  }),
  { id: "StripeEvent", description: "A Stripe event, signed with the `Stripe-Signature` header" },
);

export const razorpayEventSchema = meta(
  z.looseObject({
    event: meta(z.string(), {
      description:
        "Acted on: payment.authorized, payment.captured, payment.failed, order.paid, refund.created, refund.processed; others are acknowledged and ignored",
    }),
    created_at: z.int(),
    payload: z.looseObject({}),
  }),
  {
    id: "RazorpayEvent",
    description: "A Razorpay webhook, signed with `X-Razorpay-Signature`; its id is `X-Razorpay-Event-Id`",
  },
);

export const payuCallbackSchema = meta(
  z.looseObject({
    key: z.string(),
    txnid: meta(z.string(), { description: "The payment id (hashed, so signed)" }),
    amount: z.string(),
    productinfo: z.string(),
    firstname: z.string(),
    email: z.string(),
    status: meta(z.string(), { description: "success | failure | pending" }),
    mihpayid: z.optional(z.string()),
    hash: meta(z.string(), { description: "SHA-512 reverse hash with the merchant salt" }),
  }),
  {
    id: "PayuCallback",
    description: "A PayU callback (S2S / webhook), form-encoded, signed by `hash`",
  },
);

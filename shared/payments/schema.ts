/**
 * The payment routes' schemas (GET /v1/payments, /v1/payments/{provider}/{paymentId} and its
 * email tasks): validated by the handlers and turned into the OpenAPI document (shared/contract/).
 */
import * as z from "zod/mini";
import { nextCursor, pageQuery } from "#shared/tasks/schema.ts";
import { meta } from "#shared/zod/meta.ts";
import { PAYMENT_STATUSES, type Payment } from "./payment.ts";
import { PAYMENT_PROVIDERS } from "./payment-event.ts";

const provider = z.enum(PAYMENT_PROVIDERS);

export const paymentParams = z.object({
  provider,
  paymentId: z.string().check(z.minLength(1), z.maxLength(255)),
});

/** The email tasks a payment can have, by their URL segment. */
export const PAYMENT_EMAIL_KINDS = ["receipt", "refund-notice"] as const;
export type PaymentEmailKind = (typeof PAYMENT_EMAIL_KINDS)[number];

export const paymentEmailParams = z.extend(paymentParams, { kind: z.enum(PAYMENT_EMAIL_KINDS) });

const emailTaskLink = z.object({
  taskId: z.string(),
  href: meta(z.string(), { description: "Where the task can be read with a `payments:read` key" }),
});

export const paymentSchema = meta(
  z.object({
    provider,
    paymentId: meta(z.string(), { description: "From a signed field only (PayU: the hashed `txnid`)" }),
    status: z.enum(PAYMENT_STATUSES),
    amount: meta(z.int(), { description: "Minor units (cents, paise)" }),
    currency: z.string(),
    email: z.optional(z.string()),
    reference: meta(z.optional(z.string()), { description: "PayU: the `mihpayid` (unsigned, data only)" }),
    events: z.array(z.object({ id: z.string(), type: z.string(), at: z.string() })),
    receipt: meta(z.optional(emailTaskLink), {
      description: "The receipt email's task, once the payment is paid",
    }),
    refundNotice: meta(z.optional(emailTaskLink), {
      description: "The refund notice's task, once the payment is fully refunded",
    }),
  }),
  { id: "Payment" },
);

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _paymentMatches: [z.output<typeof paymentSchema>] extends [Payment]
  ? Same<keyof z.output<typeof paymentSchema>, keyof Payment>
  : false = true;
void _paymentMatches;

export const paymentListQuery = z.extend(pageQuery, {
  provider: meta(z.optional(provider), { description: "Only this provider's payments" }),
  status: meta(z.optional(z.enum(PAYMENT_STATUSES)), { description: "Only payments in this status" }),
});

export const paymentListSchema = meta(z.object({ items: z.array(paymentSchema), nextCursor }), {
  id: "PaymentList",
  description: "Payments, newest first (by when Ferry first recorded them)",
});

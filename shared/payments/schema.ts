/**
 * The payment routes' schemas (GET /v1/payments, /v1/payments/{provider}/{paymentId} and its
 * email tasks): validated by the handlers and turned into the OpenAPI document (shared/contract/).
 */
import * as z from "zod";
import { nextCursor, pageQuery } from "#shared/tasks/schema.ts";
import { PAYMENT_STATUSES, type Payment } from "./payment.ts";
import { PAYMENT_PROVIDERS } from "./payment-event.ts";

const provider = z.enum(PAYMENT_PROVIDERS);

export const paymentParams = z.object({ provider, paymentId: z.string().min(1).max(255) });

/** The email tasks a payment can have, by their URL segment. */
export const PAYMENT_EMAIL_KINDS = ["receipt", "refund-notice"] as const;
export type PaymentEmailKind = (typeof PAYMENT_EMAIL_KINDS)[number];

export const paymentEmailParams = paymentParams.extend({ kind: z.enum(PAYMENT_EMAIL_KINDS) });

const emailTaskLink = z.object({
  taskId: z.string(),
  href: z.string().meta({ description: "Where the task can be read with a `payments:read` key" }),
});

export const paymentSchema = z
  .object({
    provider,
    paymentId: z.string().meta({ description: "From a signed field only (PayU: the hashed `txnid`)" }),
    status: z.enum(PAYMENT_STATUSES),
    amount: z.int().meta({ description: "Minor units (cents, paise)" }),
    currency: z.string(),
    email: z.string().optional(),
    reference: z.string().optional().meta({ description: "PayU: the `mihpayid` (unsigned, data only)" }),
    events: z.array(z.object({ id: z.string(), type: z.string(), at: z.string() })),
    receipt: emailTaskLink
      .optional()
      .meta({ description: "The receipt email's task, once the payment is paid" }),
    refundNotice: emailTaskLink
      .optional()
      .meta({ description: "The refund notice's task, once the payment is fully refunded" }),
  })
  .meta({ id: "Payment" });

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _paymentMatches: [z.output<typeof paymentSchema>] extends [Payment]
  ? Same<keyof z.output<typeof paymentSchema>, keyof Payment>
  : false = true;
void _paymentMatches;

export const paymentListQuery = pageQuery.extend({
  provider: provider.optional().meta({ description: "Only this provider's payments" }),
  status: z.enum(PAYMENT_STATUSES).optional().meta({ description: "Only payments in this status" }),
});

export const paymentListSchema = z
  .object({ items: z.array(paymentSchema), nextCursor })
  .meta({ id: "PaymentList", description: "Payments, newest first (by when Ferry first recorded them)" });

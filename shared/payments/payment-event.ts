/**
 * The one shape every provider's webhook is normalised to, and the body of a message on the
 * payments FIFO queue. The ingest route produces it and validates it with this schema before it
 * acknowledges; the payment worker parses it back with the same schema and applies it. One schema
 * on both sides, so whatever ingest acknowledged the worker can apply.
 */
import * as z from "zod/mini";
import "#shared/zod/messages.ts";

export const PAYMENT_PROVIDERS = ["stripe", "razorpay", "payu"] as const;
export type PaymentProvider = (typeof PAYMENT_PROVIDERS)[number];

/**
 * What the event says happened. `refund` does not name a target status: whether the payment ends
 * partially or fully refunded depends on every refund seen, so the record decides.
 */
const _PAYMENT_EVENT_KINDS = ["pending", "authorized", "succeeded", "failed", "refund"] as const;

/**
 * Upper bound for amounts in minor units. Redis' Lua cjson prints numbers with 14 significant
 * digits, so anything larger would be rounded inside the compare-and-set script.
 */
export const MAX_MINOR_UNITS = 1_000_000_000_000;

const minorUnits = z.number().check(z.int(), z.nonnegative(), z.lte(MAX_MINOR_UNITS));

/**
 * `Date.prototype.toISOString()` output exactly: fixed width, so the Lua script can order
 * timestamps by comparing strings.
 */
export const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const refundReportSchema = z.object({
  /** Refunds this event reports, by provider refund id (a refund may be reported more than once). */
  refunds: z.array(z.object({ id: z.string().check(z.minLength(1), z.maxLength(255)), amount: minorUnits })),
  /** The provider's own running total of refunded minor units, when it sends one. */
  totalRefunded: z.optional(minorUnits),
  /** The provider says the payment is now fully refunded. */
  full: z.boolean(),
});

const common = {
  provider: z.enum(PAYMENT_PROVIDERS),
  /**
   * The event's identity, from what the provider signed: Stripe's `evt_` id (inside the signed
   * body); for Razorpay and PayU, whose ids are unsigned, `sha256:` of the signed body / fields.
   */
  eventId: z.string().check(z.minLength(1), z.maxLength(255)),
  /** Stripe PaymentIntent `pi_`, Razorpay `pay_`, PayU `txnid` (the hashed transaction id). */
  paymentId: z.string().check(z.minLength(1), z.maxLength(255)),
  /** The provider's own id when it is not the payment id and is not signed (PayU `mihpayid`): data only. */
  reference: z.optional(z.string().check(z.minLength(1), z.maxLength(255))),
  /** The payment's amount in minor units (for refunds: the payment's, not the refund's), when sent. */
  amount: z.optional(minorUnits),
  /** ISO 4217, upper case. */
  currency: z.string().check(z.regex(/^[A-Z]{3}$/)),
  email: z.optional(z.string().check(z.minLength(1), z.maxLength(320))),
  /** The provider's timestamp for the event (not the time we received it). */
  occurredAt: z.string().check(z.regex(ISO_INSTANT)),
  /**
   * Set when the provider does not sign the timestamp (PayU's addedon): it then only dates the
   * event in the history and never decides which event's amount, email or attempt status wins.
   */
  unsignedTime: z.optional(z.literal(true)),
  /** The provider's own event type (`payment_intent.succeeded`, `payment.captured`, `success`...). */
  rawType: z.string().check(z.minLength(1), z.maxLength(255)),
};

export const paymentEventSchema = z.discriminatedUnion("kind", [
  z.object({ ...common, kind: z.enum(["pending", "authorized", "succeeded", "failed"]) }),
  z.object({ ...common, kind: z.literal("refund"), refund: refundReportSchema }),
]);

export type PaymentEvent = z.infer<typeof paymentEventSchema>;

/** A verified delivery of a type we do not act on: acknowledged and recorded, never retried. */
export interface IgnoredWebhook {
  readonly kind: "ignored";
  readonly provider: PaymentProvider;
  readonly eventId: string;
  readonly type: string;
}

export type NormalizedWebhook = { readonly kind: "payment"; readonly event: PaymentEvent } | IgnoredWebhook;

export class InvalidPaymentEventMessageError extends Error {
  override readonly name = "InvalidPaymentEventMessageError";
}

/** Parses a payments-queue message body; throws InvalidPaymentEventMessageError when it is not one. */
export function parsePaymentEventMessage(body: string): PaymentEvent {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidPaymentEventMessageError("The message body is not JSON.");
  }
  const result = paymentEventSchema.safeParse(json);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new InvalidPaymentEventMessageError(`Not a payment event: ${problems.join("; ")}`);
  }
  return result.data;
}

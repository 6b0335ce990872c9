/**
 * Stripe event bodies as Stripe sends them: an `event` envelope around the object, pretty-printed
 * with two-space indentation (so a re-serialised body differs byte for byte), signed with the
 * stripe SDK's own test header generator (the oracle).
 */
import { randomBytes } from "node:crypto";
import Stripe from "stripe";

export const STRIPE_SECRET = "whsec_test_current_0123456789abcdef";
export const STRIPE_OLD_SECRET = "whsec_test_retiring_fedcba9876543210";

const rid = (prefix: string) => `${prefix}_${randomBytes(12).toString("hex")}`;

export interface PaymentIntentInit {
  readonly id?: string;
  readonly amount?: number;
  readonly amountReceived?: number;
  readonly currency?: string;
  readonly status?: string;
  readonly receiptEmail?: string | null;
}

export function paymentIntent(init: PaymentIntentInit = {}) {
  const id = init.id ?? rid("pi");
  return {
    id,
    object: "payment_intent",
    amount: init.amount ?? 2000,
    amount_capturable: 0,
    amount_details: { tip: {} },
    amount_received: init.amountReceived ?? 0,
    application: null,
    application_fee_amount: null,
    automatic_payment_methods: { allow_redirects: "always", enabled: true },
    canceled_at: null,
    cancellation_reason: null,
    capture_method: "automatic_async",
    client_secret: `${id}_secret_${randomBytes(8).toString("hex")}`,
    confirmation_method: "automatic",
    created: 1_700_000_000,
    currency: init.currency ?? "usd",
    customer: null,
    description: "Ferry order 42",
    last_payment_error: null,
    latest_charge: rid("ch"),
    livemode: false,
    metadata: { order_id: "42" },
    next_action: null,
    on_behalf_of: null,
    payment_method: rid("pm"),
    payment_method_types: ["card"],
    processing: null,
    receipt_email: init.receiptEmail === undefined ? "jenny.rosen@example.com" : init.receiptEmail,
    setup_future_usage: null,
    shipping: null,
    statement_descriptor: null,
    status: init.status ?? "succeeded",
    transfer_data: null,
    transfer_group: null,
  };
}

export interface ChargeInit {
  readonly paymentIntent: string | null;
  readonly amount?: number;
  readonly amountRefunded: number;
  readonly refunded?: boolean;
  readonly currency?: string;
  /** Individual refunds, as listed on API versions before 2022-11-15; omitted when undefined. */
  readonly refunds?: readonly { id: string; amount: number; status?: string }[];
  readonly billingEmail?: string | null;
}

export function charge(init: ChargeInit) {
  const id = rid("ch");
  const amount = init.amount ?? 2000;
  return {
    id,
    object: "charge",
    amount,
    amount_captured: amount,
    amount_refunded: init.amountRefunded,
    application: null,
    balance_transaction: rid("txn"),
    billing_details: {
      address: { city: null, country: "US", line1: null, line2: null, postal_code: "94103", state: null },
      email: init.billingEmail === undefined ? "jenny.rosen@example.com" : init.billingEmail,
      name: "Jenny Rosen",
      phone: null,
    },
    captured: true,
    created: 1_700_000_000,
    currency: init.currency ?? "usd",
    customer: null,
    description: "Ferry order 42",
    disputed: false,
    livemode: false,
    metadata: {},
    paid: true,
    payment_intent: init.paymentIntent,
    payment_method: rid("pm"),
    receipt_email: null,
    refunded: init.refunded ?? init.amountRefunded >= amount,
    ...(init.refunds
      ? {
          refunds: {
            object: "list",
            data: init.refunds.map((r) => ({
              id: r.id,
              object: "refund",
              amount: r.amount,
              charge: id,
              created: 1_700_000_100,
              currency: init.currency ?? "usd",
              payment_intent: init.paymentIntent,
              reason: "requested_by_customer",
              status: r.status ?? "succeeded",
            })),
            has_more: false,
            total_count: init.refunds.length,
            url: `/v1/charges/${id}/refunds`,
          },
        }
      : {}),
    status: "succeeded",
  };
}

export interface StripeEventInit {
  readonly id?: string;
  /** Unix seconds. */
  readonly created?: number;
}

/** The body bytes exactly as Stripe posts them (pretty-printed JSON). */
export function stripeEventBody(type: string, object: unknown, init: StripeEventInit = {}): Buffer {
  const event = {
    id: init.id ?? rid("evt"),
    object: "event",
    api_version: "2024-06-20",
    created: init.created ?? 1_700_000_100,
    data: { object },
    livemode: false,
    pending_webhooks: 1,
    request: { id: rid("req"), idempotency_key: randomBytes(16).toString("hex") },
    type,
  };
  return Buffer.from(JSON.stringify(event, null, 2), "utf8");
}

/** A Stripe-Signature header from the SDK's own generator (the oracle). */
export function stripeSignatureHeader(body: Buffer, secret: string, timestampSeconds: number): string {
  return Stripe.webhooks.generateTestHeaderString({
    payload: body.toString("utf8"),
    secret,
    timestamp: timestampSeconds,
  });
}

/** One header carrying a v1 signature per secret, as Stripe sends while a secret is being rolled. */
export function stripeRotationHeader(
  body: Buffer,
  secrets: readonly string[],
  timestampSeconds: number,
): string {
  const v1s = secrets.map((secret) => {
    const header = stripeSignatureHeader(body, secret, timestampSeconds);
    return header.split(",").find((part) => part.startsWith("v1=")) ?? "";
  });
  return [`t=${timestampSeconds}`, ...v1s].join(",");
}

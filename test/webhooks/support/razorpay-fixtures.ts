/**
 * Razorpay webhook bodies as Razorpay sends them: compact JSON `{entity:"event", event, contains,
 * payload, created_at}` with an `x-razorpay-event-id` header. Signatures are computed here with
 * HMAC-SHA256 and every fixture signature is checked against the razorpay SDK (the oracle).
 */
import { createHmac, randomBytes } from "node:crypto";
import Razorpay from "razorpay";

export const RAZORPAY_SECRET = "rzp_webhook_secret_current";
export const RAZORPAY_OLD_SECRET = "rzp_webhook_secret_retiring";

const rid = (prefix: string) => `${prefix}_${randomBytes(7).toString("hex")}`;

export const razorpayEventId = () => randomBytes(7).toString("base64url");

export interface RazorpayPaymentInit {
  readonly id?: string;
  readonly amount?: number;
  readonly status?: string;
  readonly email?: string;
  readonly amountRefunded?: number;
  readonly refundStatus?: "partial" | "full" | null;
}

export function razorpayPayment(init: RazorpayPaymentInit = {}) {
  const failed = init.status === "failed";
  return {
    id: init.id ?? rid("pay"),
    entity: "payment",
    amount: init.amount ?? 50_000,
    currency: "INR",
    base_amount: init.amount ?? 50_000,
    status: init.status ?? "captured",
    order_id: rid("order"),
    invoice_id: null,
    international: false,
    method: "card",
    amount_refunded: init.amountRefunded ?? 0,
    amount_transferred: 0,
    refund_status: init.refundStatus ?? null,
    captured: init.status === "captured" || init.status === "refunded",
    description: "Ferry order 42",
    card_id: rid("card"),
    bank: null,
    wallet: null,
    vpa: null,
    email: init.email ?? "gaurav.kumar@example.com",
    contact: "+919876543210",
    notes: [],
    fee: failed ? null : 1180,
    tax: failed ? null : 180,
    error_code: failed ? "BAD_REQUEST_ERROR" : null,
    error_description: failed ? "Payment failed due to incorrect card details" : null,
    error_source: failed ? "customer" : null,
    error_step: failed ? "payment_authorization" : null,
    error_reason: failed ? "incorrect_card_details" : null,
    acquirer_data: { auth_code: "828553" },
    created_at: 1_700_000_000,
  };
}

export function razorpayRefund(init: { id?: string; paymentId: string; amount: number; status?: string }) {
  return {
    id: init.id ?? rid("rfnd"),
    entity: "refund",
    amount: init.amount,
    currency: "INR",
    payment_id: init.paymentId,
    notes: [],
    receipt: null,
    acquirer_data: { arn: null },
    created_at: 1_700_000_200,
    batch_id: null,
    status: init.status ?? "processed",
    speed_processed: "normal",
    speed_requested: "optimum",
  };
}

export function razorpayOrder(init: { amount: number }) {
  return {
    id: rid("order"),
    entity: "order",
    amount: init.amount,
    amount_paid: init.amount,
    amount_due: 0,
    currency: "INR",
    receipt: "rcptid_42",
    offer_id: null,
    status: "paid",
    attempts: 1,
    notes: [],
    created_at: 1_699_999_990,
  };
}

/** The body bytes as Razorpay posts them (compact JSON). */
export function razorpayEventBody(
  event: string,
  payload: Record<string, { entity: unknown }>,
  createdAt = 1_700_000_100,
): Buffer {
  const body = {
    entity: "event",
    account_id: "acc_BFQ7uQEaa7j2z7",
    event,
    contains: Object.keys(payload),
    payload,
    created_at: createdAt,
  };
  return Buffer.from(JSON.stringify(body), "utf8");
}

/** Hex HMAC-SHA256 of the body; throws if the razorpay SDK (the oracle) disagrees. */
export function razorpaySignature(body: Buffer, secret: string): string {
  const signature = createHmac("sha256", secret).update(body).digest("hex");
  if (!Razorpay.validateWebhookSignature(body.toString("utf8"), signature, secret)) {
    throw new Error("fixture signature rejected by the razorpay SDK");
  }
  return signature;
}

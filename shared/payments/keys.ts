/**
 * Redis key names, lifetimes and deterministic ids for the payments domain. Kept together so the
 * scripts, the repository and the tests agree on them.
 */
import { createHash } from "node:crypto";
import type { PaymentProvider } from "./payment-event.ts";

export const PAYMENT_KEY_PREFIX = "ferry:payments:";

/** Payment records are the system of record for a payment: they do not expire. */
export const paymentKey = (provider: PaymentProvider, paymentId: string) =>
  `${PAYMENT_KEY_PREFIX}${provider}:${paymentId}`;

/** One durable dedupe record per provider event (payment events and ignored ones alike). */
export const webhookEventKey = (provider: PaymentProvider, eventId: string) =>
  `ferry:webhook-events:${provider}:${eventId}`;

/**
 * Stripe retries for up to 3 days and Razorpay for 24 h; a week leaves room for manual redelivery
 * from a dead-letter queue. Payment records also list their event ids, which catches a duplicate
 * even after this record has expired.
 */
export const WEBHOOK_EVENT_TTL_SECONDS = 7 * 24 * 60 * 60;

/**
 * How long an emitted, unconfirmed effect is left to the worker that emitted it before a later
 * delivery emits it again. It must stay below the payments queue's visibility timeout: a message
 * whose worker crashed comes back after that timeout, and must then find the claim lapsed.
 */
export const DEFAULT_EFFECT_CLAIM_MS = 30_000;

function digest(parts: readonly string[]): string {
  // NUL cannot occur in provider ids, so distinct (provider, id) pairs never hash the same input.
  return createHash("sha256").update(parts.join("\0"), "utf8").digest("hex").slice(0, 32);
}

/** The receipt email's task id: fixed per payment, so at most one receipt can ever exist. */
export const receiptTaskId = (provider: PaymentProvider, paymentId: string) =>
  `pay-receipt-${digest(["receipt", provider, paymentId])}`;

/** The refund notice's task id: fixed per payment, so at most one notice can ever exist. */
export const refundNoticeTaskId = (provider: PaymentProvider, paymentId: string) =>
  `pay-refund-${digest(["refund_notice", provider, paymentId])}`;

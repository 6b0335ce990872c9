/**
 * Stripe: GET /v1/events/{id}. Stripe returns the event as it sent it (for 30 days), so the
 * answer is normalised the way the webhook was, and must describe the same payment, kind, amount
 * and currency. An event Stripe does not know (404) was not sent by Stripe.
 */

import type { PaymentEvent } from "#shared/payments/payment-event.ts";
import { callProvider, ProviderUnavailableError } from "#shared/payments/provider-api.ts";
import { confirmed, type ProviderVerifier, refuted } from "#shared/payments/provider-verification.ts";
import { MalformedWebhookBodyError } from "./errors.ts";
import { normalizeStripeEvent } from "./stripe-normalize.ts";

export interface StripeApi {
  readonly url: string;
  readonly apiKey: string;
  readonly timeoutMs: number;
}

export function stripeVerifier(api: StripeApi, now: () => Date = () => new Date()): ProviderVerifier {
  return async (event: PaymentEvent) => {
    const answer = await callProvider(
      `${api.url.replace(/\/$/, "")}/v1/events/${encodeURIComponent(event.eventId)}`,
      { headers: { authorization: `Bearer ${api.apiKey}` } },
      api.timeoutMs,
    );
    if (answer.status === 404) return refuted("Stripe does not know this event");
    let theirs: PaymentEvent;
    try {
      const normalized = normalizeStripeEvent(Buffer.from(JSON.stringify(answer.body)), now());
      if (normalized.kind !== "payment") return refuted(`Stripe says the event is a ${normalized.type}`);
      theirs = normalized.event;
    } catch (error) {
      if (!(error instanceof MalformedWebhookBodyError)) throw error;
      throw new ProviderUnavailableError("Stripe answered with an event Ferry cannot read");
    }
    const differs = (["paymentId", "kind", "amount", "currency"] as const).filter(
      (field) => theirs[field] !== event[field],
    );
    return differs.length === 0 ? confirmed : refuted(`Stripe's event differs in ${differs.join(", ")}`);
  };
}

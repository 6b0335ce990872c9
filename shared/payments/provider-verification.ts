/**
 * "Verify with the provider": before the worker applies an event that says money moved (a
 * success, or a refund, which implies one and so also triggers the receipt), it asks the
 * provider's own API. A webhook signature proves who signed; this also survives a leaked webhook
 * secret or PayU salt, and a signature scheme that covers less than it should.
 *
 * Outcomes: confirmed → apply; refuted (the provider answered and disagrees) → not applied, the
 * message is retried with backoff and ends in the payments DLQ for a human (it raises the DLQ
 * alarm); unavailable → retried the same way, and applied once the provider confirms.
 */
import type { PaymentEvent, PaymentProvider } from "./payment-event.ts";
import { ProviderUnavailableError } from "./provider-api.ts";

export type VerificationOutcome =
  | { readonly kind: "confirmed" }
  | { readonly kind: "refuted"; readonly reason: string }
  | { readonly kind: "unavailable"; readonly reason: string };

/** Asks the provider about one event; throws ProviderUnavailableError when it gave no answer. */
export type ProviderVerifier = (event: PaymentEvent) => Promise<VerificationOutcome>;

export type ProviderVerifiers = Readonly<Partial<Record<PaymentProvider, ProviderVerifier>>>;

/** Events after which money counts as moved (and a receipt goes out). */
export function needsVerification(event: PaymentEvent): boolean {
  return event.kind === "succeeded" || event.kind === "refund";
}

export const confirmed: VerificationOutcome = { kind: "confirmed" };
export const refuted = (reason: string): VerificationOutcome => ({ kind: "refuted", reason });

/** Runs the provider's verifier when one is configured and the event needs it. */
export async function verifyWithProvider(
  verifiers: ProviderVerifiers,
  event: PaymentEvent,
): Promise<VerificationOutcome> {
  const verify = verifiers[event.provider];
  if (!verify || !needsVerification(event)) return confirmed;
  try {
    return await verify(event);
  } catch (error) {
    if (error instanceof ProviderUnavailableError) return { kind: "unavailable", reason: error.message };
    throw error;
  }
}

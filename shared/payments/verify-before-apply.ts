/**
 * The worker's gate for "verify with the provider": whether an event may be applied now. Events
 * already applied (their dedupe record exists) pass without a call, so a redelivered success does
 * not ask the provider again, and cannot be refused because the payment has moved on since.
 */
import type { RedisClient } from "#shared/redis/client.ts";
import { webhookEventKey } from "./keys.ts";
import type { PaymentEvent } from "./payment-event.ts";
import {
  confirmed,
  needsVerification,
  type ProviderVerifiers,
  type VerificationOutcome,
  verifyWithProvider,
} from "./provider-verification.ts";

export async function gateOnProvider(
  redis: Pick<RedisClient, "exists">,
  verifiers: ProviderVerifiers,
  event: PaymentEvent,
): Promise<VerificationOutcome> {
  if (!verifiers[event.provider] || !needsVerification(event)) return confirmed;
  if ((await redis.exists(webhookEventKey(event.provider, event.eventId))) > 0) return confirmed;
  return verifyWithProvider(verifiers, event);
}

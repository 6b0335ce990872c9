/**
 * Verified webhook events Ferry does not act on: recorded once so a redelivery is acknowledged
 * as a duplicate and never reprocessed. Its own module so the webhook function, which needs only
 * this, does not bundle the payment scripts and schemas of repository.ts (~8 KB).
 */
import type { RedisClient } from "#shared/redis/client.ts";
import { WEBHOOK_EVENT_TTL_SECONDS, webhookEventKey } from "./keys.ts";
import type { IgnoredWebhook } from "./payment-event.ts";

/**
 * Records a verified event we do not act on, so it is acknowledged once and never reprocessed.
 * Returns whether it had been recorded before.
 */
export async function recordIgnoredEvent(
  redis: Pick<RedisClient, "set">,
  ignored: IgnoredWebhook,
  now: Date,
): Promise<{ duplicate: boolean }> {
  const value = JSON.stringify({ ignored: true, type: ignored.type, at: now.getTime() });
  const reply = await redis.set(webhookEventKey(ignored.provider, ignored.eventId), value, {
    nx: true,
    ex: WEBHOOK_EVENT_TTL_SECONDS,
  });
  return { duplicate: reply === null };
}

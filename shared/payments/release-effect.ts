/**
 * Gives back the claim on an emitted effect the worker could not enqueue, so the redelivered
 * event re-emits it at once instead of after the claim lapses (DEFAULT_EFFECT_CLAIM_MS).
 *
 * Why this exists: the claim protects an effect while its worker may still be enqueueing it. A
 * worker that KNOWS it failed holds nothing worth protecting; releasing lets the worker hand the
 * message back after a short backoff (see worker.ts) rather than the queue's long visibility
 * timeout. Re-emitting is always safe: the task id is fixed and the email pipeline sends at most
 * one email per task id, even if the failed enqueue did in fact reach the queue.
 *
 * Only the worker's own claim is released (same task id, same claim time, still unconfirmed).
 */
import type { RedisClient } from "#shared/redis/client.ts";
import { defineScript } from "#shared/redis/script.ts";
import { paymentKey } from "./keys.ts";
import type { EffectKind } from "./payment.ts";
import type { PaymentProvider } from "./payment-event.ts";

/**
 * KEYS[1] payment record. ARGV[1] effect kind, ARGV[2] task id, ARGV[3] the claim time (ms) the
 * apply script stamped. Returns 1 when released, 0 when the claim is not (or no longer) ours.
 * A claim time of 0 has lapsed for any claim length, which is all the apply script checks.
 */
const RELEASE_EFFECT_CLAIM_SCRIPT = defineScript(`
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local payment = cjson.decode(raw)
local effect = payment.effects[ARGV[1]]
if not effect or effect.enqueued or effect.taskId ~= ARGV[2] then return 0 end
if effect.claimedAt ~= tonumber(ARGV[3]) then return 0 end
effect.claimedAt = 0
redis.call('SET', KEYS[1], cjson.encode(payment))
return 1
`);

export interface HeldEffectClaim {
  readonly provider: PaymentProvider;
  readonly paymentId: string;
  readonly kind: EffectKind;
  readonly taskId: string;
  /** The `now` passed to applyPaymentEvent when the effect was emitted. */
  readonly claimedAt: Date;
}

export async function releaseEffectClaim(
  redis: Pick<RedisClient, "createScript">,
  claim: HeldEffectClaim,
): Promise<boolean> {
  const reply = await RELEASE_EFFECT_CLAIM_SCRIPT(
    redis,
    [paymentKey(claim.provider, claim.paymentId)],
    [claim.kind, claim.taskId, String(claim.claimedAt.getTime())],
  );
  return Number(reply) === 1;
}

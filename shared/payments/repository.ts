/**
 * The payment worker's domain entry points: apply an event (one atomic script), confirm an effect
 * once it is enqueued, read the payment worker's writes (reads are in payment-reads.ts and ignored events in
 * ignored-events.ts, so the functions that need only those do not bundle these scripts).
 *
 * Exactly-once effects: the script decides an effect (receipt, refund notice) and stores it as
 * unconfirmed; the worker enqueues it and then calls `confirmEffect`. If the worker dies between
 * the two, the redelivered event is a duplicate, and the duplicate emits the unconfirmed effect
 * again with the same task id. Emission is therefore at-least-once with a fixed task id per
 * payment; the task store turns that into at-most-one email by creating a task id only once.
 */

import * as z from "zod/mini";
import type { RedisClient } from "#shared/redis/client.ts";
import { redisKeys } from "#shared/redis/keys.ts";
import { asString } from "#shared/redis/reply.ts";
import { APPLY_PAYMENT_EVENT_SCRIPT, CONFIRM_EFFECT_SCRIPT } from "./apply-event-script.ts";
import {
  DEFAULT_EFFECT_CLAIM_MS,
  paymentKey,
  receiptTaskId,
  refundNoticeTaskId,
  WEBHOOK_EVENT_TTL_SECONDS,
  webhookEventKey,
} from "./keys.ts";
import {
  EFFECT_KINDS,
  type EffectKind,
  listOf,
  PAYMENT_STATUSES,
  type Payment,
  type PaymentEffect,
  type PaymentStatus,
  paymentRecordSchema,
  toPublicPayment,
} from "./payment.ts";
import { type PaymentEvent, type PaymentProvider, paymentEventSchema } from "./payment-event.ts";

/** The Upstash client calls this module makes (the production client satisfies it). */
export type PaymentsRedis = Pick<RedisClient, "createScript" | "get" | "set">;

const applyResultSchema = z.object({
  duplicate: z.boolean(),
  applied: z.boolean(),
  statusChanged: z.boolean(),
  previousStatus: z.optional(z.enum(PAYMENT_STATUSES)),
  payment: z.optional(paymentRecordSchema),
  effects: listOf(z.object({ kind: z.enum(EFFECT_KINDS), taskId: z.string() })),
});

export interface ApplyResult {
  /** The event was new and has been merged into the record. */
  readonly applied: boolean;
  /** The event had been applied before (dedupe record or the payment's own history). */
  readonly duplicate: boolean;
  /** The status differs from before (always true for the event that created the record). */
  readonly statusChanged: boolean;
  readonly previousStatus?: PaymentStatus;
  /** The record after the event; absent only for a duplicate whose payment is unknown. */
  readonly payment?: Payment;
  /** To enqueue now, then `confirmEffect` each. Receipt first, then refund notice. */
  readonly effects: readonly PaymentEffect[];
}

export interface ApplyOptions {
  /** See DEFAULT_EFFECT_CLAIM_MS: must stay below the payments queue's visibility timeout. */
  readonly effectClaimMs?: number;
}

export async function applyPaymentEvent(
  redis: PaymentsRedis,
  event: PaymentEvent,
  now: Date,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  // Re-validated here because the script trusts its input: a malformed event must not reach Lua.
  const valid = paymentEventSchema.parse(event);
  const reply = await APPLY_PAYMENT_EVENT_SCRIPT(
    redis,
    [
      paymentKey(valid.provider, valid.paymentId),
      webhookEventKey(valid.provider, valid.eventId),
      redisKeys.paymentsIndex(),
    ],
    [
      JSON.stringify(valid),
      String(now.getTime()),
      String(WEBHOOK_EVENT_TTL_SECONDS),
      String(options.effectClaimMs ?? DEFAULT_EFFECT_CLAIM_MS),
      receiptTaskId(valid.provider, valid.paymentId),
      refundNoticeTaskId(valid.provider, valid.paymentId),
    ],
  );
  const result = applyResultSchema.parse(JSON.parse(asString(reply)));
  return {
    applied: result.applied,
    duplicate: result.duplicate,
    statusChanged: result.statusChanged,
    ...(result.previousStatus ? { previousStatus: result.previousStatus } : {}),
    ...(result.payment ? { payment: toPublicPayment(result.payment) } : {}),
    effects: result.effects,
  };
}

export interface EffectRef {
  readonly provider: PaymentProvider;
  readonly paymentId: string;
  readonly kind: EffectKind;
  readonly taskId: string;
}

/** Call after the effect's task was enqueued. Returns false when the payment has no such effect. */
export async function confirmEffect(redis: PaymentsRedis, effect: EffectRef, now: Date): Promise<boolean> {
  const reply = await CONFIRM_EFFECT_SCRIPT(
    redis,
    [paymentKey(effect.provider, effect.paymentId)],
    [effect.kind, effect.taskId, String(now.getTime())],
  );
  return Number(reply) === 1;
}

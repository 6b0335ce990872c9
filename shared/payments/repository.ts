/**
 * The payment worker's domain entry points: apply an event (one atomic script), confirm an effect
 * once it is enqueued, read a payment, and record an ignored event.
 *
 * Exactly-once effects: the script decides an effect (receipt, refund notice) and stores it as
 * unconfirmed; the worker enqueues it and then calls `confirmEffect`. If the worker dies between
 * the two, the redelivered event is a duplicate, and the duplicate emits the unconfirmed effect
 * again with the same task id. Emission is therefore at-least-once with a fixed task id per
 * payment; the task store turns that into at-most-one email by creating a task id only once.
 */

import * as z from "zod/mini";
import type { RedisClient } from "#shared/redis/client.ts";
import { readIndexPage } from "#shared/redis/index-page.ts";
import { redisKeys } from "#shared/redis/keys.ts";
import { APPLY_PAYMENT_EVENT_SCRIPT, CONFIRM_EFFECT_SCRIPT } from "./apply-event-script.ts";
import {
  DEFAULT_EFFECT_CLAIM_MS,
  PAYMENT_KEY_PREFIX,
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
import {
  type IgnoredWebhook,
  type PaymentEvent,
  type PaymentProvider,
  paymentEventSchema,
} from "./payment-event.ts";

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

function asString(value: unknown): string {
  // automaticDeserialization is off, so scripts and GETs come back as the strings Redis holds.
  if (typeof value !== "string") throw new Error(`Unexpected Redis reply type: ${typeof value}`);
  return value;
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

export async function getPayment(
  redis: PaymentsRedis,
  provider: PaymentProvider,
  paymentId: string,
): Promise<Payment | undefined> {
  const raw = await redis.get(paymentKey(provider, paymentId));
  if (raw === null || raw === undefined) return undefined;
  return toPublicPayment(paymentRecordSchema.parse(JSON.parse(asString(raw))));
}

export interface PaymentPage {
  readonly items: readonly Payment[];
  readonly nextCursor: string | null;
}

/** Payments newest first (by when Ferry first recorded them), optionally filtered. */
export async function listPayments(
  redis: PaymentsRedis,
  options: {
    limit: number;
    cursor?: string | undefined;
    provider?: PaymentProvider | undefined;
    status?: PaymentStatus | undefined;
  },
): Promise<PaymentPage> {
  const page = await readIndexPage(redis, {
    index: redisKeys.paymentsIndex(),
    // Index members are `provider:paymentId`, so the record key is the prefix plus the member.
    recordPrefix: PAYMENT_KEY_PREFIX,
    limit: options.limit,
    cursor: options.cursor,
    filters: {
      ...(options.provider ? { provider: options.provider } : {}),
      ...(options.status ? { status: options.status } : {}),
    },
  });
  return {
    items: page.records.map((raw) => toPublicPayment(paymentRecordSchema.parse(JSON.parse(raw)))),
    nextCursor: page.nextCursor,
  };
}

/**
 * Records a verified event we do not act on, so it is acknowledged once and never reprocessed.
 * Returns whether it had been recorded before.
 */
export async function recordIgnoredEvent(
  redis: PaymentsRedis,
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

/**
 * The payment worker's work for one SQS record:
 *   parse → [verify with the provider, when configured] → applyPaymentEvent → for each effect:
 *   enqueue its email (fixed task id) → confirmEffect.
 *
 * Outcomes:
 *   done  → the message may be deleted (applied, duplicate, or every effect confirmed);
 *   retry → report a batch item failure. `redeliverAfterSeconds` is set only when it is SAFE to
 *           see the message again before the queue's visibility timeout:
 *             - a poison message (nothing was applied): at once, so it reaches the DLQ quickly;
 *             - an event the provider refuted or could not be asked about (nothing applied): backoff;
 *             - an effect that failed and whose claim was released (release-effect.ts): backoff.
 *           Otherwise (apply failed midway, or the release failed) the worker may still hold an
 *           effect claim; the queue's visibility timeout, longer than the claim, must pass so the
 *           redelivery finds the claim lapsed and re-emits the effect.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";
import { enqueueEmail } from "#shared/email/enqueue.ts";
import { logger } from "#shared/logger.ts";
import type { RedisClient } from "#shared/redis/client.ts";
import type { Payment, PaymentEffect } from "./payment.ts";
import {
  InvalidPaymentEventMessageError,
  type PaymentEvent,
  parsePaymentEventMessage,
} from "./payment-event.ts";
import type { ProviderVerifiers } from "./provider-verification.ts";
import { PAYMENT_EMAIL_OWNER, paymentEffectEmail } from "./receipt-email.ts";
import { releaseEffectClaim } from "./release-effect.ts";
import { type ApplyResult, applyPaymentEvent, confirmEffect } from "./repository.ts";
import { gateOnProvider } from "./verify-before-apply.ts";

export interface PaymentWorkerDeps {
  readonly redis: RedisClient;
  /** Sends to the email queue. */
  readonly sqs: SQSClient;
  readonly emailQueueUrl: string;
  readonly now?: () => Date;
  /** Passed to applyPaymentEvent; must stay below the payments queue's visibility timeout. */
  readonly effectClaimMs?: number;
  /** "Verify with the provider": successes and refunds of these providers are confirmed first. */
  readonly verifiers?: ProviderVerifiers;
}

export type PaymentRecordOutcome =
  | { readonly kind: "done" }
  | {
      readonly kind: "retry";
      readonly reason: "poison" | "unverified" | "apply_failed" | "effect_failed";
      readonly redeliverAfterSeconds?: number;
    };

/**
 * Backoff after a released effect failure, by receive count: 2, 8, 32, 128 s... capped. With the
 * manifest's maxReceiveCount of 5 a message is retried for about three minutes before the DLQ,
 * about as long as one visibility timeout.
 */
export function effectRetryDelaySeconds(receiveCount: number): number {
  return Math.min(2 * 4 ** Math.max(0, receiveCount - 1), 300);
}

async function deliverEffect(
  deps: PaymentWorkerDeps,
  payment: Payment,
  effect: PaymentEffect,
  now: () => Date,
  log: Logger,
): Promise<void> {
  const email = paymentEffectEmail(effect.kind, payment);
  if (email) {
    await enqueueEmail(
      { redis: deps.redis, sqs: deps.sqs, queueUrl: deps.emailQueueUrl, now, newTaskId: () => effect.taskId },
      PAYMENT_EMAIL_OWNER,
      email,
    );
  } else {
    log.info("payment has no usable email address; effect confirmed without an email", {
      provider: payment.provider,
      paymentId: payment.paymentId,
      effect: effect.kind,
    });
  }
  await confirmEffect(
    deps.redis,
    { provider: payment.provider, paymentId: payment.paymentId, kind: effect.kind, taskId: effect.taskId },
    now(),
  );
}

/** Releases the claims of effects not confirmed; true only if every release reached Redis. */
async function releaseClaims(
  deps: PaymentWorkerDeps,
  event: PaymentEvent,
  effects: readonly PaymentEffect[],
  claimedAt: Date,
  log: Logger,
): Promise<boolean> {
  try {
    for (const effect of effects) {
      await releaseEffectClaim(deps.redis, {
        ...effect,
        provider: event.provider,
        paymentId: event.paymentId,
        claimedAt,
      });
    }
    return true;
  } catch (error) {
    log.warn("could not release effect claims; the redelivery waits for the claim to lapse", {
      error: error as Error,
    });
    return false;
  }
}

/**
 * Undefined when the event may be applied; else why not. Nothing has been applied or claimed at
 * this point, so an early redelivery (backoff) is always safe. A refuted event keeps coming back
 * until maxReceiveCount moves it to the DLQ: a human looks, and the DLQ alarm fires.
 */
async function checkWithProvider(
  redis: RedisClient,
  verifiers: ProviderVerifiers,
  event: PaymentEvent,
  log: Logger,
): Promise<{ readonly kind: "retry"; readonly reason: "unverified" | "apply_failed" } | undefined> {
  try {
    const outcome = await gateOnProvider(redis, verifiers, event);
    if (outcome.kind === "confirmed") return undefined;
    const message = `payment event not applied: the provider ${outcome.kind === "refuted" ? "refuted" : "could not confirm"} it`;
    if (outcome.kind === "refuted") log.error(message, { reason: outcome.reason });
    else log.warn(message, { reason: outcome.reason });
    return { kind: "retry", reason: "unverified" };
  } catch (error) {
    log.error("verifying the payment event failed", { error: error as Error });
    return { kind: "retry", reason: "apply_failed" };
  }
}

/** `log` is the record's own logger: records of a batch run concurrently (partial-batch.ts). */
export async function processPaymentRecord(
  deps: PaymentWorkerDeps,
  record: SQSRecord,
  log: Logger = logger.createChild(),
): Promise<PaymentRecordOutcome> {
  const now = deps.now ?? (() => new Date());
  const ids = { messageId: record.messageId };
  let event: PaymentEvent;
  try {
    event = parsePaymentEventMessage(record.body);
  } catch (error) {
    if (!(error instanceof InvalidPaymentEventMessageError)) throw error;
    // Poison: retried at once until maxReceiveCount moves it, intact, to the DLQ for a human.
    log.error("unreadable payment event message; leaving it for the DLQ", {
      ...ids,
      reason: error.message,
    });
    return { kind: "retry", reason: "poison", redeliverAfterSeconds: 0 };
  }
  const context = { ...ids, provider: event.provider, paymentId: event.paymentId, eventId: event.eventId };
  // Every later line of this record names its payment and event.
  log.appendKeys(context);
  const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? "1");

  if (deps.verifiers) {
    const unverified = await checkWithProvider(deps.redis, deps.verifiers, event, log);
    if (unverified) return { ...unverified, redeliverAfterSeconds: effectRetryDelaySeconds(receiveCount) };
  }

  const appliedAt = now();
  let result: ApplyResult;
  try {
    result = await applyPaymentEvent(
      deps.redis,
      event,
      appliedAt,
      deps.effectClaimMs !== undefined ? { effectClaimMs: deps.effectClaimMs } : {},
    );
  } catch (error) {
    // The script may have run (a lost reply) and claimed effects: wait out the visibility timeout.
    log.error("applying the payment event failed", { ...context, error: error as Error });
    return { kind: "retry", reason: "apply_failed" };
  }
  log.info("payment event processed", {
    ...context,
    duplicate: result.duplicate,
    status: result.payment?.status,
    statusChanged: result.statusChanged,
    effects: result.effects.map((e) => e.kind),
  });
  if (result.effects.length === 0) return { kind: "done" };
  const payment = result.payment;
  if (!payment) throw new Error("applyPaymentEvent returned effects without a payment");

  const pending = [...result.effects];
  try {
    while (pending.length > 0) {
      const effect = pending[0] as PaymentEffect;
      await deliverEffect(deps, payment, effect, now, log);
      pending.shift();
    }
  } catch (error) {
    log.error("payment effect not delivered; the event will be redelivered", {
      ...context,
      effect: pending[0]?.kind,
      error: error as Error,
    });
    const released = await releaseClaims(deps, event, pending, appliedAt, log);
    return released
      ? {
          kind: "retry",
          reason: "effect_failed",
          redeliverAfterSeconds: effectRetryDelaySeconds(receiveCount),
        }
      : { kind: "retry", reason: "effect_failed" };
  }
  return { kind: "done" };
}

/**
 * Exactly-once effects: a receipt (or refund notice) is emitted until the worker confirms it was
 * enqueued, always with the same task id; concurrent deliveries change the state once.
 */

import { describe, expect, it } from "vitest";
import { receiptTaskId } from "#shared/payments/keys.ts";
import { getPayment } from "#shared/payments/payment-reads.ts";
import { applyPaymentEvent, confirmEffect } from "#shared/payments/repository.ts";
import { forFile } from "#test/support/for-file.ts";
import { startTestRedis, type TestRedis } from "#test/support/upstash.ts";
import { randomId, refundEvent, statusEvent } from "./support/events.ts";

let test: TestRedis;
forFile(startTestRedis, async (started) => {
  test = started;
});

const T0 = new Date("2024-05-14T11:00:00.000Z");
const later = (ms: number) => new Date(T0.getTime() + ms);
const CLAIM_MS = 30_000;

describe("payment effects", () => {
  it("re-emits an unconfirmed receipt, same task id, to a redelivery after the worker crashed", async () => {
    // Prepare: the first worker got the receipt effect, then died before enqueueing it.
    const paymentId = randomId("pi");
    const event = statusEvent(paymentId, "succeeded");
    const first = await applyPaymentEvent(test.redis, event, T0, { effectClaimMs: CLAIM_MS });
    expect(first.effects).toEqual([{ kind: "receipt", taskId: receiptTaskId("stripe", paymentId) }]);

    // Act: SQS redelivers after the visibility timeout, longer than the claim.
    const retry = await applyPaymentEvent(test.redis, event, later(CLAIM_MS + 1), {
      effectClaimMs: CLAIM_MS,
    });

    // Assess
    expect(retry).toMatchObject({ duplicate: true, applied: false, statusChanged: false });
    expect(retry.effects).toEqual(first.effects);
  });

  it("emits nothing more once the effect is confirmed", async () => {
    // Prepare
    const paymentId = randomId("pi");
    const event = statusEvent(paymentId, "succeeded");
    const first = await applyPaymentEvent(test.redis, event, T0);
    const [receipt] = first.effects;
    if (!receipt) throw new Error("expected a receipt effect");

    // Act
    const confirmed = await confirmEffect(
      test.redis,
      { provider: "stripe", paymentId, ...receipt },
      later(10),
    );
    const retry = await applyPaymentEvent(test.redis, event, later(10 * 60_000));
    const next = await applyPaymentEvent(
      test.redis,
      refundEvent(paymentId, { refunds: [{ id: "re_1", amount: 1 }] }),
      later(11 * 60_000),
    );

    // Assess
    expect(confirmed).toBe(true);
    expect(retry).toMatchObject({ duplicate: true, effects: [] });
    expect(next).toMatchObject({ applied: true, effects: [] });
  });

  it("does not re-emit while the first worker's claim is still fresh", async () => {
    // Prepare
    const paymentId = randomId("pi");
    const event = statusEvent(paymentId, "succeeded");
    await applyPaymentEvent(test.redis, event, T0, { effectClaimMs: CLAIM_MS });

    // Act
    const early = await applyPaymentEvent(test.redis, event, later(CLAIM_MS - 1), {
      effectClaimMs: CLAIM_MS,
    });

    // Assess
    expect(early).toMatchObject({ duplicate: true, effects: [] });
  });

  it("hands an unconfirmed effect to the payment's next event once the claim lapsed", async () => {
    // Prepare: the message that produced the receipt went to the dead-letter queue.
    const paymentId = randomId("pi");
    const first = await applyPaymentEvent(test.redis, statusEvent(paymentId, "succeeded", { minute: 1 }), T0);

    // Act
    const refund = refundEvent(paymentId, { minute: 2, refunds: [{ id: "re_1", amount: 100 }] });
    const next = await applyPaymentEvent(test.redis, refund, later(CLAIM_MS + 1), {
      effectClaimMs: CLAIM_MS,
    });

    // Assess
    expect(next).toMatchObject({ applied: true, effects: first.effects });
  });

  it("confirms idempotently, and only the effect it names", async () => {
    // Prepare
    const paymentId = randomId("pi");
    await applyPaymentEvent(test.redis, statusEvent(paymentId, "succeeded"), T0);
    const receipt = {
      provider: "stripe" as const,
      paymentId,
      kind: "receipt" as const,
      taskId: receiptTaskId("stripe", paymentId),
    };

    // Act / Assess
    expect(await confirmEffect(test.redis, receipt, T0)).toBe(true);
    expect(await confirmEffect(test.redis, receipt, later(1))).toBe(true);
    expect(await confirmEffect(test.redis, { ...receipt, taskId: "pay-receipt-other" }, T0)).toBe(false);
    expect(await confirmEffect(test.redis, { ...receipt, kind: "refund_notice" }, T0)).toBe(false);
    expect(await confirmEffect(test.redis, { ...receipt, paymentId: randomId("pi") }, T0)).toBe(false);
  });

  it("applies one event delivered 10 times at once exactly once, with one receipt", async () => {
    // Prepare
    const paymentId = randomId("pi");
    const event = statusEvent(paymentId, "succeeded");

    // Act
    const results = await Promise.all(
      Array.from({ length: 10 }, () => applyPaymentEvent(test.redis, event, T0, { effectClaimMs: CLAIM_MS })),
    );

    // Assess
    expect(results.filter((r) => r.applied)).toHaveLength(1);
    expect(results.filter((r) => r.duplicate)).toHaveLength(9);
    expect(results.filter((r) => r.statusChanged)).toHaveLength(1);
    expect(results.flatMap((r) => r.effects)).toEqual([
      { kind: "receipt", taskId: receiptTaskId("stripe", paymentId) },
    ]);
    expect((await getPayment(test.redis, "stripe", paymentId))?.events).toHaveLength(1);
  });

  it("asks for one receipt when 10 different success events for one payment race", async () => {
    // Prepare: e.g. payment.captured and order.paid, each redelivered with new event ids.
    const paymentId = randomId("pay");
    const events = Array.from({ length: 10 }, (_, i) =>
      statusEvent(paymentId, "succeeded", { provider: "razorpay", minute: i }),
    );

    // Act
    const results = await Promise.all(events.map((e) => applyPaymentEvent(test.redis, e, T0)));

    // Assess
    expect(results.every((r) => r.applied)).toBe(true);
    expect(results.filter((r) => r.statusChanged)).toHaveLength(1);
    expect(results.flatMap((r) => r.effects)).toEqual([
      { kind: "receipt", taskId: receiptTaskId("razorpay", paymentId) },
    ]);
  });
});

/**
 * Events of one payment arrive in any order: every permutation must end in the same record and
 * emit each effect exactly once (the worker confirms each effect right after receiving it).
 */

import { describe, expect, it } from "vitest";
import { receiptTaskId, refundNoticeTaskId } from "#shared/payments/keys.ts";
import type { Payment, PaymentEffect } from "#shared/payments/payment.ts";
import type { PaymentEvent } from "#shared/payments/payment-event.ts";
import { getPayment } from "#shared/payments/payment-reads.ts";
import { applyPaymentEvent, confirmEffect } from "#shared/payments/repository.ts";
import { forFile } from "#test/support/for-file.ts";
import { startTestRedis, type TestRedis } from "#test/support/upstash.ts";
import { forPayment, permutations, randomId, refundEvent, statusEvent } from "./support/events.ts";

let test: TestRedis;
forFile(startTestRedis, async (started) => {
  test = started;
});

const NOW = new Date("2024-05-14T11:00:00.000Z");

/** Applies the events in order as the worker would, confirming each effect it is handed. */
async function deliver(
  events: readonly PaymentEvent[],
): Promise<{ payment?: Payment; effects: PaymentEffect[] }> {
  const effects: PaymentEffect[] = [];
  for (const event of events) {
    const result = await applyPaymentEvent(test.redis, event, NOW);
    for (const effect of result.effects) {
      effects.push(effect);
      await confirmEffect(
        test.redis,
        { provider: event.provider, paymentId: event.paymentId, ...effect },
        NOW,
      );
    }
  }
  const first = events[0];
  const payment = first ? await getPayment(test.redis, first.provider, first.paymentId) : undefined;
  return { ...(payment ? { payment } : {}), effects };
}

/** Runs every permutation of the template on its own payment id. */
async function everyOrder(template: readonly PaymentEvent[]) {
  return Promise.all(
    permutations(template).map(async (order) => {
      const paymentId = randomId("pi");
      return { paymentId, ...(await deliver(forPayment(order, paymentId))) };
    }),
  );
}

/** The history every order must produce: sorted by provider time, then event id. */
const historyOf = (template: readonly PaymentEvent[], paymentId: string) =>
  forPayment(template, paymentId)
    .map((e) => ({ id: e.eventId, type: e.rawType, at: e.occurredAt }))
    .sort((a, b) => (a.at === b.at ? (a.id < b.id ? -1 : 1) : a.at < b.at ? -1 : 1));

describe("payment state converges whatever the arrival order", () => {
  it("processing, authorized, succeeded, a partial refund and the refund completing it: all 120 orders agree", async () => {
    // Prepare
    const template = [
      statusEvent("tpl", "pending", { minute: 0, rawType: "payment_intent.processing" }),
      statusEvent("tpl", "authorized", { minute: 1, rawType: "payment_intent.amount_capturable_updated" }),
      statusEvent("tpl", "succeeded", { minute: 2 }),
      refundEvent("tpl", {
        minute: 3,
        paymentAmount: 1000,
        refunds: [{ id: "re_1", amount: 300 }],
        totalRefunded: 300,
      }),
      refundEvent("tpl", {
        minute: 4,
        paymentAmount: 1000,
        refunds: [
          { id: "re_2", amount: 700 },
          { id: "re_1", amount: 300 },
        ],
        totalRefunded: 1000,
        full: true,
      }),
    ];

    // Act
    const outcomes = await everyOrder(template);

    // Assess
    expect(outcomes).toHaveLength(120);
    for (const { paymentId, payment, effects } of outcomes) {
      expect(payment).toEqual({
        provider: "stripe",
        paymentId,
        status: "refunded",
        amount: 1000,
        currency: "USD",
        email: "jenny.rosen@example.com",
        events: historyOf(template, paymentId),
        receipt: {
          taskId: receiptTaskId("stripe", paymentId),
          href: `/v1/payments/stripe/${paymentId}/emails/receipt`,
        },
        refundNotice: {
          taskId: refundNoticeTaskId("stripe", paymentId),
          href: `/v1/payments/stripe/${paymentId}/emails/refund-notice`,
        },
      });
      expect(effects).toHaveLength(2);
      expect(effects).toEqual(
        expect.arrayContaining([
          { kind: "receipt", taskId: receiptTaskId("stripe", paymentId) },
          { kind: "refund_notice", taskId: refundNoticeTaskId("stripe", paymentId) },
        ]),
      );
    }
  });

  it("a refund reported twice (created, then processed) counts once: all 120 orders stay partially refunded", async () => {
    // Prepare: counting rfnd_2 twice would reach 1300 >= 1000 and wrongly say refunded.
    const template = [
      statusEvent("tpl", "authorized", { provider: "razorpay", minute: 1, rawType: "payment.authorized" }),
      statusEvent("tpl", "succeeded", { provider: "razorpay", minute: 2, rawType: "payment.captured" }),
      refundEvent("tpl", {
        provider: "razorpay",
        minute: 3,
        rawType: "refund.processed",
        refunds: [{ id: "rfnd_1", amount: 300 }],
      }),
      refundEvent("tpl", {
        provider: "razorpay",
        minute: 4,
        rawType: "refund.created",
        paymentAmount: 1000,
        refunds: [{ id: "rfnd_2", amount: 500 }],
      }),
      refundEvent("tpl", {
        provider: "razorpay",
        minute: 5,
        rawType: "refund.processed",
        paymentAmount: 1000,
        refunds: [{ id: "rfnd_2", amount: 500 }],
      }),
    ];

    // Act
    const outcomes = await everyOrder(template);

    // Assess
    for (const { paymentId, payment, effects } of outcomes) {
      expect(payment).toMatchObject({
        status: "partially_refunded",
        amount: 1000,
        events: historyOf(template, paymentId),
      });
      expect(effects).toEqual([{ kind: "receipt", taskId: receiptTaskId("razorpay", paymentId) }]);
    }
  });

  it("a full refund arriving before the capture (amount still unknown) ends refunded in both orders", async () => {
    // Prepare
    const template = [
      statusEvent("tpl", "succeeded", { minute: 2, amount: 2500 }),
      refundEvent("tpl", { minute: 3, refunds: [{ id: "re_full", amount: 2500 }] }),
    ];

    // Act
    const outcomes = await everyOrder(template);

    // Assess
    for (const { paymentId, payment, effects } of outcomes) {
      expect(payment).toMatchObject({ status: "refunded", amount: 2500 });
      expect(effects.map((e) => e.kind).sort()).toEqual(["receipt", "refund_notice"]);
      expect(effects.find((e) => e.kind === "receipt")?.taskId).toBe(receiptTaskId("stripe", paymentId));
    }
  });

  it("a failed attempt followed by a successful one ends succeeded in both orders", async () => {
    const template = [
      statusEvent("tpl", "failed", { minute: 1 }),
      statusEvent("tpl", "succeeded", { minute: 2 }),
    ];
    for (const { payment, effects } of await everyOrder(template)) {
      expect(payment?.status).toBe("succeeded");
      expect(effects.map((e) => e.kind)).toEqual(["receipt"]);
    }
  });

  it("failed after succeeded stays succeeded in both orders (failed only before success)", async () => {
    const template = [
      statusEvent("tpl", "succeeded", { minute: 1 }),
      statusEvent("tpl", "failed", { minute: 2 }),
    ];
    for (const { payment, effects } of await everyOrder(template)) {
      expect(payment?.status).toBe("succeeded");
      expect(effects.map((e) => e.kind)).toEqual(["receipt"]);
    }
  });

  it("before any money moves, the attempt with the latest provider time wins in every order", async () => {
    // Prepare: a card failed, the customer retried and the new attempt was authorized.
    const template = [
      statusEvent("tpl", "pending", { minute: 0 }),
      statusEvent("tpl", "failed", { minute: 1 }),
      statusEvent("tpl", "authorized", { minute: 2 }),
    ];

    // Act
    const outcomes = await everyOrder(template);

    // Assess
    for (const { payment, effects } of outcomes) {
      expect(payment?.status).toBe("authorized");
      expect(effects).toEqual([]);
    }
  });

  it("PayU pending and success callbacks end succeeded in both orders", async () => {
    const template = [
      statusEvent("tpl", "pending", { provider: "payu", minute: 1, rawType: "pending" }),
      statusEvent("tpl", "succeeded", { provider: "payu", minute: 2, rawType: "success" }),
    ];
    for (const { payment, effects } of await everyOrder(template)) {
      expect(payment?.status).toBe("succeeded");
      expect(effects).toHaveLength(1);
    }
  });
});

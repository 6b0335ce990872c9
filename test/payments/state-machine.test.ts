/** One payment's transitions in arrival order, as the record and the script's result report them. */

import { describe, expect, it } from "vitest";
import { receiptTaskId } from "#shared/payments/keys.ts";
import { getPayment } from "#shared/payments/payment-reads.ts";
import { applyPaymentEvent } from "#shared/payments/repository.ts";
import { forFile } from "#test/support/for-file.ts";
import { startTestRedis, type TestRedis } from "#test/support/upstash.ts";
import { at, randomId, refundEvent, statusEvent } from "./support/events.ts";

let test: TestRedis;
forFile(startTestRedis, async (started) => {
  test = started;
});

const NOW = new Date("2024-05-14T11:00:00.000Z");
const apply = (event: Parameters<typeof applyPaymentEvent>[1]) => applyPaymentEvent(test.redis, event, NOW);

describe("payment state machine", () => {
  it("creates the record on a payment's first event", async () => {
    // Prepare
    const paymentId = randomId("pi");

    // Act
    const result = await apply(
      statusEvent(paymentId, "authorized", { eventId: "evt_a", minute: 1, amount: 4200 }),
    );

    // Assess
    expect(result).toEqual({
      applied: true,
      duplicate: false,
      statusChanged: true,
      effects: [],
      payment: {
        provider: "stripe",
        paymentId,
        status: "authorized",
        amount: 4200,
        currency: "USD",
        email: "jenny.rosen@example.com",
        events: [{ id: "evt_a", type: "payment_intent.authorized", at: at(1) }],
      },
    });
  });

  it("moves pending → authorized → succeeded and asks for the receipt on success", async () => {
    // Prepare
    const paymentId = randomId("pi");

    // Act
    const pending = await apply(statusEvent(paymentId, "pending", { minute: 0 }));
    const authorized = await apply(statusEvent(paymentId, "authorized", { minute: 1 }));
    const succeeded = await apply(statusEvent(paymentId, "succeeded", { minute: 2 }));

    // Assess
    expect(pending.payment?.status).toBe("pending");
    expect(authorized).toMatchObject({ statusChanged: true, previousStatus: "pending", effects: [] });
    expect(succeeded).toMatchObject({
      statusChanged: true,
      previousStatus: "authorized",
      effects: [{ kind: "receipt", taskId: receiptTaskId("stripe", paymentId) }],
      payment: { status: "succeeded", receipt: { taskId: receiptTaskId("stripe", paymentId) } },
    });
  });

  it("keeps a succeeded payment succeeded when a failure arrives, recording the event", async () => {
    // Prepare
    const paymentId = randomId("pi");
    await apply(statusEvent(paymentId, "succeeded", { minute: 1 }));

    // Act
    const failed = await apply(statusEvent(paymentId, "failed", { minute: 2 }));

    // Assess
    expect(failed).toMatchObject({ applied: true, statusChanged: false, effects: [] });
    expect(failed.payment?.status).toBe("succeeded");
    expect(failed.payment?.events).toHaveLength(2);
  });

  it("goes partially refunded, then refunded when refunds reach the amount", async () => {
    // Prepare
    const paymentId = randomId("pi");
    await apply(statusEvent(paymentId, "succeeded", { minute: 1, amount: 1000 }));

    // Act
    const partial = await apply(
      refundEvent(paymentId, { minute: 2, refunds: [{ id: "re_1", amount: 400 }] }),
    );
    const full = await apply(refundEvent(paymentId, { minute: 3, refunds: [{ id: "re_2", amount: 600 }] }));

    // Assess
    expect(partial).toMatchObject({
      statusChanged: true,
      payment: { status: "partially_refunded" },
      effects: [],
    });
    expect(full).toMatchObject({
      statusChanged: true,
      previousStatus: "partially_refunded",
      payment: { status: "refunded" },
      effects: [{ kind: "refund_notice" }],
    });
  });

  it("trusts the provider's running total when it reports more than the refunds it lists", async () => {
    // Prepare: Stripe charges on newer API versions list no refunds, only amount_refunded.
    const paymentId = randomId("pi");
    await apply(statusEvent(paymentId, "succeeded", { minute: 1, amount: 1000 }));

    // Act
    const result = await apply(refundEvent(paymentId, { minute: 2, refunds: [], totalRefunded: 1000 }));

    // Assess
    expect(result.payment?.status).toBe("refunded");
  });

  it("counts a refund that arrives before the capture, and sends one receipt", async () => {
    // Prepare
    const paymentId = randomId("pay");

    // Act
    const refund = await apply(
      refundEvent(paymentId, { minute: 3, paymentAmount: 1000, refunds: [{ id: "rfnd_1", amount: 250 }] }),
    );
    const captured = await apply(statusEvent(paymentId, "succeeded", { minute: 2, amount: 1000 }));

    // Assess
    expect(refund).toMatchObject({
      payment: { status: "partially_refunded" },
      effects: [{ kind: "receipt" }],
    });
    expect(captured).toMatchObject({ statusChanged: false, payment: { status: "partially_refunded" } });
    // The receipt was handed out with the refund and is still unconfirmed, but its claim is fresh.
    expect(captured.effects).toEqual([]);
  });

  it("keeps the history sorted by provider time, and the email and amount of the latest event", async () => {
    // Prepare
    const paymentId = randomId("pi");

    // Act
    await apply(
      statusEvent(paymentId, "succeeded", {
        eventId: "evt_late",
        minute: 5,
        amount: 900,
        email: "b@example.com",
      }),
    );
    await apply(
      statusEvent(paymentId, "authorized", {
        eventId: "evt_early",
        minute: 1,
        amount: 1000,
        email: "a@example.com",
      }),
    );
    const payment = await getPayment(test.redis, "stripe", paymentId);

    // Assess
    expect(payment?.events.map((e) => e.id)).toEqual(["evt_early", "evt_late"]);
    expect(payment).toMatchObject({ amount: 900, email: "b@example.com", status: "succeeded" });
  });

  it("reads nothing for an unknown payment", async () => {
    expect(await getPayment(test.redis, "razorpay", randomId("pay"))).toBeUndefined();
  });

  it("refuses an invalid event before it reaches Redis", async () => {
    const event = { ...statusEvent(randomId("pi"), "succeeded"), amount: -5 };
    await expect(apply(event)).rejects.toThrow();
    expect(await getPayment(test.redis, "stripe", event.paymentId)).toBeUndefined();
  });
});

describe("events whose timestamp the provider does not sign (PayU's addedon)", () => {
  const payu = (paymentId: string, kind: "pending" | "failed", minute: number, amount: number) => ({
    ...statusEvent(paymentId, kind, { provider: "payu", minute, amount, rawType: kind }),
    unsignedTime: true as const,
  });

  it("a pending callback dated after the failure does not make a failed payment pending again", async () => {
    // Prepare: a re-posted pending form can carry any addedon; the failure's rank must decide.
    const paymentId = randomId("txn");

    // Act
    await apply(payu(paymentId, "failed", 0, 1000));
    const result = await apply(payu(paymentId, "pending", 59, 1000));

    // Assess
    expect(result.payment?.status).toBe("failed");
  });

  it("the later-dated event does not decide the amount: both orders give the same record", async () => {
    // Prepare: the same two events on two payments, applied in opposite orders.
    const [a, b] = [randomId("txn"), randomId("txn")];
    const events = (id: string) => [
      { ...payu(id, "pending", 0, 1000), eventId: `sha256:b-${id}` },
      { ...payu(id, "pending", 30, 2000), eventId: `sha256:a-${id}` },
    ];

    // Act
    for (const e of events(a)) await apply(e);
    for (const e of events(b).reverse()) await apply(e);

    // Assess: the greater event id wins, not the later addedon (which would pick 2000).
    expect((await getPayment(test.redis, "payu", a))?.amount).toBe(1000);
    expect((await getPayment(test.redis, "payu", b))?.amount).toBe(1000);
  });
});

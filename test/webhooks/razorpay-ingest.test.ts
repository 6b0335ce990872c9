import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MalformedWebhookBodyError } from "#shared/webhooks/errors.ts";
import { ingestWebhook } from "#shared/webhooks/ingest.ts";
import {
  RAZORPAY_SECRET,
  razorpayEventBody,
  razorpayEventId,
  razorpayOrder,
  razorpayPayment,
  razorpayRefund,
  razorpaySignature,
} from "./support/razorpay-fixtures.ts";

const NOW = new Date("2024-05-14T10:00:00.000Z");
const CREATED_AT = 1_715_680_000;
const occurredAt = new Date(CREATED_AT * 1000).toISOString();
/** The identity Ferry gives a Razorpay event: the SHA-256 of the signed body (the header is unsigned). */
const bodyId = (body: Buffer) => `sha256:${createHash("sha256").update(body).digest("hex")}`;

function ingest(body: Buffer, eventId: string | undefined) {
  const headers: Record<string, string> = {
    "x-razorpay-signature": razorpaySignature(body, RAZORPAY_SECRET),
  };
  if (eventId !== undefined) headers["x-razorpay-event-id"] = eventId;
  return ingestWebhook(
    "razorpay",
    { rawBody: body, headers },
    { secrets: { razorpay: [RAZORPAY_SECRET] }, now: NOW },
  );
}

describe("Razorpay events normalised", () => {
  it.each([
    ["payment.authorized", "authorized", "authorized"],
    ["payment.captured", "succeeded", "captured"],
    ["payment.failed", "failed", "failed"],
  ] as const)("%s becomes a %s event on the pay_ id, identified by its signed body", (type, kind, status) => {
    // Prepare
    const payment = razorpayPayment({ id: "pay_DESlfW9H8K9uqM", amount: 50_000, status });
    const body = razorpayEventBody(type, { payment: { entity: payment } }, CREATED_AT);

    // Act
    const result = ingest(body, "KP4Sr3p7u9RqZ1");

    // Assess
    expect(result).toEqual({
      kind: "payment",
      event: {
        provider: "razorpay",
        eventId: bodyId(body),
        paymentId: "pay_DESlfW9H8K9uqM",
        kind,
        amount: 50_000,
        currency: "INR",
        email: "gaurav.kumar@example.com",
        occurredAt,
        rawType: type,
      },
    });
  });

  it("order.paid is a success of the payment it carries", () => {
    // Prepare
    const payment = razorpayPayment({ amount: 12_345 });
    const body = razorpayEventBody(
      "order.paid",
      { payment: { entity: payment }, order: { entity: razorpayOrder({ amount: 12_345 }) } },
      CREATED_AT,
    );

    // Act
    const result = ingest(body, "evt_order_paid_1");

    // Assess
    expect(result.kind === "payment" && result.event).toMatchObject({
      kind: "succeeded",
      paymentId: payment.id,
      amount: 12_345,
      rawType: "order.paid",
    });
  });

  it.each(["refund.created", "refund.processed"])(
    "%s reports the refund by id, with the payment's amount and running total",
    (type) => {
      // Prepare
      const payment = razorpayPayment({ amount: 50_000, amountRefunded: 20_000, refundStatus: "partial" });
      const refund = razorpayRefund({ id: "rfnd_FP8QHiV938haTz", paymentId: payment.id, amount: 20_000 });
      const body = razorpayEventBody(
        type,
        { refund: { entity: refund }, payment: { entity: payment } },
        CREATED_AT,
      );

      // Act
      const result = ingest(body, "evt_refund_1");

      // Assess
      expect(result).toEqual({
        kind: "payment",
        event: {
          provider: "razorpay",
          eventId: bodyId(body),
          paymentId: payment.id,
          kind: "refund",
          amount: 50_000,
          currency: "INR",
          email: "gaurav.kumar@example.com",
          occurredAt,
          rawType: type,
          refund: {
            refunds: [{ id: "rfnd_FP8QHiV938haTz", amount: 20_000 }],
            totalRefunded: 20_000,
            full: false,
          },
        },
      });
    },
  );

  it("a full refund says full", () => {
    const payment = razorpayPayment({ amount: 50_000, amountRefunded: 50_000, refundStatus: "full" });
    const refund = razorpayRefund({ paymentId: payment.id, amount: 50_000 });
    const body = razorpayEventBody("refund.processed", {
      refund: { entity: refund },
      payment: { entity: payment },
    });
    const result = ingest(body, razorpayEventId());
    expect(result.kind === "payment" && result.event.kind === "refund" && result.event.refund.full).toBe(
      true,
    );
  });

  it("leaves out Razorpay's placeholder email", () => {
    const payment = razorpayPayment({ email: "void@razorpay.com" });
    const body = razorpayEventBody("payment.captured", { payment: { entity: payment } });
    const result = ingest(body, razorpayEventId());
    expect(result.kind === "payment" && result.event).not.toHaveProperty("email");
  });

  it.each([
    "payment.dispute.created",
    "refund.failed",
    "order.notification.delivered",
    "subscription.charged",
  ])("%s is acknowledged as ignored", (type) => {
    const body = razorpayEventBody(type, { payment: { entity: razorpayPayment() } });
    expect(ingest(body, "evt_ignored_2")).toEqual({
      kind: "ignored",
      provider: "razorpay",
      eventId: bodyId(body),
      type,
    });
  });

  it("gives one signed body the same identity under any x-razorpay-event-id, or none (it is unsigned)", () => {
    // Prepare
    const body = razorpayEventBody("payment.captured", { payment: { entity: razorpayPayment() } });

    // Act
    const ids = [
      ingest(body, "KP4Sr3p7u9RqZ1"),
      ingest(body, razorpayEventId()),
      ingest(body, undefined),
    ].map((r) => r.kind === "payment" && r.event.eventId);

    // Assess
    expect(ids).toEqual([bodyId(body), bodyId(body), bodyId(body)]);
  });

  it("gives bodies that differ by one byte different identities", () => {
    const entity = razorpayPayment();
    const a = razorpayEventBody("payment.captured", { payment: { entity } }, CREATED_AT);
    const b = razorpayEventBody("payment.captured", { payment: { entity } }, CREATED_AT + 1);
    const [ia, ib] = [ingest(a, "x"), ingest(b, "x")].map((r) => r.kind === "payment" && r.event.eventId);
    expect(ia).not.toBe(ib);
  });
});

describe("signed Razorpay events the worker could not apply are refused at ingest", () => {
  it.each<[string, { createdAt?: number; paymentId?: string; email?: string }]>([
    ["created_at far in the future (1e15)", { createdAt: 1e15 }],
    ["created_at before 2000", { createdAt: 900_000_000 }],
    ["a 300-character payment id", { paymentId: `pay_${"x".repeat(296)}` }],
    ["a 342-character email", { email: `${"e".repeat(330)}@example.com` }],
  ])("%s is a malformed body (400), not an exception (500)", (_label, init) => {
    // Prepare
    const payment = razorpayPayment({
      ...(init.paymentId ? { id: init.paymentId } : {}),
      ...(init.email ? { email: init.email } : {}),
    });
    const body = razorpayEventBody("payment.captured", { payment: { entity: payment } }, init.createdAt);

    // Act / Assess
    expect(() => ingest(body, razorpayEventId())).toThrow(MalformedWebhookBodyError);
  });

  it("names the field at fault without echoing its value", () => {
    const email = `${"e".repeat(330)}@example.com`;
    const body = razorpayEventBody("payment.captured", { payment: { entity: razorpayPayment({ email }) } });
    expect(() => ingest(body, razorpayEventId())).toThrow(/email/);
    expect(() => ingest(body, razorpayEventId())).not.toThrow(email);
  });
});

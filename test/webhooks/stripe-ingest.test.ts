import { describe, expect, it } from "vitest";
import { MalformedWebhookBodyError } from "#shared/webhooks/errors.ts";
import { ingestWebhook } from "#shared/webhooks/ingest.ts";
import {
  charge,
  paymentIntent,
  STRIPE_SECRET,
  stripeEventBody,
  stripeSignatureHeader,
} from "./support/stripe-fixtures.ts";

const NOW = new Date("2024-05-14T10:00:00.000Z");
const NOW_S = Math.floor(NOW.getTime() / 1000);
const CREATED = NOW_S - 5;

function ingest(type: string, object: unknown, id = "evt_1PaY7h2eZvKYlo2C0b1x9Z3q", created = CREATED) {
  const body = stripeEventBody(type, object, { id, created });
  const headers = { "stripe-signature": stripeSignatureHeader(body, STRIPE_SECRET, NOW_S) };
  return ingestWebhook(
    "stripe",
    { rawBody: body, headers },
    { secrets: { stripe: [STRIPE_SECRET] }, now: NOW },
  );
}

const occurredAt = new Date(CREATED * 1000).toISOString();

describe("Stripe events normalised", () => {
  it.each([
    ["payment_intent.processing", "pending", "processing"],
    ["payment_intent.amount_capturable_updated", "authorized", "requires_capture"],
    ["payment_intent.payment_failed", "failed", "requires_payment_method"],
  ] as const)("%s becomes a %s event on the PaymentIntent", (type, kind, status) => {
    // Prepare
    const intent = paymentIntent({
      id: "pi_3PaY7h2eZvKYlo2C1cQw2Zx8",
      amount: 4999,
      currency: "eur",
      status,
    });

    // Act
    const result = ingest(type, intent);

    // Assess
    expect(result).toEqual({
      kind: "payment",
      event: {
        provider: "stripe",
        eventId: "evt_1PaY7h2eZvKYlo2C0b1x9Z3q",
        paymentId: "pi_3PaY7h2eZvKYlo2C1cQw2Zx8",
        kind,
        amount: 4999,
        currency: "EUR",
        email: "jenny.rosen@example.com",
        occurredAt,
        rawType: type,
      },
    });
  });

  it("payment_intent.succeeded carries the amount received", () => {
    // Prepare: a partial capture received less than the intent's amount.
    const intent = paymentIntent({ amount: 5000, amountReceived: 4000, receiptEmail: null });

    // Act
    const result = ingest("payment_intent.succeeded", intent);

    // Assess
    expect(result.kind).toBe("payment");
    if (result.kind !== "payment") return;
    expect(result.event).toMatchObject({
      kind: "succeeded",
      paymentId: intent.id,
      amount: 4000,
      currency: "USD",
    });
    expect(result.event).not.toHaveProperty("email");
  });

  it("charge.refunded (partial) reports each refund, the running total, and the PaymentIntent", () => {
    // Prepare
    const piId = "pi_3PaY7h2eZvKYlo2C1cQw2Zx8";
    const object = charge({
      paymentIntent: piId,
      amount: 2000,
      amountRefunded: 500,
      refunds: [
        { id: "re_3PaY7h2eZvKYlo2C1a", amount: 500 },
        { id: "re_3PaY7h2eZvKYlo2C1b", amount: 300, status: "failed" },
      ],
    });

    // Act
    const result = ingest("charge.refunded", object);

    // Assess
    expect(result).toEqual({
      kind: "payment",
      event: {
        provider: "stripe",
        eventId: "evt_1PaY7h2eZvKYlo2C0b1x9Z3q",
        paymentId: piId,
        kind: "refund",
        amount: 2000,
        currency: "USD",
        email: "jenny.rosen@example.com",
        occurredAt,
        rawType: "charge.refunded",
        refund: { refunds: [{ id: "re_3PaY7h2eZvKYlo2C1a", amount: 500 }], totalRefunded: 500, full: false },
      },
    });
  });

  it("charge.refunded (full, newer API without the refunds list) says full", () => {
    // Prepare
    const object = charge({ paymentIntent: "pi_full", amount: 2000, amountRefunded: 2000 });

    // Act
    const result = ingest("charge.refunded", object);

    // Assess
    expect(result.kind === "payment" && result.event).toMatchObject({
      kind: "refund",
      paymentId: "pi_full",
      refund: { refunds: [], totalRefunded: 2000, full: true },
    });
  });

  it("charge.refunded with an expanded PaymentIntent still names the PaymentIntent", () => {
    const object = {
      ...charge({ paymentIntent: null, amountRefunded: 100 }),
      payment_intent: { id: "pi_expanded" },
    };
    const result = ingest("charge.refunded", object);
    expect(result.kind === "payment" && result.event.paymentId).toBe("pi_expanded");
  });

  it.each(["customer.created", "charge.succeeded", "payment_intent.created", "invoice.paid"])(
    "%s is acknowledged as ignored",
    (type) => {
      const result = ingest(type, { id: "obj_1", object: "whatever" }, "evt_ignored_1");
      expect(result).toEqual({ kind: "ignored", provider: "stripe", eventId: "evt_ignored_1", type });
    },
  );

  it("refuses a signed PaymentIntent event without an amount as malformed", () => {
    const { amount: _dropped, ...intent } = paymentIntent();
    expect(() => ingest("payment_intent.succeeded", intent)).toThrow(MalformedWebhookBodyError);
  });

  it("refuses a signed body that is not JSON as malformed", () => {
    // Prepare
    const body = Buffer.from("not json", "utf8");
    const headers = { "stripe-signature": stripeSignatureHeader(body, STRIPE_SECRET, NOW_S) };

    // Act / Assess
    expect(() =>
      ingestWebhook("stripe", { rawBody: body, headers }, { secrets: { stripe: [STRIPE_SECRET] }, now: NOW }),
    ).toThrow(MalformedWebhookBodyError);
  });
});

describe("signed Stripe events the worker could not apply are refused at ingest", () => {
  it.each([
    ["created far in the future (1e15)", "payment_intent.succeeded", 1e15],
    ["created a week ahead of our clock", "payment_intent.succeeded", NOW_S + 7 * 86_400],
    ["created before 2000", "payment_intent.succeeded", 900_000_000],
    ["created far in the future, on a type Ferry ignores", "customer.created", 1e15],
  ])("%s is a malformed body (400), not an exception (500)", (_label, type, created) => {
    expect(() => ingest(type, paymentIntent(), undefined, created)).toThrow(MalformedWebhookBodyError);
  });

  it.each([
    ["a 300-character event id", { id: `evt_${"x".repeat(296)}` }],
    ["a 300-character PaymentIntent id", { intentId: `pi_${"x".repeat(297)}` }],
    ["a 342-character receipt email", { email: `${"e".repeat(330)}@example.com` }],
  ])(
    "%s is a malformed body naming the field",
    (_label, init: { id?: string; intentId?: string; email?: string }) => {
      // Prepare
      const intent = paymentIntent({
        ...(init.intentId ? { id: init.intentId } : {}),
        ...(init.email ? { receiptEmail: init.email } : {}),
      });

      // Act / Assess
      expect(() => ingest("payment_intent.succeeded", intent, init.id)).toThrow(MalformedWebhookBodyError);
      expect(() => ingest("payment_intent.succeeded", intent, init.id)).toThrow(/eventId|paymentId|email/);
    },
  );

  it("accepts ids of 255 characters and an email of 320, the worker's limits", () => {
    const intent = paymentIntent({
      id: `pi_${"x".repeat(252)}`,
      receiptEmail: `${"e".repeat(308)}@example.com`,
    });
    expect(ingest("payment_intent.succeeded", intent, `evt_${"x".repeat(251)}`).kind).toBe("payment");
  });
});

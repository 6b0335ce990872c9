/**
 * "Verify with the provider", one provider at a time, against the providers' APIs as the local
 * emulator answers them (support/provider-api-emulator.ts): what counts as confirmed, refuted
 * (the provider answered and disagrees) and unavailable (it gave no answer about the payment).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "#shared/config.ts";
import type { PaymentEvent } from "#shared/payments/payment-event.ts";
import { verifyWithProvider } from "#shared/payments/provider-verification.ts";
import { ingestWebhook } from "#shared/webhooks/ingest.ts";
import { providerVerifiersFromConfig } from "#shared/webhooks/provider-verifiers.ts";
import { payuVerifier } from "#shared/webhooks/verify-payu.ts";
import { razorpayVerifier } from "#shared/webhooks/verify-razorpay.ts";
import { stripeVerifier } from "#shared/webhooks/verify-stripe.ts";
import { PAYU_KEY, PAYU_SALT, signedPayuCallback } from "#test/webhooks/support/payu-fixtures.ts";
import {
  RAZORPAY_SECRET,
  razorpayEventBody,
  razorpayPayment,
  razorpayRefund,
  razorpaySignature,
} from "#test/webhooks/support/razorpay-fixtures.ts";
import {
  paymentIntent,
  STRIPE_SECRET,
  stripeEventBody,
  stripeSignatureHeader,
} from "#test/webhooks/support/stripe-fixtures.ts";
import {
  EMULATED_CREDENTIALS,
  type ProviderApiEmulator,
  startProviderApiEmulator,
} from "./support/provider-api-emulator.ts";

let api: ProviderApiEmulator;
beforeAll(async () => {
  api = await startProviderApiEmulator(EMULATED_CREDENTIALS);
});
afterAll(async () => {
  await api?.stop();
});

const NOW = new Date();
const nowS = Math.floor(NOW.getTime() / 1000);
const timeoutMs = 2000;

const stripe = () => stripeVerifier({ url: api.url, apiKey: EMULATED_CREDENTIALS.stripeApiKey, timeoutMs });
const razorpay = () =>
  razorpayVerifier({
    url: api.url,
    keyId: EMULATED_CREDENTIALS.razorpayKeyId,
    keySecret: EMULATED_CREDENTIALS.razorpayKeySecret,
    timeoutMs,
  });
const payu = () =>
  payuVerifier({
    url: api.url,
    key: EMULATED_CREDENTIALS.payuKey,
    salt: EMULATED_CREDENTIALS.payuSalt,
    timeoutMs,
  });

function paymentEventOf(result: ReturnType<typeof ingestWebhook>): PaymentEvent {
  if (result.kind !== "payment") throw new Error("expected a payment event");
  return result.event;
}

/** A Stripe success as ingest produces it, and the JSON Stripe's events API holds for it. */
function stripeSuccess(amount = 2000) {
  const body = stripeEventBody("payment_intent.succeeded", paymentIntent({ amount, amountReceived: amount }));
  const event = paymentEventOf(
    ingestWebhook(
      "stripe",
      { rawBody: body, headers: { "stripe-signature": stripeSignatureHeader(body, STRIPE_SECRET, nowS) } },
      { secrets: { stripe: [STRIPE_SECRET] }, now: NOW },
    ),
  );
  return { event, json: JSON.parse(body.toString("utf8")) as Record<string, unknown> };
}

function razorpayEvent(type: string, payload: Record<string, { entity: unknown }>) {
  const body = razorpayEventBody(type, payload);
  return paymentEventOf(
    ingestWebhook(
      "razorpay",
      { rawBody: body, headers: { "x-razorpay-signature": razorpaySignature(body, RAZORPAY_SECRET) } },
      { secrets: { razorpay: [RAZORPAY_SECRET] }, now: NOW },
    ),
  );
}

function payuSuccess(amount = "10.00") {
  const { body, fields } = signedPayuCallback({ status: "success", amount });
  const event = paymentEventOf(
    ingestWebhook(
      "payu",
      { rawBody: body, headers: {} },
      { secrets: { payu: { keys: [PAYU_KEY], salts: [PAYU_SALT] } }, now: NOW },
    ),
  );
  return { event, txnid: fields.txnid ?? "" };
}

describe("Stripe: GET /v1/events/{id}", () => {
  it("confirms an event Stripe holds with the same payment, kind, amount and currency", async () => {
    const { event, json } = stripeSuccess();
    api.stripeEvents.set(event.eventId, json);
    expect(await verifyWithProvider({ stripe: stripe() }, event)).toEqual({ kind: "confirmed" });
  });

  it("refutes an event Stripe does not know (a signature made with a leaked secret)", async () => {
    const { event } = stripeSuccess();
    expect(await verifyWithProvider({ stripe: stripe() }, event)).toMatchObject({ kind: "refuted" });
  });

  it("refutes an event whose amount differs from Stripe's", async () => {
    const { event, json } = stripeSuccess(2000);
    const data = json.data as { object: Record<string, unknown> };
    api.stripeEvents.set(event.eventId, {
      ...json,
      data: { object: { ...data.object, amount_received: 5 } },
    });
    expect(await verifyWithProvider({ stripe: stripe() }, event)).toEqual({
      kind: "refuted",
      reason: expect.stringContaining("amount"),
    });
  });

  it("is unavailable (not refuted) when Stripe answers 503 or refuses our API key", async () => {
    const { event, json } = stripeSuccess();
    api.stripeEvents.set(event.eventId, json);
    api.failNext(1);
    const outage = await verifyWithProvider({ stripe: stripe() }, event);
    const wrongKey = await verifyWithProvider(
      { stripe: stripeVerifier({ url: api.url, apiKey: "sk_test_wrong", timeoutMs }) },
      event,
    );
    expect([outage.kind, wrongKey.kind]).toEqual(["unavailable", "unavailable"]);
  });

  it("is unavailable when nothing answers in time", async () => {
    const { event } = stripeSuccess();
    // A port nothing listens on: the connection is refused at once.
    const closed = stripeVerifier({
      url: "http://127.0.0.1:9",
      apiKey: EMULATED_CREDENTIALS.stripeApiKey,
      timeoutMs,
    });
    expect((await verifyWithProvider({ stripe: closed }, event)).kind).toBe("unavailable");
  });
});

describe("Razorpay: GET /v1/payments/{id}, /v1/refunds/{id}", () => {
  it("confirms a capture Razorpay reports captured with the same amount", async () => {
    const entity = razorpayPayment({ amount: 50_000 });
    api.razorpayPayments.set(entity.id, { ...entity, status: "captured" });
    const event = razorpayEvent("payment.captured", { payment: { entity } });
    expect(await verifyWithProvider({ razorpay: razorpay() }, event)).toEqual({ kind: "confirmed" });
  });

  it("refutes a capture of a payment Razorpay says is only authorized, or does not know", async () => {
    const authorized = razorpayPayment();
    api.razorpayPayments.set(authorized.id, { ...authorized, status: "authorized" });
    const unknown = razorpayPayment();
    const outcomes = await Promise.all(
      [authorized, unknown].map((entity) =>
        verifyWithProvider(
          { razorpay: razorpay() },
          razorpayEvent("payment.captured", { payment: { entity } }),
        ),
      ),
    );
    expect(outcomes.map((o) => o.kind)).toEqual(["refuted", "refuted"]);
  });

  it("confirms a refund Razorpay holds for the payment, refutes one it does not", async () => {
    const payment = razorpayPayment({ amount: 50_000, amountRefunded: 20_000, refundStatus: "partial" });
    const known = razorpayRefund({ paymentId: payment.id, amount: 20_000 });
    api.razorpayRefunds.set(known.id, known);
    const forged = razorpayRefund({ paymentId: payment.id, amount: 20_000 });
    const [a, b] = await Promise.all(
      [known, forged].map((refund) =>
        verifyWithProvider(
          { razorpay: razorpay() },
          razorpayEvent("refund.processed", { refund: { entity: refund }, payment: { entity: payment } }),
        ),
      ),
    );
    expect([a?.kind, b?.kind]).toEqual(["confirmed", "refuted"]);
  });
});

describe("PayU: verify_payment", () => {
  it("confirms a transaction PayU reports success with the same amount", async () => {
    const { event, txnid } = payuSuccess("10.00");
    api.payuTransactions.set(txnid, { status: "success", amt: "10.00" });
    expect(await verifyWithProvider({ payu: payu() }, event)).toEqual({ kind: "confirmed" });
  });

  it("refutes a transaction PayU reports failed, for another amount, or does not know", async () => {
    const failed = payuSuccess();
    api.payuTransactions.set(failed.txnid, { status: "failure", amt: "10.00" });
    const cheaper = payuSuccess("10.00");
    api.payuTransactions.set(cheaper.txnid, { status: "success", amt: "1.00" });
    const unknown = payuSuccess();
    const outcomes = await Promise.all(
      [failed, cheaper, unknown].map(({ event }) => verifyWithProvider({ payu: payu() }, event)),
    );
    expect(outcomes.map((o) => o.kind)).toEqual(["refuted", "refuted", "refuted"]);
  });

  it("is unavailable when PayU refuses our hash (a wrong salt)", async () => {
    const { event, txnid } = payuSuccess();
    api.payuTransactions.set(txnid, { status: "success", amt: "10.00" });
    const wrongSalt = payuVerifier({
      url: api.url,
      key: EMULATED_CREDENTIALS.payuKey,
      salt: "not-the-salt",
      timeoutMs,
    });
    expect((await verifyWithProvider({ payu: wrongSalt }, event)).kind).toBe("unavailable");
  });
});

describe("which events are verified", () => {
  it("asks nothing about events that move no money (pending, authorized, failed)", async () => {
    // Prepare
    const entity = razorpayPayment({ status: "failed" });
    const before = api.calls.length;

    // Act
    const outcome = await verifyWithProvider(
      { razorpay: razorpay() },
      razorpayEvent("payment.failed", { payment: { entity } }),
    );

    // Assess
    expect(outcome).toEqual({ kind: "confirmed" });
    expect(api.calls.length).toBe(before);
  });
});

describe("verification configuration", () => {
  const base = { UPSTASH_REDIS_REST_URL: "http://127.0.0.1:1", UPSTASH_REDIS_REST_TOKEN: "t" };

  it("is off for every provider by default", () => {
    expect(providerVerifiersFromConfig(parseConfig(base))).toEqual({});
  });

  it("fails at cold start naming the credential a switched-on provider lacks", () => {
    const attempt = (env: Record<string, string>) => () =>
      providerVerifiersFromConfig(parseConfig({ ...base, ...env }));
    expect(attempt({ STRIPE_VERIFY_WITH_PROVIDER: "true" })).toThrow(ConfigError);
    expect(attempt({ STRIPE_VERIFY_WITH_PROVIDER: "true" })).toThrow(/STRIPE_API_KEY/);
    expect(attempt({ RAZORPAY_VERIFY_WITH_PROVIDER: "1", RAZORPAY_KEY_ID: "rzp" })).toThrow(
      /RAZORPAY_KEY_SECRET/,
    );
    expect(attempt({ PAYU_VERIFY_WITH_PROVIDER: "true" })).toThrow(/PAYU_MERCHANT_KEY/);
    expect(() => parseConfig({ ...base, PAYU_VERIFY_WITH_PROVIDER: "maybe" })).toThrow(
      /PAYU_VERIFY_WITH_PROVIDER/,
    );
  });

  it("switches on only the providers asked for", () => {
    const verifiers = providerVerifiersFromConfig(
      parseConfig({ ...base, STRIPE_VERIFY_WITH_PROVIDER: "true", STRIPE_API_KEY: "sk_test_1" }),
    );
    expect(Object.keys(verifiers)).toEqual(["stripe"]);
  });
});

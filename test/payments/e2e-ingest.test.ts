/**
 * Payment webhooks end to end, the ingest side: what a provider's delivery gets back, what it
 * leaves behind (a payment, a receipt email, a recorded event), what is refused or ignored, and
 * how payments are read back over GET /v1/payments. The runtime and its helpers are in
 * support/e2e-harness.ts; exactly-one-effect and queue faults are in e2e-effects.test.ts.
 */
import { createHash, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { receiptTaskId, webhookEventKey } from "#shared/payments/keys.ts";
import type { PaymentProvider } from "#shared/payments/payment-event.ts";
import type { ApiResponse } from "#test/support/http.ts";
import {
  PAYU_OLD_SALT,
  PAYU_SALT,
  payuCallbackFields,
  payuFormBody,
  payuOracleHash,
  signedPayuCallback,
} from "#test/webhooks/support/payu-fixtures.ts";
import {
  RAZORPAY_OLD_SECRET,
  RAZORPAY_SECRET,
  razorpayEventBody,
  razorpayEventId,
  razorpayPayment,
  razorpaySignature,
} from "#test/webhooks/support/razorpay-fixtures.ts";
import {
  paymentIntent,
  STRIPE_OLD_SECRET,
  STRIPE_SECRET,
  stripeEventBody,
  stripeSignatureHeader,
} from "#test/webhooks/support/stripe-fixtures.ts";
import {
  expectProblem,
  h,
  nowSeconds,
  received,
  uniqueEmail,
  usePaymentsHarness,
} from "./support/e2e-harness.ts";

usePaymentsHarness();

/** How Ferry identifies a Razorpay event: by its signed body (computed here independently). */
const signedBodyId = (body: Buffer) => `sha256:${createHash("sha256").update(body).digest("hex")}`;

describe("POST /v1/webhooks/{provider} with a genuine delivery", () => {
  it("Stripe: acknowledges, and the payment appears succeeded with one receipt email", async () => {
    // Prepare
    const email = uniqueEmail("stripe");
    const intent = paymentIntent({ amount: 2000, amountReceived: 2000, receiptEmail: email });

    // Act
    const { response, body } = await h.deliverStripe("payment_intent.succeeded", intent);
    const payment = await h.paymentOf("stripe", intent.id);
    await h.settled();

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toEqual(received);
    expect(response.headers.get("x-request-id")).toBeTruthy();
    const eventId = (JSON.parse(body.toString("utf8")) as { id: string }).id;
    expect(payment).toEqual({
      provider: "stripe",
      paymentId: intent.id,
      status: "succeeded",
      amount: 2000,
      currency: "USD",
      email,
      events: [{ id: eventId, type: "payment_intent.succeeded", at: "2023-11-14T22:15:00.000Z" }],
      receipt: {
        taskId: receiptTaskId("stripe", intent.id),
        href: `/v1/payments/stripe/${intent.id}/emails/receipt`,
      },
    });
    const receipts = await h.emailsTo(email);
    expect(receipts).toHaveLength(1);
    expect(receipts[0]).toMatchObject({
      from: "payments@ferry.test",
      subject: "Receipt for your payment of $20.00",
      text: expect.stringContaining(`Payment: ${intent.id} (Stripe)`),
    });
  });

  it("Razorpay: acknowledges payment.captured, and the payment appears succeeded in paise", async () => {
    // Prepare
    const email = uniqueEmail("razorpay");
    const entity = razorpayPayment({ amount: 50_000, email });
    const body = razorpayEventBody("payment.captured", { payment: { entity } });

    // Act
    const response = await h.postRazorpay(body, {
      "x-razorpay-signature": razorpaySignature(body, RAZORPAY_SECRET),
      "x-razorpay-event-id": razorpayEventId(),
    });
    const payment = await h.paymentOf("razorpay", entity.id);
    await h.settled();

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toEqual(received);
    expect(payment).toMatchObject({
      provider: "razorpay",
      status: "succeeded",
      amount: 50_000,
      currency: "INR",
      email,
      // The event is identified by its signed body; the X-Razorpay-Event-Id header is unsigned.
      events: [{ id: signedBodyId(body), type: "payment.captured" }],
    });
    expect((await h.emailsTo(email)).map((e) => e.subject)).toEqual(["Receipt for your payment of ₹500.00"]);
  });

  it("PayU: acknowledges the (base64-encoded) form post, and the payment appears succeeded under its txnid", async () => {
    // Prepare
    const email = uniqueEmail("payu");
    const callback = signedPayuCallback({ amount: "10.00", email });

    // Act
    const response = await h.postPayu(callback.body);
    const payment = await h.paymentOf("payu", callback.fields.txnid ?? "");
    await h.settled();

    // Assess
    expect(response.status).toBe(200);
    expect(response.body).toEqual(received);
    expect(payment).toMatchObject({
      provider: "payu",
      paymentId: callback.fields.txnid,
      reference: callback.fields.mihpayid,
      status: "succeeded",
      amount: 1000,
      currency: "INR",
      email,
      events: [{ id: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), type: "success" }],
    });
    expect(await h.emailsTo(email)).toHaveLength(1);
  });

  it("accepts deliveries signed with the retiring secret while secrets rotate", async () => {
    // Prepare
    const stripeIntent = paymentIntent();
    const razorpayEntity = razorpayPayment();
    const razorpayBody = razorpayEventBody("payment.authorized", { payment: { entity: razorpayEntity } });
    const payu = signedPayuCallback({ status: "pending" }, PAYU_OLD_SALT);

    // Act
    const responses = [
      (await h.deliverStripe("payment_intent.processing", stripeIntent, { secret: STRIPE_OLD_SECRET }))
        .response,
      await h.postRazorpay(razorpayBody, {
        "x-razorpay-signature": razorpaySignature(razorpayBody, RAZORPAY_OLD_SECRET),
        "x-razorpay-event-id": razorpayEventId(),
      }),
      await h.postPayu(payu.body),
    ];

    // Assess
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect((await h.paymentOf("stripe", stripeIntent.id)).status).toBe("pending");
    expect((await h.paymentOf("razorpay", razorpayEntity.id)).status).toBe("authorized");
    expect((await h.paymentOf("payu", payu.fields.txnid ?? "")).status).toBe("pending");
  });
});

describe("POST /v1/webhooks/{provider} refusals", () => {
  const stripeBody = (id: string) => stripeEventBody("payment_intent.succeeded", paymentIntent({ id }));
  const tamper = (body: Buffer) =>
    Buffer.from(body.toString("utf8").replace('"amount": 2000', '"amount": 1'));
  const razorpayBody = (id: string) =>
    razorpayEventBody("payment.captured", { payment: { entity: razorpayPayment({ id }) } });

  const cases: [string, PaymentProvider, number, (paymentId: string) => Promise<ApiResponse>][] = [
    [
      "a Stripe body changed after signing",
      "stripe",
      401,
      (id) => {
        const body = stripeBody(id);
        return h.postStripe(tamper(body), stripeSignatureHeader(body, STRIPE_SECRET, nowSeconds()));
      },
    ],
    [
      "a Stripe delivery signed with another secret",
      "stripe",
      401,
      (id) => {
        const body = stripeBody(id);
        return h.postStripe(body, stripeSignatureHeader(body, "whsec_someone_elses_secret", nowSeconds()));
      },
    ],
    [
      "a Stripe delivery without Stripe-Signature",
      "stripe",
      400,
      (id) => h.postStripe(stripeBody(id), undefined),
    ],
    [
      "a Stripe delivery replayed ten minutes later",
      "stripe",
      401,
      (id) => {
        const body = stripeBody(id);
        return h.postStripe(body, stripeSignatureHeader(body, STRIPE_SECRET, nowSeconds() - 600));
      },
    ],
    [
      "a Razorpay body changed after signing",
      "razorpay",
      401,
      (id) => {
        const body = razorpayBody(id);
        const changed = Buffer.from(body.toString("utf8").replace('"amount":50000', '"amount":1'));
        return h.postRazorpay(changed, {
          "x-razorpay-signature": razorpaySignature(body, RAZORPAY_SECRET),
          "x-razorpay-event-id": razorpayEventId(),
        });
      },
    ],
    [
      "a Razorpay delivery signed with another secret",
      "razorpay",
      401,
      (id) => {
        const body = razorpayBody(id);
        return h.postRazorpay(body, {
          "x-razorpay-signature": razorpaySignature(body, "not-our-secret"),
          "x-razorpay-event-id": razorpayEventId(),
        });
      },
    ],
    [
      "a Razorpay delivery without X-Razorpay-Signature",
      "razorpay",
      400,
      (id) => h.postRazorpay(razorpayBody(id), { "x-razorpay-event-id": razorpayEventId() }),
    ],
    [
      "a PayU form whose amount changed after hashing",
      "payu",
      401,
      (id) => {
        const fields = payuCallbackFields({ txnid: id });
        const hash = payuOracleHash(fields, PAYU_SALT);
        return h.postPayu(payuFormBody({ ...fields, amount: "1.00" }, hash));
      },
    ],
    [
      "a PayU form hashed with another salt",
      "payu",
      401,
      (id) => h.postPayu(signedPayuCallback({ txnid: id }, "some-other-salt").body),
    ],
    [
      "a PayU form without hash",
      "payu",
      400,
      (id) => h.postPayu(Buffer.from(new URLSearchParams(payuCallbackFields({ txnid: id })).toString())),
    ],
  ];

  it.each(cases)(
    "refuses %s with a problem+json, and queues nothing",
    async (_label, provider, status, deliver) => {
      // Prepare
      const paymentId =
        provider === "stripe"
          ? `pi_${randomBytes(8).toString("hex")}`
          : provider === "razorpay"
            ? `pay_${randomBytes(7).toString("hex")}`
            : String(Date.now()) + randomBytes(2).readUInt16BE();
      const queuedBefore = h.sendsTo(h.queueUrls.payments).length;

      // Act
      const response = await deliver(paymentId);
      await h.settled();

      // Assess
      expectProblem(response, status);
      expect(h.sendsTo(h.queueUrls.payments).length).toBe(queuedBefore);
      expect((await h.getPayment(provider, paymentId)).status).toBe(404);
    },
  );
});

describe("events Ferry does not act on", () => {
  it("acknowledges and records unknown event types, and never queues them", async () => {
    // Prepare
    const stripeId = `evt_${randomBytes(12).toString("hex")}`;
    const razorpayId = razorpayEventId();
    const razorpayBody = razorpayEventBody("payment.dispute.created", {
      payment: { entity: razorpayPayment() },
    });
    const queuedBefore = h.sendsTo(h.queueUrls.payments).length;

    // Act: each delivered twice, as providers retry.
    const responses = [];
    for (let i = 0; i < 2; i++) {
      responses.push(
        (await h.deliverStripe("customer.created", { id: "cus_1", object: "customer" }, { id: stripeId }))
          .response,
      );
      responses.push(
        await h.postRazorpay(razorpayBody, {
          "x-razorpay-signature": razorpaySignature(razorpayBody, RAZORPAY_SECRET),
          "x-razorpay-event-id": razorpayId,
        }),
      );
    }
    await h.settled();

    // Assess
    expect(responses.map((r) => [r.status, r.body])).toEqual(Array(4).fill([200, received]));
    expect(h.sendsTo(h.queueUrls.payments).length).toBe(queuedBefore);
    const stripeRecord = await h.redis.get<string>(webhookEventKey("stripe", stripeId));
    const razorpayRecord = await h.redis.get<string>(webhookEventKey("razorpay", signedBodyId(razorpayBody)));
    expect(JSON.parse(stripeRecord ?? "{}")).toMatchObject({ ignored: true, type: "customer.created" });
    expect(JSON.parse(razorpayRecord ?? "{}")).toMatchObject({
      ignored: true,
      type: "payment.dispute.created",
    });
  });
});

describe("GET /v1/payments/{provider}/{paymentId}", () => {
  it("needs a key with payments:read: 401 without one, 403 with another scope", async () => {
    const none = await h.getPayment("stripe", "pi_any", null);
    const unknownKey = await h.getPayment("stripe", "pi_any", "fry_not_a_key");
    const wrongScope = await h.getPayment("stripe", "pi_any", h.tasksOnlyKey);

    expectProblem(none, 401);
    expectProblem(unknownKey, 401);
    expectProblem(wrongScope, 403);
    expect(wrongScope.body).toMatchObject({ detail: expect.stringContaining("payments:read") });
  });

  it("is 404 for an unknown payment and 400 for an unknown provider", async () => {
    const unknown = await h.getPayment("stripe", `pi_${randomBytes(8).toString("hex")}`);
    const badProvider = await h.getPayment("paypal", "PAY-1");

    expectProblem(unknown, 404);
    expectProblem(badProvider, 400);
    expect(JSON.stringify(badProvider.body)).toContain("provider");
  });
});

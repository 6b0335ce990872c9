/**
 * Payment webhooks end to end, as an attacker would try them: only what a provider's signature
 * covers may create a payment, an event or a receipt, and decide its amount, currency and status.
 * Deliveries are signed by the providers' own SDKs (test/webhooks/support); what is re-posted is
 * a genuine delivery with its unsigned parts changed, as anyone who saw one could do (PayU's form
 * passes through the customer's browser; Razorpay's event id is a header outside the signature).
 * Also: what the worker could not apply is refused before it is acknowledged, and a provider
 * timestamp out of range is a 400, never a 500.
 */

import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { PaymentProvider } from "#shared/payments/payment-event.ts";
import type { ApiResponse } from "#test/support/http.ts";
import {
  mihpayid,
  PAYU_SALT,
  payuCallbackFields,
  payuFormBody,
  payuOracleHash,
  signedPayuCallback,
} from "#test/webhooks/support/payu-fixtures.ts";
import {
  RAZORPAY_SECRET,
  razorpayEventBody,
  razorpayEventId,
  razorpayPayment,
  razorpaySignature,
} from "#test/webhooks/support/razorpay-fixtures.ts";
import { paymentIntent } from "#test/webhooks/support/stripe-fixtures.ts";
import { expectProblem, h, received, uniqueEmail, usePaymentsHarness } from "./support/e2e-harness.ts";

usePaymentsHarness();

const postSignedRazorpay = (body: Buffer, eventId = razorpayEventId()) =>
  h.postRazorpay(body, {
    "x-razorpay-signature": razorpaySignature(body, RAZORPAY_SECRET),
    "x-razorpay-event-id": eventId,
  });

describe("a genuine delivery re-posted with its unsigned parts changed", () => {
  it("PayU: re-posting a success form with new mihpayid, currency and addedon creates no payment, event or receipt, and keeps INR", async () => {
    // Prepare: the genuine success form, acknowledged and applied.
    const email = uniqueEmail("payu-repost");
    const genuine = signedPayuCallback({ amount: "10.00", email });
    const txnid = genuine.fields.txnid ?? "";
    expect((await h.postPayu(genuine.body)).status).toBe(200);
    const before = await h.paymentOf("payu", txnid);
    await h.settled();
    const forgedIds = Array.from({ length: 5 }, () => mihpayid());

    // Act: the same fields and hash, with what the hash does not cover changed.
    const responses = [];
    for (const [i, id] of forgedIds.entries()) {
      const forged = {
        ...genuine.fields,
        mihpayid: id,
        currency: "USD",
        addedon: `2030-01-0${i + 1} 00:00:00`,
      };
      responses.push(await h.postPayu(payuFormBody(forged, genuine.hash)));
    }
    await h.settled();

    // Assess: acknowledged as the duplicates they are, and nothing changed.
    expect(responses.map((r) => [r.status, r.body])).toEqual(Array(5).fill([200, received]));
    expect(await h.paymentOf("payu", txnid)).toEqual(before);
    expect(before).toMatchObject({
      status: "succeeded",
      amount: 1000,
      currency: "INR",
      reference: genuine.fields.mihpayid,
    });
    expect(before.events).toHaveLength(1);
    for (const id of forgedIds) expect((await h.getPayment("payu", id)).status).toBe(404);
    expect(await h.emailsTo(email)).toHaveLength(1);
  });

  it("PayU: a re-posted copy that overtakes the genuine form changes neither amount, currency nor status", async () => {
    // Prepare
    const email = uniqueEmail("payu-first");
    const genuine = signedPayuCallback({ amount: "25.50", email });
    const copy = { ...genuine.fields, mihpayid: mihpayid(), currency: "USD", addedon: "2031-06-01 00:00:00" };

    // Act: the copy first, then PayU's own delivery.
    const first = await h.postPayu(payuFormBody(copy, genuine.hash));
    const second = await h.postPayu(genuine.body);
    await h.settled();

    // Assess
    expect([first.status, second.status]).toEqual([200, 200]);
    const payment = await h.paymentOf("payu", genuine.fields.txnid ?? "");
    expect(payment).toMatchObject({ status: "succeeded", amount: 2550, currency: "INR" });
    expect(payment.events).toHaveLength(1);
    expect(await h.emailsTo(email)).toHaveLength(1);
  });

  it("Razorpay: one signed body under 20 fresh X-Razorpay-Event-Id values is one event and one receipt", async () => {
    // Prepare
    const email = uniqueEmail("razorpay-ids");
    const entity = razorpayPayment({ amount: 50_000, email });
    const body = razorpayEventBody("payment.captured", { payment: { entity } });

    // Act: concurrently, as a flood would come.
    const responses = await Promise.all(Array.from({ length: 20 }, () => postSignedRazorpay(body)));
    await h.settled();

    // Assess
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    const payment = await h.paymentOf("razorpay", entity.id);
    expect(payment).toMatchObject({ status: "succeeded", amount: 50_000 });
    expect(payment.events).toHaveLength(1);
    expect(await h.emailsTo(email)).toHaveLength(1);
  });
});

const longId = (prefix: string) => `${prefix}${"x".repeat(300 - prefix.length)}`;
/** 342 characters: over the 320 the worker (and SMTP) allow. */
const longEmail = () => `${randomBytes(4).toString("hex")}${"e".repeat(322)}@example.com`;

const stripeIntent = (init: { id?: string; email?: string }) =>
  paymentIntent({
    amount: 2000,
    amountReceived: 2000,
    ...(init.id ? { id: init.id } : {}),
    ...(init.email ? { receiptEmail: init.email } : {}),
  });

const razorpayCaptured = (init: { id?: string; email?: string }, createdAt?: number) =>
  razorpayEventBody(
    "payment.captured",
    {
      payment: {
        entity: razorpayPayment({
          ...(init.id ? { id: init.id } : {}),
          ...(init.email ? { email: init.email } : {}),
        }),
      },
    },
    createdAt,
  );

const unappliable: [string, PaymentProvider, () => Promise<ApiResponse>][] = [
  [
    "a 300-character event id",
    "stripe",
    async () =>
      (await h.deliverStripe("payment_intent.succeeded", stripeIntent({}), { id: longId("evt_") })).response,
  ],
  [
    "a 300-character PaymentIntent id",
    "stripe",
    async () =>
      (await h.deliverStripe("payment_intent.succeeded", stripeIntent({ id: longId("pi_") }))).response,
  ],
  [
    "a 342-character receipt email",
    "stripe",
    async () =>
      (await h.deliverStripe("payment_intent.succeeded", stripeIntent({ email: longEmail() }))).response,
  ],
  [
    "a 300-character payment id",
    "razorpay",
    () => postSignedRazorpay(razorpayCaptured({ id: longId("pay_") })),
  ],
  ["a 342-character email", "razorpay", () => postSignedRazorpay(razorpayCaptured({ email: longEmail() }))],
  ["a 300-character txnid", "payu", () => h.postPayu(signedPayuCallback({ txnid: longId("txn_") }).body)],
  [
    "a 300-character mihpayid",
    "payu",
    () => h.postPayu(signedPayuCallback({ mihpayid: "9".repeat(300) }).body),
  ],
  ["a 342-character email", "payu", () => h.postPayu(signedPayuCallback({ email: longEmail() }).body)],
];

const outOfRange: [string, PaymentProvider, () => Promise<ApiResponse>][] = [
  [
    "created: 1e15",
    "stripe",
    async () =>
      (await h.deliverStripe("payment_intent.succeeded", stripeIntent({}), { created: 1e15 })).response,
  ],
  ["created_at: 1e15", "razorpay", () => postSignedRazorpay(razorpayCaptured({}, 1e15))],
];

describe("signed deliveries the worker could not apply", () => {
  it.each([...unappliable, ...outOfRange])(
    "%s (%s) is refused with 400 problem+json before anything is queued",
    async (_label, _provider, deliver) => {
      // Prepare: nothing left in flight from earlier tests, so an empty queue means nothing was sent.
      await h.settled();
      const sentBefore = h.sendsTo(h.queueUrls.payments).length;
      const deadBefore = await h.depth(h.queueUrls.paymentsDlq);

      // Act
      const response = await deliver();

      // Assess
      expectProblem(response, 400);
      expect(response.body).toMatchObject({ type: "https://ferry.dev/problems/webhook-body-malformed" });
      expect(h.sendsTo(h.queueUrls.payments).length).toBe(sentBefore);
      expect(await h.depth(h.queueUrls.payments)).toBe(0);
      expect(await h.depth(h.queueUrls.paymentsDlq)).toBe(deadBefore);
    },
  );

  it("still acknowledges the same deliveries at the worker's limits (255-character ids, 320-character email)", async () => {
    // Prepare
    const email = `${randomBytes(4).toString("hex")}${"e".repeat(300)}@example.com`;
    const txnid = `txn_${randomBytes(4).toString("hex")}${"x".repeat(243)}`;
    const fields = payuCallbackFields({ txnid, email });

    // Act
    const response = await h.postPayu(payuFormBody(fields, payuOracleHash(fields, PAYU_SALT)));

    // Assess
    expect(email).toHaveLength(320);
    expect(txnid).toHaveLength(255);
    expect(response.status).toBe(200);
    expect((await h.paymentOf("payu", txnid)).email).toBe(email);
  });
});

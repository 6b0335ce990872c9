/**
 * "Verify with the provider" end to end: the local runtime with every provider's switch on and
 * its API pointed at the emulator (support/provider-api-emulator.ts). A success the provider
 * confirms is applied once, with one receipt; one it does not know (a signature made with a
 * leaked secret) creates no payment and no receipt, and its message is kept, not dropped; an
 * outage delays a genuine success instead of losing it.
 *
 * The refuted deliveries keep coming back (backoff, then the DLQ), so they are the file's last
 * test: nothing after them waits for the payments queue to drain.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "#test/support/http.ts";
import { signedPayuCallback } from "#test/webhooks/support/payu-fixtures.ts";
import {
  RAZORPAY_SECRET,
  razorpayEventBody,
  razorpayPayment,
  razorpaySignature,
} from "#test/webhooks/support/razorpay-fixtures.ts";
import {
  paymentIntent,
  STRIPE_SECRET,
  stripeEventBody,
  stripeSignatureHeader,
} from "#test/webhooks/support/stripe-fixtures.ts";
import {
  nowSeconds,
  type PaymentsHarness,
  startPaymentsHarness,
  uniqueEmail,
} from "./support/e2e-harness.ts";
import {
  EMULATED_CREDENTIALS,
  type ProviderApiEmulator,
  startProviderApiEmulator,
} from "./support/provider-api-emulator.ts";

let api: ProviderApiEmulator;
let h: PaymentsHarness;

beforeAll(async () => {
  api = await startProviderApiEmulator(EMULATED_CREDENTIALS);
  h = await startPaymentsHarness({
    STRIPE_VERIFY_WITH_PROVIDER: "true",
    STRIPE_API_KEY: EMULATED_CREDENTIALS.stripeApiKey,
    STRIPE_API_URL: api.url,
    RAZORPAY_VERIFY_WITH_PROVIDER: "true",
    RAZORPAY_KEY_ID: EMULATED_CREDENTIALS.razorpayKeyId,
    RAZORPAY_KEY_SECRET: EMULATED_CREDENTIALS.razorpayKeySecret,
    RAZORPAY_API_URL: api.url,
    PAYU_VERIFY_WITH_PROVIDER: "true",
    PAYU_API_URL: api.url,
  });
});

afterAll(async () => {
  await h?.stop();
  await api?.stop();
});

/** A signed Stripe success; `known`: Stripe's events API holds it (it really sent it). */
function stripeSuccess(email: string, known: boolean) {
  const intent = paymentIntent({ amount: 1500, amountReceived: 1500, receiptEmail: email });
  const body = stripeEventBody("payment_intent.succeeded", intent);
  const json = JSON.parse(body.toString("utf8")) as { id: string };
  if (known) api.stripeEvents.set(json.id, json);
  const post = () => h.postStripe(body, stripeSignatureHeader(body, STRIPE_SECRET, nowSeconds()));
  return { intent, eventId: json.id, post };
}

const callsFor = (id: string) => api.calls.filter((c) => c.endsWith(id)).length;

describe("verify with the provider, switched on", () => {
  it("Stripe: a success Stripe confirms is applied once, with one receipt; its redelivery asks Stripe nothing", async () => {
    // Prepare
    const email = uniqueEmail("verified");
    const { intent, eventId, post } = stripeSuccess(email, true);

    // Act
    const first = await post();
    await h.paymentOf("stripe", intent.id);
    await h.settled();
    const again = await post();
    await h.settled();

    // Assess
    expect([first.status, again.status]).toEqual([200, 200]);
    expect(await h.paymentOf("stripe", intent.id)).toMatchObject({ status: "succeeded", amount: 1500 });
    expect(await h.emailsTo(email)).toHaveLength(1);
    expect(callsFor(eventId)).toBe(1);
  });

  it("Razorpay and PayU: successes their APIs confirm are applied", async () => {
    // Prepare
    const razorpayEmail = uniqueEmail("rzp-verified");
    const entity = razorpayPayment({ amount: 50_000, email: razorpayEmail });
    api.razorpayPayments.set(entity.id, { ...entity, status: "captured" });
    const body = razorpayEventBody("payment.captured", { payment: { entity } });
    const payuEmail = uniqueEmail("payu-verified");
    const payu = signedPayuCallback({ amount: "10.00", email: payuEmail });
    api.payuTransactions.set(payu.fields.txnid ?? "", { status: "success", amt: "10.00" });

    // Act
    const responses = [
      await h.postRazorpay(body, { "x-razorpay-signature": razorpaySignature(body, RAZORPAY_SECRET) }),
      await h.postPayu(payu.body),
    ];
    await h.settled();

    // Assess
    expect(responses.map((r) => r.status)).toEqual([200, 200]);
    expect((await h.paymentOf("razorpay", entity.id)).status).toBe("succeeded");
    expect((await h.paymentOf("payu", payu.fields.txnid ?? "")).status).toBe("succeeded");
    expect(await h.emailsTo(razorpayEmail)).toHaveLength(1);
    expect(await h.emailsTo(payuEmail)).toHaveLength(1);
    expect([callsFor(entity.id), callsFor(payu.fields.txnid ?? "")]).toEqual([1, 1]);
  });

  it("a provider outage delays a genuine success, which is applied once the provider answers", async () => {
    // Prepare: Stripe's API answers 503 once.
    const email = uniqueEmail("outage");
    const { intent, eventId, post } = stripeSuccess(email, true);
    api.failNext(1);

    // Act
    const response = await post();
    const payment = await h.paymentOf("stripe", intent.id);
    await h.settled();

    // Assess
    expect(response.status).toBe(200);
    expect(payment.status).toBe("succeeded");
    expect(callsFor(eventId)).toBe(2);
    expect(await h.emailsTo(email)).toHaveLength(1);
  });

  it("signed successes the providers do not confirm create no payment and no receipt, and stay queued", async () => {
    // Prepare: signed with the (leaked) webhook secrets, but the providers never sent them.
    const stripeEmail = uniqueEmail("forged-stripe");
    const forgedStripe = stripeSuccess(stripeEmail, false);
    const razorpayEmail = uniqueEmail("forged-rzp");
    const entity = razorpayPayment({ amount: 50_000, email: razorpayEmail });
    api.razorpayPayments.set(entity.id, { ...entity, status: "authorized" });
    const body = razorpayEventBody("payment.captured", { payment: { entity } });
    const payuEmail = uniqueEmail("forged-payu");
    const payu = signedPayuCallback({ amount: "10.00", email: payuEmail });
    const txnid = payu.fields.txnid ?? "";
    api.payuTransactions.set(txnid, { status: "failure", amt: "10.00" });

    // Act: acknowledged (the signatures are valid); the worker asks, and asks again after backoff.
    const responses = [
      await forgedStripe.post(),
      await h.postRazorpay(body, { "x-razorpay-signature": razorpaySignature(body, RAZORPAY_SECRET) }),
      await h.postPayu(payu.body),
    ];
    await eventually(
      async () =>
        [forgedStripe.eventId, entity.id, txnid].every((id) => callsFor(id) >= 2) ? true : undefined,
      { timeoutMs: 20_000, what: "each forgery to be checked twice" },
    );

    // Assess
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect((await h.getPayment("stripe", forgedStripe.intent.id)).status).toBe(404);
    expect((await h.getPayment("razorpay", entity.id)).status).toBe(404);
    expect((await h.getPayment("payu", txnid)).status).toBe(404);
    for (const email of [stripeEmail, razorpayEmail, payuEmail])
      expect(await h.emailsTo(email)).toHaveLength(0);
    // Not dropped: still on the payments queue, on its way to the DLQ for a human.
    expect(await h.depth(h.queueUrls.payments)).toBeGreaterThanOrEqual(3);
  });
});

/**
 * The sample deliveries `ferry webhooks trigger` sends are signed as the providers sign them:
 * checked by the providers' own SDKs (stripe's constructEvent, razorpay's
 * validateWebhookSignature, payu-websdk's response hash), for every sample in samples/webhooks/.
 */
import Razorpay from "razorpay";
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import type { CliTarget } from "#cli/config.ts";
import {
  buildDelivery,
  newPaymentId,
  PROVIDERS,
  sampleEvents,
} from "#infra/local/webhooks/sample-deliveries.ts";
import { payuOracleHash } from "#test/webhooks/support/payu-fixtures.ts";

const target: CliTarget = {
  baseUrl: "http://127.0.0.1:1",
  apiKey: "unused",
  secrets: {
    stripe: "whsec_sample_check",
    razorpay: "rzp_sample_check",
    payuKey: "sAmPlE",
    payuSalt: "salt_sample",
  },
};
const now = Math.floor(Date.now() / 1000);

describe("sample webhook deliveries", () => {
  it("exist for every provider", () => {
    for (const provider of PROVIDERS) expect(sampleEvents(provider).length).toBeGreaterThanOrEqual(3);
  });

  it.each(sampleEvents("stripe"))("stripe %s verifies with stripe-node and names the payment", (event) => {
    const paymentId = newPaymentId("stripe");
    const d = buildDelivery("stripe", event, target.secrets, { paymentId, now });

    const parsed = Stripe.webhooks.constructEvent(
      d.body,
      d.headers["stripe-signature"] ?? "",
      target.secrets.stripe,
    );

    expect(parsed.type).toBe(event);
    expect(JSON.stringify(parsed.data.object)).toContain(paymentId);
  });

  it.each(sampleEvents("razorpay"))("razorpay %s verifies with the razorpay SDK", (event) => {
    const d = buildDelivery("razorpay", event, target.secrets, { paymentId: newPaymentId("razorpay"), now });

    expect(
      Razorpay.validateWebhookSignature(
        d.body,
        d.headers["x-razorpay-signature"] ?? "",
        target.secrets.razorpay,
      ),
    ).toBe(true);
    expect(JSON.parse(d.body).event).toBe(event);
  });

  it.each(sampleEvents("payu"))("payu %s carries the hash payu-websdk computes", (event) => {
    const d = buildDelivery("payu", event, target.secrets, { paymentId: newPaymentId("payu"), now });
    const form = Object.fromEntries(new URLSearchParams(d.body));
    const { hash, ...fields } = form;

    expect(fields.key).toBe(target.secrets.payuKey);
    expect(hash).toBe(payuOracleHash(fields, target.secrets.payuSalt));
    expect(fields.status).toBe(event);
  });

  it.each(PROVIDERS)("%s: with an amount, the payment's amount fields carry it, still signed", (provider) => {
    for (const event of sampleEvents(provider)) {
      const d = buildDelivery(provider, event, target.secrets, {
        paymentId: newPaymentId(provider),
        now,
        amount: 12345,
      });

      if (provider === "payu") {
        const form = Object.fromEntries(new URLSearchParams(d.body));
        const { hash, ...fields } = form;
        expect(fields.amount).toBe("123.45");
        expect(hash).toBe(payuOracleHash(fields, target.secrets.payuSalt));
      } else {
        const body = JSON.parse(d.body) as Record<string, unknown>;
        const entity =
          provider === "stripe"
            ? (body.data as { object: { amount: number } }).object
            : (
                (body.payload as Record<string, { entity: { amount: number } }>).payment ??
                (body.payload as Record<string, { entity: { amount: number } }>).refund
              )?.entity;
        expect(entity?.amount).toBe(12345);
        expect(d.body).not.toMatch(/"amount": ?(2000|50000)\b/);
      }
    }
  });
});

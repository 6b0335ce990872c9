import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import {
  InvalidWebhookSignatureError,
  MissingWebhookHeaderError,
  WebhookTimestampError,
} from "#shared/webhooks/errors.ts";
import { rawBodyOf } from "#shared/webhooks/request.ts";
import { verifyStripeSignature } from "#shared/webhooks/stripe-signature.ts";
import {
  paymentIntent,
  STRIPE_OLD_SECRET,
  STRIPE_SECRET,
  stripeEventBody,
  stripeRotationHeader,
  stripeSignatureHeader,
} from "./support/stripe-fixtures.ts";

const NOW = new Date("2024-05-14T10:00:00.000Z");
const NOW_S = Math.floor(NOW.getTime() / 1000);

function signedDelivery(timestamp = NOW_S, secret = STRIPE_SECRET) {
  const body = stripeEventBody("payment_intent.succeeded", paymentIntent());
  return { body, header: stripeSignatureHeader(body, secret, timestamp) };
}

const verify = (body: Buffer, headers: Record<string, string>, secrets = [STRIPE_SECRET]) =>
  verifyStripeSignature({ rawBody: body, headers }, { secrets, now: NOW });

describe("Stripe signature verification", () => {
  it("accepts a delivery signed by the stripe SDK, as the SDK itself does", () => {
    // Prepare
    const { body, header } = signedDelivery();

    // Act / Assess
    expect(() => verify(body, { "stripe-signature": header })).not.toThrow();
    const oracle = Stripe.webhooks.constructEvent(body.toString(), header, STRIPE_SECRET, 10 ** 9);
    expect(oracle.type).toBe("payment_intent.succeeded");
  });

  it("reads the header whatever its case", () => {
    const { body, header } = signedDelivery();
    expect(() => verify(body, { "Stripe-Signature": header })).not.toThrow();
  });

  it("refuses a tampered body, as the SDK does", () => {
    // Prepare
    const { body, header } = signedDelivery();
    const tampered = Buffer.from(body.toString().replace('"amount": 2000', '"amount": 1'), "utf8");
    expect(tampered.equals(body)).toBe(false);

    // Act / Assess
    expect(() => verify(tampered, { "stripe-signature": header })).toThrow(InvalidWebhookSignatureError);
    expect(() =>
      Stripe.webhooks.constructEvent(tampered.toString(), header, STRIPE_SECRET, 10 ** 9),
    ).toThrow();
  });

  it("refuses a body re-serialised with different spacing (signatures cover bytes, not JSON)", () => {
    const { body, header } = signedDelivery();
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(body.toString())), "utf8");
    expect(() => verify(reserialized, { "stripe-signature": header })).toThrow(InvalidWebhookSignatureError);
  });

  it("refuses a signature made with another secret", () => {
    const { body, header } = signedDelivery(NOW_S, "whsec_someone_else");
    expect(() => verify(body, { "stripe-signature": header })).toThrow(InvalidWebhookSignatureError);
  });

  it("accepts both the old and the new secret while a secret is being rotated", () => {
    // Prepare
    const secrets = [STRIPE_SECRET, STRIPE_OLD_SECRET];
    const old = signedDelivery(NOW_S, STRIPE_OLD_SECRET);
    const current = signedDelivery(NOW_S, STRIPE_SECRET);

    // Act / Assess
    expect(() => verify(old.body, { "stripe-signature": old.header }, secrets)).not.toThrow();
    expect(() => verify(current.body, { "stripe-signature": current.header }, secrets)).not.toThrow();
  });

  it("accepts a header with several v1 signatures when any one matches a configured secret", () => {
    // Prepare: Stripe signs with the retiring and the new secret; only the new one is configured here.
    const body = stripeEventBody("payment_intent.succeeded", paymentIntent());
    const header = stripeRotationHeader(body, ["whsec_retired_and_removed", STRIPE_SECRET], NOW_S);
    expect(header.match(/v1=/g)).toHaveLength(2);

    // Act / Assess
    expect(() => verify(body, { "stripe-signature": header })).not.toThrow();
    expect(() => verify(body, { "stripe-signature": header }, [STRIPE_OLD_SECRET])).toThrow(
      InvalidWebhookSignatureError,
    );
  });

  it("accepts upper-case hex signatures", () => {
    const { body, header } = signedDelivery();
    const upper = header.replace(/v1=([0-9a-f]+)/, (_, hex: string) => `v1=${hex.toUpperCase()}`);
    expect(upper).not.toBe(header);
    expect(() => verify(body, { "stripe-signature": upper })).not.toThrow();
  });

  it("accepts timestamps up to 300 s old or ahead", () => {
    for (const timestamp of [NOW_S - 300, NOW_S + 300]) {
      const { body, header } = signedDelivery(timestamp);
      expect(() => verify(body, { "stripe-signature": header })).not.toThrow();
    }
  });

  it("refuses a correctly signed delivery older than 300 s, as the SDK does", () => {
    // Prepare: the SDK reads the real clock, so this test does too.
    const now = new Date();
    const body = stripeEventBody("payment_intent.succeeded", paymentIntent());
    const header = stripeSignatureHeader(body, STRIPE_SECRET, Math.floor(now.getTime() / 1000) - 301);

    // Act
    const act = () =>
      verifyStripeSignature(
        { rawBody: body, headers: { "stripe-signature": header } },
        { secrets: [STRIPE_SECRET], now },
      );

    // Assess
    expect(act).toThrow(WebhookTimestampError);
    expect(act).toThrow(expect.objectContaining({ reason: "stale_timestamp", status: 401 }));
    expect(() => Stripe.webhooks.constructEvent(body.toString(), header, STRIPE_SECRET, 300)).toThrow(
      /tolerance/,
    );
  });

  it("refuses a correctly signed delivery more than 300 s in the future (the SDK would accept it)", () => {
    // Prepare: the SDK reads the real clock, so this test does too.
    const now = new Date();
    const body = stripeEventBody("payment_intent.succeeded", paymentIntent());
    const header = stripeSignatureHeader(body, STRIPE_SECRET, Math.floor(now.getTime() / 1000) + 3600);

    // Act / Assess
    expect(() =>
      verifyStripeSignature(
        { rawBody: body, headers: { "stripe-signature": header } },
        { secrets: [STRIPE_SECRET], now },
      ),
    ).toThrow(expect.objectContaining({ reason: "future_timestamp" }));
    // stripe-node's tolerance is one-sided: this is why the check is ours.
    expect(() => Stripe.webhooks.constructEvent(body.toString(), header, STRIPE_SECRET, 300)).not.toThrow();
  });

  it("reports a bad signature rather than the clock when an old delivery is also forged", () => {
    const { body } = signedDelivery();
    const forged = `t=${NOW_S - 10_000},v1=${"ab".repeat(32)}`;
    expect(() => verify(body, { "stripe-signature": forged })).toThrow(InvalidWebhookSignatureError);
  });

  it("refuses a delivery without the Stripe-Signature header as a 400", () => {
    const { body } = signedDelivery();
    expect(() => verify(body, {})).toThrow(MissingWebhookHeaderError);
    expect(() => verify(body, { "stripe-signature": " " })).toThrow(expect.objectContaining({ status: 400 }));
  });

  it("refuses a header with no timestamp or no v1 signature", () => {
    const { body, header } = signedDelivery();
    const v1Only = header.replace(/t=\d+,/, "");
    const tOnly = `t=${NOW_S},v0=${"ab".repeat(32)}`;
    expect(() => verify(body, { "stripe-signature": v1Only })).toThrow(InvalidWebhookSignatureError);
    expect(() => verify(body, { "stripe-signature": tOnly })).toThrow(InvalidWebhookSignatureError);
  });

  it("verifies a base64 body from API Gateway once decoded, and not before", () => {
    // Prepare
    const { body, header } = signedDelivery();
    const event = { body: body.toString("base64"), isBase64Encoded: true };

    // Act / Assess
    expect(() => verify(rawBodyOf(event), { "stripe-signature": header })).not.toThrow();
    expect(() => verify(Buffer.from(event.body, "utf8"), { "stripe-signature": header })).toThrow(
      InvalidWebhookSignatureError,
    );
  });
});

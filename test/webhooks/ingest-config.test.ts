import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "#shared/config.ts";
import { ingestWebhook, webhookSecretsFromConfig } from "#shared/webhooks/ingest.ts";
import { signedPayuCallback } from "./support/payu-fixtures.ts";
import { paymentIntent, stripeEventBody, stripeSignatureHeader } from "./support/stripe-fixtures.ts";

const NOW = new Date("2024-05-14T10:00:00.000Z");
const base = { UPSTASH_REDIS_REST_URL: "http://127.0.0.1:1", UPSTASH_REDIS_REST_TOKEN: "t" };

describe("webhook secrets from configuration", () => {
  it("takes every comma-separated value of each variable", () => {
    // Prepare
    const config = parseConfig({
      ...base,
      STRIPE_WEBHOOK_SECRET: "whsec_new, whsec_old",
      RAZORPAY_WEBHOOK_SECRET: "rzp_one",
      PAYU_MERCHANT_KEY: "fErRyK",
      PAYU_MERCHANT_SALT: "salt_new,salt_old",
    });

    // Act
    const secrets = webhookSecretsFromConfig(config);

    // Assess
    expect(secrets).toEqual({
      stripe: ["whsec_new", "whsec_old"],
      razorpay: ["rzp_one"],
      payu: { keys: ["fErRyK"], salts: ["salt_new", "salt_old"] },
    });
  });

  it("lets a delivery signed with the second configured Stripe secret through", () => {
    // Prepare
    const secrets = webhookSecretsFromConfig(
      parseConfig({ ...base, STRIPE_WEBHOOK_SECRET: "whsec_new,whsec_old" }),
    );
    const body = stripeEventBody("payment_intent.succeeded", paymentIntent());
    const headers = {
      "stripe-signature": stripeSignatureHeader(body, "whsec_old", Math.floor(NOW.getTime() / 1000)),
    };

    // Act
    const result = ingestWebhook("stripe", { rawBody: body, headers }, { secrets, now: NOW });

    // Assess
    expect(result.kind).toBe("payment");
  });

  it("fails as a configuration error naming the variable when a provider has no secret", () => {
    // Prepare
    const secrets = webhookSecretsFromConfig(parseConfig({ ...base, PAYU_MERCHANT_KEY: "fErRyK" }));
    const { body } = signedPayuCallback();

    // Act / Assess
    expect(() => ingestWebhook("payu", { rawBody: body, headers: {} }, { secrets, now: NOW })).toThrow(
      ConfigError,
    );
    expect(() => ingestWebhook("stripe", { rawBody: body, headers: {} }, { secrets, now: NOW })).toThrow(
      /STRIPE_WEBHOOK_SECRET/,
    );
  });
});

/**
 * The webhook route's domain entry point: verify a delivery on its exact bytes, normalise it, and
 * check the result is an event the payment worker can apply. Nothing is parsed before the
 * signature is checked (PayU's form is parsed only to read the hash inputs, which are the posted
 * values themselves).
 */
import { type Config, ConfigError } from "#shared/config.ts";
import type { NormalizedWebhook, PaymentProvider } from "#shared/payments/payment-event.ts";
import { acceptableEvent } from "./acceptable-event.ts";
import { type PayuCredentials, parsePayuForm, verifyPayuHash } from "./payu-hash.ts";
import { normalizePayuCallback } from "./payu-normalize.ts";
import { normalizeRazorpayEvent } from "./razorpay-normalize.ts";
import { verifyRazorpaySignature } from "./razorpay-signature.ts";
import type { WebhookRequest } from "./request.ts";
import { normalizeStripeEvent } from "./stripe-normalize.ts";
import { verifyStripeSignature } from "./stripe-signature.ts";

/** Every value listed per provider is accepted, so secrets can be rotated without downtime. */
export interface WebhookSecrets {
  readonly stripe?: readonly string[] | undefined;
  readonly razorpay?: readonly string[] | undefined;
  readonly payu?: PayuCredentials | undefined;
}

export function webhookSecretsFromConfig(config: Config): WebhookSecrets {
  const payu =
    config.PAYU_MERCHANT_KEY && config.PAYU_MERCHANT_SALT
      ? { keys: config.PAYU_MERCHANT_KEY, salts: config.PAYU_MERCHANT_SALT }
      : undefined;
  return { stripe: config.STRIPE_WEBHOOK_SECRET, razorpay: config.RAZORPAY_WEBHOOK_SECRET, payu };
}

function configured<T>(value: T | undefined, variable: string): T {
  // A route without its secret cannot authenticate anything: a server-side fault, never a 4xx.
  if (value === undefined) throw new ConfigError(`Invalid configuration: ${variable} is required`);
  return value;
}

export interface IngestOptions {
  readonly secrets: WebhookSecrets;
  /** The receiving clock: provider timestamps are range-checked against it; PayU falls back to it. */
  readonly now: Date;
}

/**
 * Verifies and normalises one delivery. Throws a WebhookVerificationError (an HttpError, 4xx) when
 * the delivery is refused, and ConfigError when the provider's secret is not configured.
 */
export function ingestWebhook(
  provider: PaymentProvider,
  request: WebhookRequest,
  options: IngestOptions,
): NormalizedWebhook {
  return acceptableEvent(verifyAndNormalize(provider, request, options));
}

function verifyAndNormalize(
  provider: PaymentProvider,
  request: WebhookRequest,
  options: IngestOptions,
): NormalizedWebhook {
  switch (provider) {
    case "stripe": {
      const secrets = configured(options.secrets.stripe, "STRIPE_WEBHOOK_SECRET");
      verifyStripeSignature(request, { secrets, now: options.now });
      return normalizeStripeEvent(request.rawBody, options.now);
    }
    case "razorpay": {
      const secrets = configured(options.secrets.razorpay, "RAZORPAY_WEBHOOK_SECRET");
      verifyRazorpaySignature(request, secrets);
      // X-Razorpay-Event-Id is not signed, so it plays no part: the identity is the signed body.
      return normalizeRazorpayEvent(request.rawBody, options.now);
    }
    case "payu": {
      const credentials = configured(options.secrets.payu, "PAYU_MERCHANT_KEY and PAYU_MERCHANT_SALT");
      const form = parsePayuForm(request.rawBody);
      verifyPayuHash(form, credentials);
      return normalizePayuCallback(form, options.now);
    }
  }
}

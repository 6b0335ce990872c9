/**
 * The verifiers the configuration switches on (`<PROVIDER>_VERIFY_WITH_PROVIDER`). A switch that
 * is on without its credentials fails at cold start naming the missing variable, rather than
 * letting every success wait for a verification that cannot happen.
 */
import { type Config, required } from "#shared/config.ts";
import type { ProviderVerifiers } from "./provider-verification.ts";
import { payuVerifier } from "./verify-payu.ts";
import { razorpayVerifier } from "./verify-razorpay.ts";
import { stripeVerifier } from "./verify-stripe.ts";

export function providerVerifiersFromConfig(config: Config): ProviderVerifiers {
  const timeoutMs = config.PROVIDER_API_TIMEOUT_MS;
  return {
    ...(config.STRIPE_VERIFY_WITH_PROVIDER
      ? {
          stripe: stripeVerifier({
            url: config.STRIPE_API_URL,
            apiKey: required(config, "STRIPE_API_KEY"),
            timeoutMs,
          }),
        }
      : {}),
    ...(config.RAZORPAY_VERIFY_WITH_PROVIDER
      ? {
          razorpay: razorpayVerifier({
            url: config.RAZORPAY_API_URL,
            keyId: required(config, "RAZORPAY_KEY_ID"),
            keySecret: required(config, "RAZORPAY_KEY_SECRET"),
            timeoutMs,
          }),
        }
      : {}),
    ...(config.PAYU_VERIFY_WITH_PROVIDER
      ? {
          payu: payuVerifier({
            url: config.PAYU_API_URL,
            // The current key and salt: the first listed (the others are kept for rotation).
            key: first(required(config, "PAYU_MERCHANT_KEY")),
            salt: first(required(config, "PAYU_MERCHANT_SALT")),
            timeoutMs,
          }),
        }
      : {}),
  };
}

const first = (values: readonly string[]): string => values[0] ?? "";

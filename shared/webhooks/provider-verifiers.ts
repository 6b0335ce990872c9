/**
 * The verifiers the configuration switches on (`<PROVIDER>_VERIFY_WITH_PROVIDER`). A switch that
 * is on without its credentials fails at cold start naming the missing variable, rather than
 * letting every success wait for a verification that cannot happen.
 */
import { type Config, ConfigError } from "#shared/config.ts";
import type { ProviderVerifiers } from "#shared/payments/provider-verification.ts";
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
            apiKey: present(config, "STRIPE_API_KEY"),
            timeoutMs,
          }),
        }
      : {}),
    ...(config.RAZORPAY_VERIFY_WITH_PROVIDER
      ? {
          razorpay: razorpayVerifier({
            url: config.RAZORPAY_API_URL,
            keyId: present(config, "RAZORPAY_KEY_ID"),
            keySecret: present(config, "RAZORPAY_KEY_SECRET"),
            timeoutMs,
          }),
        }
      : {}),
    ...(config.PAYU_VERIFY_WITH_PROVIDER
      ? {
          payu: payuVerifier({
            url: config.PAYU_API_URL,
            // The current key and salt: the first listed (the others are kept for rotation).
            key: first(present(config, "PAYU_MERCHANT_KEY")),
            salt: first(present(config, "PAYU_MERCHANT_SALT")),
            timeoutMs,
          }),
        }
      : {}),
  };
}

/** The cold-start check (configProblems) already refused a switch without its credentials. */
function present<K extends keyof Config>(config: Config, key: K): NonNullable<Config[K]> {
  const value = config[key];
  if (value === undefined || value === null)
    throw new ConfigError(`Invalid configuration: ${key} is required`);
  return value as NonNullable<Config[K]>;
}

const first = (values: readonly string[]): string => values[0] ?? "";

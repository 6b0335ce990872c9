/**
 * Where the CLI sends requests and with what: --base-url / --api-key, else FERRY_API_URL /
 * FERRY_API_KEY, else the running local runtime's state file (.ferry/local.json) and its dev key.
 * Webhook secrets: the provider variables the stack reads (first value of a rotation list), else
 * the local runtime's, else its printed dev defaults.
 */
import { DEV_DEFAULTS } from "#infra/local/functions/function-env.ts";
import { readLocalState } from "#infra/local/process/local-state.ts";

export interface CliTarget {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly secrets: {
    readonly stripe: string;
    readonly razorpay: string;
    readonly payuKey: string;
    readonly payuSalt: string;
  };
}

export class UsageError extends Error {
  override readonly name = "UsageError";
}

const first = (value: string | undefined) => value?.split(",")[0]?.trim() || undefined;

export function resolveTarget(
  flags: { baseUrl?: string | undefined; apiKey?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): CliTarget {
  const running = readLocalState();
  const baseUrl = (flags.baseUrl || env.FERRY_API_URL || running?.url)?.replace(/\/+$/, "");
  if (!baseUrl) {
    throw new UsageError(
      "No Ferry to talk to: start `npm run dev`, or pass --base-url (or set FERRY_API_URL).",
    );
  }
  // The running runtime's dev key and secrets only ever go to that runtime.
  const local = running?.url === baseUrl ? running : undefined;
  return {
    baseUrl,
    apiKey: flags.apiKey || env.FERRY_API_KEY || local?.devApiKey || env.FERRY_DEV_API_KEY || "ferry-dev-key",
    secrets: {
      stripe:
        first(env.STRIPE_WEBHOOK_SECRET) ??
        local?.webhookSecrets?.stripe ??
        DEV_DEFAULTS.STRIPE_WEBHOOK_SECRET,
      razorpay:
        first(env.RAZORPAY_WEBHOOK_SECRET) ??
        local?.webhookSecrets?.razorpay ??
        DEV_DEFAULTS.RAZORPAY_WEBHOOK_SECRET,
      payuKey:
        first(env.PAYU_MERCHANT_KEY) ??
        local?.webhookSecrets?.payuMerchantKey ??
        DEV_DEFAULTS.PAYU_MERCHANT_KEY,
      payuSalt:
        first(env.PAYU_MERCHANT_SALT) ??
        first(local?.webhookSecrets?.payuMerchantSalt) ??
        DEV_DEFAULTS.PAYU_MERCHANT_SALT,
    },
  };
}

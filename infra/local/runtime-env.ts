/** The environment the local runtime gives handlers: assembled here, applied to process.env. */
import { QUEUE_NAMES, type QueueName } from "#shared/app/manifest.ts";
import type { EmulatedQueue } from "./sqs-emulator.ts";

/** The env var naming each queue's URL (shared/config.ts reads these names). */
const QUEUE_URL_VARIABLES: Record<QueueName, string> = {
  emails: "EMAIL_QUEUE_URL",
  payments: "PAYMENTS_QUEUE_URL",
};

/** Dev-only values, printed at start; any value already in the environment wins. */
const DEV_DEFAULTS = {
  EMAIL_FROM: "ferry@ferry.local",
  STRIPE_WEBHOOK_SECRET: "whsec_ferry_local_development_secret",
  RAZORPAY_WEBHOOK_SECRET: "ferry-local-razorpay-webhook-secret",
  PAYU_MERCHANT_KEY: "ferry-local-payu-key",
  PAYU_MERCHANT_SALT: "ferry-local-payu-salt",
} as const;

/** Sets (or, for undefined, removes) variables and returns how to put the old values back. */
export function applyEnvironment(values: Record<string, string | undefined>): () => void {
  const previous = Object.fromEntries(Object.keys(values).map((k) => [k, process.env[k]]));
  const assign = (vars: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(vars)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  assign(values);
  return () => assign(previous);
}

export interface HandlerEnvironmentInput {
  readonly upstash: { readonly url: string; readonly token: string };
  readonly region: string;
  readonly sqsEndpoint: string;
  readonly sesEndpoint: string;
  readonly queueUrls: Partial<Record<QueueName, EmulatedQueue>>;
  readonly callbackUrl: string;
  readonly wsUrl: string;
  /** The caller's overrides, applied last. */
  readonly overrides?: Record<string, string> | undefined;
}

/** What handlers see: dev defaults, then the emulators' endpoints and queue URLs, then overrides. */
export function handlerEnvironment(input: HandlerEnvironmentInput): Record<string, string> {
  const queueUrlEnv = Object.fromEntries(
    QUEUE_NAMES.flatMap((name) => {
      const queue = input.queueUrls[name];
      return queue ? [[QUEUE_URL_VARIABLES[name], queue.url]] : [];
    }),
  );
  const devDefaults = Object.fromEntries(
    Object.entries(DEV_DEFAULTS).map(([k, v]) => [k, process.env[k] || v]),
  );
  return {
    ...devDefaults,
    UPSTASH_REDIS_REST_URL: input.upstash.url,
    UPSTASH_REDIS_REST_TOKEN: input.upstash.token,
    AWS_REGION: input.region,
    AWS_DEFAULT_REGION: input.region,
    // Dummy credentials: the emulators accept any, and real ones must never be used locally.
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    AWS_ENDPOINT_URL_SQS: input.sqsEndpoint,
    AWS_ENDPOINT_URL_SESV2: input.sesEndpoint,
    ...queueUrlEnv,
    WS_CALLBACK_URL: input.callbackUrl,
    WS_PUBLIC_URL: input.wsUrl,
    ...input.overrides,
  };
}

/**
 * Typed configuration, parsed once per container. In AWS, secrets live in one Secrets Manager
 * secret (a JSON object of the same variable names) referenced by FERRY_SECRETS_ARN; it is read
 * at cold start and overlaid on the environment. Invalid configuration throws a ConfigError that
 * names every offending variable.
 */
import * as z from "zod";
import { RATE_LIMIT_POLICIES } from "#shared/app/types.ts";

/** Keys of the JSON secret (FERRY_SECRETS_ARN) overlaid on the environment at cold start. */
export const SECRET_KEYS = [
  "UPSTASH_REDIS_REST_TOKEN",
  "STRIPE_WEBHOOK_SECRET",
  "RAZORPAY_WEBHOOK_SECRET",
  "PAYU_MERCHANT_KEY",
  "PAYU_MERCHANT_SALT",
] as const;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Comma-separated secrets (rotation: every listed value is accepted). */
const secretList = z
  .string()
  .transform((s) =>
    s
      .split(",")
      .map((v) => v.trim())
      .filter((v) => v.length > 0),
  )
  .pipe(z.array(z.string()).min(1, "needs at least one non-empty value"));

const optionalUrl = z.url().optional();

const rateLimitPolicy = z.strictObject({
  capacity: z.number().int().positive(),
  refillPerSecond: z.number().positive(),
  /** `shadow`: decided and reported in headers, never refusing (to roll out a new limit). */
  mode: z.enum(["enforce", "shadow"]).optional(),
});

const rateLimits = z
  .string()
  .transform((raw, ctx) => {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: "is not valid JSON" });
      return z.NEVER;
    }
  })
  // Any capacity ≥ 1 is valid: a request costing more is refused with a 422, not at cold start.
  .pipe(z.partialRecord(z.enum(RATE_LIMIT_POLICIES), rateLimitPolicy));

export const configSchema = z.object({
  UPSTASH_REDIS_REST_URL: z.url(),
  UPSTASH_REDIS_REST_TOKEN: z.string().min(1),
  /** Per-call budget for Redis over REST, in milliseconds. */
  REDIS_TIMEOUT_MS: z.coerce.number().int().positive().default(1000),
  EMAIL_FROM: z.email().optional(),
  STRIPE_WEBHOOK_SECRET: secretList.optional(),
  RAZORPAY_WEBHOOK_SECRET: secretList.optional(),
  PAYU_MERCHANT_KEY: secretList.optional(),
  PAYU_MERCHANT_SALT: secretList.optional(),
  /**
   * Verify with the provider (docs/payments.md), one switch per provider, off by default: before
   * applying a success or refund, the payment worker asks the provider's own API whether it is
   * real. Stripe needs a secret (or restricted, events:read) API key, Razorpay an API key id and
   * secret; PayU uses PAYU_MERCHANT_KEY and the first PAYU_MERCHANT_SALT. The URLs are the
   * providers' (override them for a test emulator or PayU's test environment).
   */
  STRIPE_VERIFY_WITH_PROVIDER: z.stringbool().default(false),
  STRIPE_API_KEY: z.string().min(1).optional(),
  STRIPE_API_URL: z.url().default("https://api.stripe.com"),
  RAZORPAY_VERIFY_WITH_PROVIDER: z.stringbool().default(false),
  RAZORPAY_KEY_ID: z.string().min(1).optional(),
  RAZORPAY_KEY_SECRET: z.string().min(1).optional(),
  RAZORPAY_API_URL: z.url().default("https://api.razorpay.com"),
  PAYU_VERIFY_WITH_PROVIDER: z.stringbool().default(false),
  PAYU_API_URL: z.url().default("https://info.payu.in"),
  /** Budget for one verification call, in milliseconds (the worker's timeout is 30 s). */
  PROVIDER_API_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  RATE_LIMITS: rateLimits.optional(),
  /**
   * Rate limiter and Redis (shared/ratelimit/breaker.ts): how long one decision may wait for
   * Redis before that counts as an outage (ordinary latency must never trigger it), how many
   * errors in a row open the per-container breaker (a timeout opens it at once), and how long it
   * stays open, deciding without Redis as each policy declares, before one request probes again.
   */
  RATE_LIMIT_TIMEOUT_MS: z.coerce.number().int().positive().default(1000),
  RATE_LIMIT_BREAKER_FAILURES: z.coerce.number().int().positive().default(3),
  RATE_LIMIT_BREAKER_COOLDOWN_MS: z.coerce.number().int().positive().default(1000),
  EMAIL_QUEUE_URL: optionalUrl,
  PAYMENTS_QUEUE_URL: optionalUrl,
  /** API Gateway management endpoint (https://{api}.execute-api.{region}.amazonaws.com/{stage}). */
  WS_CALLBACK_URL: optionalUrl,
  /** The wss:// URL clients connect to. */
  WS_PUBLIC_URL: optionalUrl,
  AWS_REGION: z.string().min(1).default("us-east-1"),
  /** Explicit endpoints: set by the local runtime and tests to point the real SDK at emulators. */
  AWS_ENDPOINT_URL_SQS: optionalUrl,
  AWS_ENDPOINT_URL_SESV2: optionalUrl,
  /** Email retries: full-jitter exponential backoff, delay = random(0, min(max, base × 2^(n-1))). */
  EMAIL_RETRY_BASE_SECONDS: z.coerce.number().int().min(0).default(2),
  EMAIL_RETRY_MAX_SECONDS: z.coerce.number().int().positive().max(43_200).default(900),
  /** An email still held back by an open SES circuit this long after acceptance is given up. */
  EMAIL_MAX_AGE_SECONDS: z.coerce.number().int().positive().default(86_400),
  /** SES circuit breaker: this many throttles within the window open it for the cooldown. */
  SES_BREAKER_THRESHOLD: z.coerce.number().int().positive().default(5),
  SES_BREAKER_WINDOW_MS: z.coerce.number().int().positive().default(10_000),
  SES_BREAKER_COOLDOWN_MS: z.coerce.number().int().positive().default(5_000),
  SES_BREAKER_MAX_COOLDOWN_MS: z.coerce.number().int().positive().default(60_000),
  /**
   * SES calls (shared/aws/ses-client.ts): the request timeout of one SendEmail, in ms (a call that
   * gets no answer in time is classified by shared/email/ses-errors.ts), and the configuration set
   * every email is sent with, when the stack configures one.
   */
  SES_REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  SES_CONFIGURATION_SET: z.string().min(1).optional(),
  /** Request body limit for JSON routes, in bytes. */
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(256 * 1024),
});

export type Config = z.infer<typeof configSchema>;

/** The environment without empty strings (CDK and shells both produce them for "unset"). */
function cleanedEnvironment(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ""),
  );
}

export interface ParsedConfigValues {
  readonly cleaned: Record<string, string>;
  /** Undefined when the environment does not parse. */
  readonly config: Config | undefined;
  readonly issues: readonly z.core.$ZodIssue[];
}

/** Parses without throwing, so a caller can add its own problems to the schema's. */
export function parseConfigValues(env: Record<string, string | undefined>): ParsedConfigValues {
  const cleaned = cleanedEnvironment(env);
  const result = configSchema.safeParse(cleaned);
  return result.success
    ? { cleaned, config: result.data, issues: [] }
    : { cleaned, config: undefined, issues: result.error.issues };
}

/** Variables that become required when a switch is on: checked with the schema, at cold start. */
const REQUIRED_WHEN: readonly {
  readonly when: keyof Config;
  readonly requires: readonly (keyof Config)[];
}[] = [
  { when: "STRIPE_VERIFY_WITH_PROVIDER", requires: ["STRIPE_API_KEY"] },
  { when: "RAZORPAY_VERIFY_WITH_PROVIDER", requires: ["RAZORPAY_KEY_ID", "RAZORPAY_KEY_SECRET"] },
  { when: "PAYU_VERIFY_WITH_PROVIDER", requires: ["PAYU_MERCHANT_KEY", "PAYU_MERCHANT_SALT"] },
];

/** One line per schema problem, each naming its variable. */
export function configProblems(values: ParsedConfigValues): string[] {
  const problems = values.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
  const config = values.config;
  if (config) {
    for (const rule of REQUIRED_WHEN) {
      if (!config[rule.when]) continue;
      for (const variable of rule.requires) {
        if (config[variable] === undefined) problems.push(`${variable}: is required when ${rule.when} is on`);
      }
    }
  }
  return problems;
}

export function parseConfig(env: Record<string, string | undefined>): Config {
  const values = parseConfigValues(env);
  const problems = configProblems(values);
  if (!values.config || problems.length > 0)
    throw new ConfigError(`Invalid configuration: ${problems.join("; ")}`);
  return values.config;
}

/** Reads the JSON secret named by FERRY_SECRETS_ARN, if any, and overlays it on the environment. */
async function environmentWithSecrets(env: NodeJS.ProcessEnv): Promise<Record<string, string | undefined>> {
  const arn = env.FERRY_SECRETS_ARN;
  if (!arn) return env;
  const { readSecretString } = await import("#shared/aws/secrets.ts");
  const secret = await readSecretString(arn);
  let values: unknown;
  try {
    values = JSON.parse(secret ?? "{}");
  } catch {
    throw new ConfigError("FERRY_SECRETS_ARN: the secret is not a JSON object");
  }
  if (typeof values !== "object" || values === null) {
    throw new ConfigError("FERRY_SECRETS_ARN: the secret is not a JSON object");
  }
  const strings = Object.entries(values).filter((e): e is [string, string] => typeof e[1] === "string");
  return { ...env, ...Object.fromEntries(strings) };
}

/** The container's environment with its secrets overlaid, read once (cold start), then shared. */
let environment: Promise<Record<string, string | undefined>> | undefined;

export function loadEnvironment(): Promise<Record<string, string | undefined>> {
  environment ??= environmentWithSecrets(process.env);
  // A failed load is not cached: the next invocation reports the same error afresh.
  environment.catch(() => {
    environment = undefined;
  });
  return environment;
}

/** The container's configuration, without any function's requirements (scripts and tests). */
export async function getConfig(): Promise<Config> {
  return parseConfig(await loadEnvironment());
}

/**
 * Typed configuration, parsed once per container. In AWS, secrets live in one Secrets Manager
 * secret (a JSON object of the same variable names) referenced by FERRY_SECRETS_ARN; it is read
 * at cold start and overlaid on the environment. Invalid configuration throws a ConfigError that
 * names every offending variable.
 */
import * as z from "zod";
import { RATE_LIMIT_POLICIES } from "#shared/app/types.ts";
import { MAX_RECIPIENTS } from "#shared/email/request.ts";

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
  .pipe(z.partialRecord(z.enum(RATE_LIMIT_POLICIES), rateLimitPolicy))
  // An email to MAX_RECIPIENTS costs that many units: a smaller bucket could never admit it.
  .refine((limits) => (limits.emails?.capacity ?? MAX_RECIPIENTS) >= MAX_RECIPIENTS, {
    message: `emails.capacity must be at least ${MAX_RECIPIENTS}, the most recipients one email may have`,
  });

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
  RATE_LIMITS: rateLimits.optional(),
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

export function parseConfig(env: Record<string, string | undefined>): Config {
  // Empty strings mean "unset": CDK and shells both produce them.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const result = configSchema.safeParse(cleaned);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join("; ")}`);
  }
  return result.data;
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

let cached: Promise<Config> | undefined;

/** The container's configuration: loaded on first use (cold start), then shared. */
export function getConfig(): Promise<Config> {
  cached ??= environmentWithSecrets(process.env).then(parseConfig);
  // A failed load is not cached: the next invocation reports the same error afresh.
  cached.catch(() => {
    cached = undefined;
  });
  return cached;
}

/** Returns a config value a caller cannot work without, or throws naming the variable. */
export function required<K extends keyof Config>(config: Config, key: K): NonNullable<Config[K]> {
  const value = config[key];
  if (value === undefined || value === null)
    throw new ConfigError(`Invalid configuration: ${key} is required`);
  return value as NonNullable<Config[K]>;
}

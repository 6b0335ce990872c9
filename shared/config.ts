/**
 * Typed configuration, parsed once per container. In AWS, secrets live in one Secrets Manager
 * secret (a JSON object of the same variable names) referenced by FERRY_SECRETS_ARN; it is read
 * at cold start, re-read after a TTL (rotation without a deploy), and overlaid on the
 * environment. Invalid configuration throws a ConfigError that names every offending variable.
 */
import * as z from "zod/mini";
import "#shared/zod/messages.ts";
import { RATE_LIMIT_POLICIES } from "#shared/app/types.ts";

/**
 * Keys of the JSON secret (FERRY_SECRETS_ARN) overlaid on the environment. `npm run secrets`
 * writes them; adding one here changes nothing in the deployed template (infra/stack.ts).
 */
export const SECRET_KEYS = [
  "UPSTASH_REDIS_REST_TOKEN",
  "STRIPE_WEBHOOK_SECRET",
  "RAZORPAY_WEBHOOK_SECRET",
  "PAYU_MERCHANT_KEY",
  "PAYU_MERCHANT_SALT",
  "STRIPE_API_KEY",
  "RAZORPAY_KEY_ID",
  "RAZORPAY_KEY_SECRET",
] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];

/** What each key is for: `npm run secrets -- check` says what a missing one costs. */
export const SECRET_PURPOSES: Readonly<
  Record<SecretKey, { readonly required: boolean; readonly purpose: string }>
> = {
  UPSTASH_REDIS_REST_TOKEN: {
    required: true,
    purpose: "every function (Redis); without it every route answers 503",
  },
  STRIPE_WEBHOOK_SECRET: { required: false, purpose: "Stripe webhooks (refused with 401 without it)" },
  RAZORPAY_WEBHOOK_SECRET: { required: false, purpose: "Razorpay webhooks (refused with 401 without it)" },
  PAYU_MERCHANT_KEY: { required: false, purpose: "PayU webhooks (with PAYU_MERCHANT_SALT)" },
  PAYU_MERCHANT_SALT: { required: false, purpose: "PayU webhooks (with PAYU_MERCHANT_KEY)" },
  STRIPE_API_KEY: { required: false, purpose: "only with STRIPE_VERIFY_WITH_PROVIDER" },
  RAZORPAY_KEY_ID: { required: false, purpose: "only with RAZORPAY_VERIFY_WITH_PROVIDER" },
  RAZORPAY_KEY_SECRET: { required: false, purpose: "only with RAZORPAY_VERIFY_WITH_PROVIDER" },
};

/** How long a container trusts the secret it read before reading it again (FERRY_SECRETS_TTL_SECONDS). */
export const DEFAULT_SECRETS_TTL_SECONDS = 300;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Comma-separated secrets (rotation: every listed value is accepted). */
const secretList = z.pipe(
  z.pipe(
    z.string(),
    z.transform((s) =>
      s
        .split(",")
        .map((v) => v.trim())
        .filter((v) => v.length > 0),
    ),
  ),
  z.array(z.string()).check(z.minLength(1, "needs at least one non-empty value")),
);

const optionalUrl = z.optional(z.url());

const positiveInt = () => z.coerce.number().check(z.int(), z.positive());
const intAtLeast = (min: number) => z.coerce.number().check(z.int(), z.gte(min));
/** A coerced number that must be a fraction above 0, at most 1 (a rate). */
const rate = () => z.coerce.number().check(z.gt(0), z.lte(1));
const nonEmpty = () => z.string().check(z.minLength(1));

const rateLimitPolicy = z.strictObject({
  capacity: z.number().check(z.int(), z.positive()),
  refillPerSecond: z.number().check(z.positive()),
  /** `shadow`: decided and reported in headers, never refusing (to roll out a new limit). */
  mode: z.optional(z.enum(["enforce", "shadow"])),
});

const rateLimits = z.pipe(
  z.pipe(
    z.string(),
    z.transform((raw, ctx) => {
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        ctx.issues.push({ code: "custom", message: "is not valid JSON", input: raw });
        return z.NEVER;
      }
    }),
  ),
  // Any capacity ≥ 1 is valid: a request costing more is refused with a 422, not at cold start.
  z.partialRecord(z.enum(RATE_LIMIT_POLICIES), rateLimitPolicy),
);

export const configSchema = z.object({
  UPSTASH_REDIS_REST_URL: z.url(),
  UPSTASH_REDIS_REST_TOKEN: nonEmpty(),
  /** Per-call budget for Redis over REST, in milliseconds. */
  REDIS_TIMEOUT_MS: z._default(positiveInt(), 1000),
  EMAIL_FROM: z.optional(z.email()),
  STRIPE_WEBHOOK_SECRET: z.optional(secretList),
  RAZORPAY_WEBHOOK_SECRET: z.optional(secretList),
  PAYU_MERCHANT_KEY: z.optional(secretList),
  PAYU_MERCHANT_SALT: z.optional(secretList),
  /**
   * Verify with the provider (docs/payments.md), one switch per provider, off by default: before
   * applying a success or refund, the payment worker asks the provider's own API whether it is
   * real. Stripe needs a secret (or restricted, events:read) API key, Razorpay an API key id and
   * secret; PayU uses PAYU_MERCHANT_KEY and the first PAYU_MERCHANT_SALT. The URLs are the
   * providers' (override them for a test emulator or PayU's test environment).
   */
  STRIPE_VERIFY_WITH_PROVIDER: z._default(z.stringbool(), false),
  STRIPE_API_KEY: z.optional(nonEmpty()),
  STRIPE_API_URL: z._default(z.url(), "https://api.stripe.com"),
  RAZORPAY_VERIFY_WITH_PROVIDER: z._default(z.stringbool(), false),
  RAZORPAY_KEY_ID: z.optional(nonEmpty()),
  RAZORPAY_KEY_SECRET: z.optional(nonEmpty()),
  RAZORPAY_API_URL: z._default(z.url(), "https://api.razorpay.com"),
  PAYU_VERIFY_WITH_PROVIDER: z._default(z.stringbool(), false),
  PAYU_API_URL: z._default(z.url(), "https://info.payu.in"),
  /** Budget for one verification call, in milliseconds (the worker's timeout is 30 s). */
  PROVIDER_API_TIMEOUT_MS: z._default(positiveInt(), 5000),
  RATE_LIMITS: z.optional(rateLimits),
  /**
   * Rate limiter and Redis (shared/ratelimit/breaker.ts): how long one decision may wait for
   * Redis before that counts as an outage (ordinary latency must never trigger it), how many
   * errors in a row open the per-container breaker (a timeout opens it at once), and how long it
   * stays open, deciding without Redis as each policy declares, before one request probes again.
   */
  RATE_LIMIT_TIMEOUT_MS: z._default(positiveInt(), 1000),
  RATE_LIMIT_BREAKER_FAILURES: z._default(positiveInt(), 3),
  RATE_LIMIT_BREAKER_COOLDOWN_MS: z._default(positiveInt(), 1000),
  EMAIL_QUEUE_URL: optionalUrl,
  /** The SES events queue (the configuration set's destination delivers there). */
  EVENTS_QUEUE_URL: optionalUrl,
  PAYMENTS_QUEUE_URL: optionalUrl,
  /** API Gateway management endpoint (https://{api}.execute-api.{region}.amazonaws.com/{stage}). */
  WS_CALLBACK_URL: optionalUrl,
  /** The wss:// URL clients connect to. */
  WS_PUBLIC_URL: optionalUrl,
  AWS_REGION: z._default(nonEmpty(), "us-east-1"),
  /** Explicit endpoints: set by the local runtime and tests to point the real SDK at emulators. */
  AWS_ENDPOINT_URL_SQS: optionalUrl,
  AWS_ENDPOINT_URL_SESV2: optionalUrl,
  /** Email retries: full-jitter exponential backoff, delay = random(0, min(max, base × 2^(n-1))). */
  EMAIL_RETRY_BASE_SECONDS: z._default(intAtLeast(0), 2),
  EMAIL_RETRY_MAX_SECONDS: z._default(positiveInt().check(z.lte(43_200)), 900),
  /** An email still held back by an open SES circuit this long after acceptance is given up. */
  EMAIL_MAX_AGE_SECONDS: z._default(positiveInt(), 86_400),
  /** SES circuit breaker: this many throttles within the window open it for the cooldown. */
  SES_BREAKER_THRESHOLD: z._default(positiveInt(), 5),
  SES_BREAKER_WINDOW_MS: z._default(positiveInt(), 10_000),
  SES_BREAKER_COOLDOWN_MS: z._default(positiveInt(), 5_000),
  SES_BREAKER_MAX_COOLDOWN_MS: z._default(positiveInt(), 60_000),
  /**
   * SES calls (shared/aws/ses-client.ts): the request timeout of one SendEmail, in ms (a call that
   * gets no answer in time is classified by shared/email/ses-errors.ts), and the configuration set
   * every email is sent with, when the stack configures one.
   */
  SES_REQUEST_TIMEOUT_MS: z._default(positiveInt(), 10_000),
  SES_CONFIGURATION_SET: z.optional(nonEmpty()),
  /**
   * Account health (shared/delivery/reputation.ts): bounce and complaint rates over a sliding
   * window, judged once at least REPUTATION_MIN_SENT recipients were sent to in it, against limits
   * below AWS's review thresholds (5 % and 0.1 %). With REPUTATION_PAUSE on, reaching a limit
   * opens the SES circuit breaker with reason `reputation` for REPUTATION_PAUSE_SECONDS: sending
   * stops (emails wait in the queue) before AWS puts the account under review.
   */
  REPUTATION_WINDOW_SECONDS: z._default(intAtLeast(60), 86_400),
  REPUTATION_MAX_BOUNCE_RATE: z._default(rate(), 0.04),
  REPUTATION_MAX_COMPLAINT_RATE: z._default(rate(), 0.0008),
  REPUTATION_MIN_SENT: z._default(intAtLeast(1), 200),
  REPUTATION_PAUSE: z._default(z.stringbool(), false),
  REPUTATION_PAUSE_SECONDS: z._default(positiveInt(), 3600),
  /** Seconds a container trusts the secret it read before reading it again (rotation). */
  FERRY_SECRETS_TTL_SECONDS: z._default(intAtLeast(0), DEFAULT_SECRETS_TTL_SECONDS),
  /** Request body limit for JSON routes, in bytes. */
  MAX_BODY_BYTES: z._default(positiveInt(), 256 * 1024),
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

/** After a failed refresh, the values already read are kept and a read is tried again this soon. */
const RETRY_AFTER_FAILED_REFRESH_MS = 30_000;

function secretsTtlMs(env: NodeJS.ProcessEnv): number {
  const seconds = Number(env.FERRY_SECRETS_TTL_SECONDS ?? DEFAULT_SECRETS_TTL_SECONDS);
  return (Number.isFinite(seconds) && seconds >= 0 ? seconds : DEFAULT_SECRETS_TTL_SECONDS) * 1000;
}

/** The secret's string values; a secret that is not a JSON object is a configuration error. */
function secretValues(secret: string | undefined): Record<string, string> {
  let values: unknown;
  try {
    values = JSON.parse(secret ?? "{}");
  } catch {
    throw new ConfigError("FERRY_SECRETS_ARN: the secret is not a JSON object");
  }
  if (typeof values !== "object" || values === null || Array.isArray(values)) {
    throw new ConfigError("FERRY_SECRETS_ARN: the secret is not a JSON object");
  }
  return Object.fromEntries(
    Object.entries(values).filter((e): e is [string, string] => typeof e[1] === "string"),
  );
}

interface SecretRead {
  readonly env: Record<string, string | undefined>;
  readonly secretString: string | undefined;
  readonly readAt: number;
}

let lastRead: SecretRead | undefined;
let reading: Promise<Record<string, string | undefined>> | undefined;

async function readEnvironment(arn: string): Promise<Record<string, string | undefined>> {
  const { readSecretString } = await import("#shared/aws/secrets.ts");
  try {
    const secretString = await readSecretString(arn);
    // Unchanged: the same object, so whatever was built from it (clients, limiters) is kept.
    if (lastRead && lastRead.secretString === secretString) {
      lastRead = { ...lastRead, readAt: Date.now() };
      return lastRead.env;
    }
    const env = { ...process.env, ...secretValues(secretString) };
    lastRead = { env, secretString, readAt: Date.now() };
    return env;
  } catch (error) {
    if (!lastRead) throw error;
    // A Secrets Manager hiccup must not stop a container that has working values.
    lastRead = {
      ...lastRead,
      readAt: Date.now() - secretsTtlMs(process.env) + RETRY_AFTER_FAILED_REFRESH_MS,
    };
    return lastRead.env;
  }
}

/**
 * The container's environment with its secret (FERRY_SECRETS_ARN) overlaid. The secret is read at
 * cold start and again once FERRY_SECRETS_TTL_SECONDS (300) have passed, so a rotated token or a
 * newly filled secret reaches warm containers without a deploy. The same object comes back until
 * the secret's value changes. A failed first read is not cached: the next invocation tries again.
 */
export function loadEnvironment(): Promise<Record<string, string | undefined>> {
  const arn = process.env.FERRY_SECRETS_ARN;
  if (!arn) return Promise.resolve(process.env);
  if (lastRead && Date.now() - lastRead.readAt < secretsTtlMs(process.env))
    return Promise.resolve(lastRead.env);
  reading ??= readEnvironment(arn).finally(() => {
    reading = undefined;
  });
  return reading;
}

/** Forgets the secret read (tests that change the secret between cases). */
export function forgetSecretRead(): void {
  lastRead = undefined;
}

/** The container's configuration, without any function's requirements (scripts and tests). */
export async function getConfig(): Promise<Config> {
  return parseConfig(await loadEnvironment());
}

/**
 * Ferry's rate-limit policies: built-in defaults, overridden per policy by the RATE_LIMITS
 * environment variable (`{"<policy>": {"capacity": n, "refillPerSecond": r}}`, parsed and
 * validated by shared/config.ts, so invalid JSON fails at cold start naming RATE_LIMITS).
 *
 * Each policy also declares what it does when Redis cannot decide within the budget. Webhooks
 * fail OPEN: a provider's payment event must never be dropped because Redis is down (the handler
 * verifies the signature anyway). The general `api` policy fails open too (API Gateway's own
 * throttling still bounds traffic). `emails` fails CLOSED: an unlimited send burst costs money and
 * sender reputation, and the email route needs Redis for idempotency and tasks anyway.
 * (An API-key route needs Redis to authenticate at all, so without Redis it answers 503 whatever
 * its policies declare: the declared modes decide for routes that do not, such as webhooks.)
 */
import "#shared/zod/messages.ts";
import { RATE_LIMIT_POLICIES, type RateLimitPolicyName } from "#shared/app/types.ts";
import { type Config, ConfigError, configSchema } from "#shared/config.ts";

export type FailureMode = "open" | "closed";

/** `shadow`: decided and reported in the headers, but its denials refuse nothing. */
export type EnforcementMode = "enforce" | "shadow";

/** What the limiter needs to know about a policy. */
export interface RateLimitPolicy {
  readonly name: string;
  /** Bucket size: the largest burst, in units. */
  readonly capacity: number;
  /** Units restored per second, continuously. */
  readonly refillPerSecond: number;
  /** Decision when Redis is down, slow or erroring. */
  readonly onRedisFailure: FailureMode;
  /** Default `enforce`. A shadow policy is how a new limit is rolled out safely. */
  readonly mode?: EnforcementMode;
}

/** Whose bucket a request draws from, and how much it costs. */
export interface FerryRateLimitPolicy extends RateLimitPolicy {
  readonly name: RateLimitPolicyName;
  readonly subject: "apiKey" | "sourceIp";
  readonly cost: "one" | "recipients";
}

export type FerryPolicies = Readonly<Record<RateLimitPolicyName, FerryRateLimitPolicy>>;

export const DEFAULT_POLICIES: FerryPolicies = {
  // 100-request burst, 10/s sustained per API key on every authenticated route.
  api: {
    name: "api",
    capacity: 100,
    refillPerSecond: 10,
    onRedisFailure: "open",
    subject: "apiKey",
    cost: "one",
  },
  // Recipients per API key: a full 50-recipient request always fits; 2/s ≈ 7,200 recipients/hour.
  emails: {
    name: "emails",
    capacity: 100,
    refillPerSecond: 2,
    onRedisFailure: "closed",
    subject: "apiKey",
    cost: "recipients",
  },
  // Per source IP: providers deliver in bursts (retries after an outage).
  webhooks: {
    name: "webhooks",
    capacity: 200,
    refillPerSecond: 20,
    onRedisFailure: "open",
    subject: "sourceIp",
    cost: "one",
  },
};

/** Defaults with the RATE_LIMITS overrides (already validated by the config schema) applied. */
export function resolvePolicies(overrides: Config["RATE_LIMITS"]): FerryPolicies {
  const entries = RATE_LIMIT_POLICIES.map((name) => {
    const override = overrides?.[name];
    return [name, override ? { ...DEFAULT_POLICIES[name], ...override } : DEFAULT_POLICIES[name]] as const;
  });
  return Object.fromEntries(entries) as unknown as FerryPolicies;
}

/**
 * Parses RATE_LIMITS alone with the config schema's own rule (for tools such as the bench that
 * do not load the whole configuration). Throws a ConfigError naming RATE_LIMITS.
 */
export function policiesFromEnvironment(
  env: Record<string, string | undefined> = process.env,
): FerryPolicies {
  const raw = env.RATE_LIMITS === "" ? undefined : env.RATE_LIMITS;
  const parsed = configSchema.shape.RATE_LIMITS.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => [...i.path].join(".") || "(root)");
    const messages = parsed.error.issues.map(
      (i, n) => `${problems[n] === "(root)" ? "" : `${problems[n]}: `}${i.message}`,
    );
    throw new ConfigError(`Invalid configuration: RATE_LIMITS: ${messages.join("; ")}`);
  }
  return resolvePolicies(parsed.data);
}

/**
 * Emission interval in whole microseconds per unit, rounded UP: the limiter never admits faster
 * than the configured rate (at most 1 µs per unit slower, e.g. 333,334 µs for 3/s).
 */
export function intervalMicros(policy: Pick<RateLimitPolicy, "refillPerSecond">): number {
  return Math.max(1, Math.ceil(1e6 / policy.refillPerSecond - 1e-6));
}

/**
 * Each local function's environment: what the stack gives that function on AWS (defaults,
 * settings, its needs' variables from shared/app/needs.ts) plus what Lambda itself sets, and
 * nothing else. A handler that reads a variable its function does not get therefore fails
 * locally and in tests as it would on AWS. Differences, on purpose: the secrets are plain
 * variables here unless an external Secrets Manager is configured (then they are read from it by
 * reference, FERRY_SECRETS_ARN, as on AWS), and the AWS endpoints point at the local AWS edge.
 */
import {
  type EnvSource,
  environmentOfNeeds,
  FUNCTION_NEEDS,
  type FunctionNeed,
  type QueueName,
} from "#shared/app/manifest.ts";
import { configSchema, SECRET_KEYS } from "#shared/config.ts";
import { DEFAULT_FUNCTION_ENVIRONMENT } from "../../function-environment.ts";

/** Dev-only values, printed at start; any value already in the environment wins. */
export const DEV_DEFAULTS = {
  EMAIL_FROM: "ferry@ferry.local",
  STRIPE_WEBHOOK_SECRET: "whsec_ferry_local_development_secret",
  RAZORPAY_WEBHOOK_SECRET: "ferry-local-razorpay-webhook-secret",
  PAYU_MERCHANT_KEY: "ferry-local-payu-key",
  PAYU_MERCHANT_SALT: "ferry-local-payu-salt",
} as const;

/** The configuration set every local send names (the stack creates its own on AWS). */
export const LOCAL_SES_CONFIGURATION_SET = "ferry-local";

/** What the local runtime started that needs' variables point at. */
export interface LocalTargets {
  readonly upstash: { readonly url: string; readonly token: string };
  readonly region: string;
  readonly sqsEndpoint: string;
  readonly sesEndpoint: string;
  readonly queueUrls: Partial<Record<QueueName, { readonly url: string }>>;
  readonly callbackUrl: string;
  readonly wsUrl: string;
  /**
   * The secret the functions read by reference, and the edge in front of its Secrets Manager
   * (FERRY_LOCAL_SECRETS_ENDPOINT): no secret then reaches a function as a plain variable.
   */
  readonly secrets?: { readonly endpoint: string; readonly arn: string } | undefined;
}

/**
 * The settings every function gets, like the stack's settings: dev defaults, then any variable
 * of the configuration schema found in the outer environment (RATE_LIMITS, EMAIL_RETRY_*, …),
 * then the caller's overrides. Need variables among them reach only functions with the need.
 */
export function localSettings(
  outer: Readonly<Record<string, string | undefined>>,
  overrides: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const known = new Set([
    ...Object.keys(configSchema.shape),
    "LOG_LEVEL",
    "POWERTOOLS_LOG_LEVEL",
    "POWERTOOLS_METRICS_DISABLED",
  ]);
  const fromOuter = Object.fromEntries(
    Object.entries(outer).filter(
      (e): e is [string, string] => known.has(e[0]) && e[1] !== undefined && e[1] !== "",
    ),
  );
  // The runtime's own knobs (FERRY_LOCAL_*: endpoints, credentials, latency) are not settings of
  // a function: the stack would never give them one.
  const settings = Object.fromEntries(
    Object.entries(overrides).filter(([k]) => !k.startsWith("FERRY_LOCAL_")),
  );
  // EMF metric lines are for CloudWatch; on a terminal they drown the logs (=false shows them).
  // Every send names a configuration set, as the stack's own set makes it on AWS (and local IAM
  // checks the grant on it); its events come from the local mailbox simulator.
  return {
    ...DEV_DEFAULTS,
    SES_CONFIGURATION_SET: LOCAL_SES_CONFIGURATION_SET,
    POWERTOOLS_METRICS_DISABLED: "true",
    ...fromOuter,
    ...settings,
  };
}

/** Every variable any need sets: withheld from functions that lack the need. */
const NEED_VARIABLES = new Set(Object.keys(environmentOfNeeds(FUNCTION_NEEDS)));

function resolve(
  source: EnvSource,
  targets: LocalTargets,
  settings: Readonly<Record<string, string>>,
): string | undefined {
  switch (source.kind) {
    case "queueUrl":
      return targets.queueUrls[source.queue]?.url;
    case "emailFrom":
      return settings.EMAIL_FROM;
    case "webSocketCallbackUrl":
      return targets.callbackUrl;
    case "webSocketPublicUrl":
      return targets.wsUrl;
    case "sesConfigurationSet":
      return settings.SES_CONFIGURATION_SET;
  }
}

/** The access key a function's sandbox signs its AWS calls with: local IAM knows its role by it. */
export const accessKeyOf = (functionName: string): string => `LOCAL${functionName}`;

export interface LocalFunction {
  readonly name: string;
  readonly memoryMb: number;
  readonly needs?: readonly FunctionNeed[];
}

/** The whole environment of one function's sandbox. */
export function functionEnvironment(
  fn: LocalFunction,
  targets: LocalTargets,
  settings: Readonly<Record<string, string>>,
): Record<string, string> {
  const needs = fn.needs ?? [];
  const needVariables: Record<string, string> = {};
  for (const [variable, source] of Object.entries(environmentOfNeeds(needs))) {
    // An override of a need's variable (a test's EMAIL_FROM, say) wins over the resolved value.
    const value = settings[variable] ?? resolve(source, targets, settings);
    if (value !== undefined) needVariables[variable] = value;
  }
  const secretKeys = new Set<string>(SECRET_KEYS);
  const byReference = targets.secrets;
  const plainSettings = Object.fromEntries(
    Object.entries(settings).filter(([k]) => !NEED_VARIABLES.has(k) && !(byReference && secretKeys.has(k))),
  );
  const secrets: Record<string, string> = byReference
    ? { FERRY_SECRETS_ARN: byReference.arn, AWS_ENDPOINT_URL_SECRETS_MANAGER: byReference.endpoint }
    : {
        ...Object.fromEntries(SECRET_KEYS.flatMap((k) => (settings[k] ? [[k, settings[k]]] : []))),
        UPSTASH_REDIS_REST_TOKEN: targets.upstash.token,
      };
  return {
    ...DEFAULT_FUNCTION_ENVIRONMENT,
    ...plainSettings,
    UPSTASH_REDIS_REST_URL: targets.upstash.url,
    ...secrets,
    // Always the local AWS edge; a caller's endpoint setting moves what the edge forwards to.
    AWS_ENDPOINT_URL_SQS: targets.sqsEndpoint,
    AWS_ENDPOINT_URL_SESV2: targets.sesEndpoint,
    ...needVariables,
    // What Lambda sets in every function's environment.
    AWS_REGION: targets.region,
    AWS_DEFAULT_REGION: targets.region,
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
    // Credentials of the function's own role: local IAM tells the functions apart by them, and
    // real ones must never be used locally.
    AWS_ACCESS_KEY_ID: accessKeyOf(fn.name),
    AWS_SECRET_ACCESS_KEY: "local",
    // Lambda runs Node 22; the SDK's warning about the local Node 20 would repeat per sandbox.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
}

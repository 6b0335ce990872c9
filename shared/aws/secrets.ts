/**
 * Reads the container's secret (FERRY_SECRETS_ARN) at cold start and after each TTL. Loaded with a
 * dynamic import by shared/config.ts, so a function pays for it only when a secret is configured.
 *
 * Why not @aws-sdk/client-secrets-manager: it is the only AWS client most functions load, and with
 * it comes the SDK's whole core (@smithy/core, @aws-sdk/core, the credential chain, retries):
 * ~210 KB of each such bundle and ~25 ms of its module init, measured with esbuild's metafile
 * (BENCHMARKS.md), for one signed POST per TTL. This is that POST: the Secrets Manager JSON
 * protocol, signed with SigV4 (./sigv4.ts), with the same budget the SDK client had (attempts,
 * per-attempt timeout, full-jitter backoff) and the SDK's error names (`ResourceNotFoundException`,
 * `TimeoutError`…). The endpoint is the SDK's: AWS_ENDPOINT_URL_SECRETS_MANAGER overrides it.
 * Credentials come from the environment, as Lambda gives a function its role's.
 */
import type { CallBudget } from "./http-handler.ts";
import { type AwsCredentials, signRequest } from "./sigv4.ts";
import { tracedCall } from "./tracer.ts";

/** A cold start waits for this, inside the first invocation: give up in ~4 s, not at the timeout. */
export const SECRETS_BUDGET: CallBudget = {
  connectionTimeoutMs: 1000,
  requestTimeoutMs: 2000,
  maxAttempts: 2,
};

/**
 * An error Secrets Manager answered (its `__type`) or a transport failure, named as the SDK names
 * them, with the SDK's `$metadata` (status, request id, attempts made).
 */
export class SecretsManagerError extends Error {
  readonly $metadata: { httpStatusCode?: number; requestId?: string; attempts: number };
  constructor(
    override readonly name: string,
    message: string,
    readonly httpStatusCode?: number,
    requestId?: string,
  ) {
    super(message);
    this.$metadata = {
      attempts: 1,
      ...(httpStatusCode !== undefined ? { httpStatusCode } : {}),
      ...(requestId ? { requestId } : {}),
    };
  }
}

function credentials(env: NodeJS.ProcessEnv): AwsCredentials {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = env;
  if (!accessKeyId || !secretAccessKey) {
    throw new SecretsManagerError(
      "CredentialsProviderError",
      "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (Lambda sets them from the function's role)",
    );
  }
  return {
    accessKeyId,
    secretAccessKey,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
  };
}

/** The region the secret lives in: the SDK's AWS_REGION, else the ARN's own. */
function regionOf(secretId: string, env: NodeJS.ProcessEnv): string {
  return env.AWS_REGION || env.AWS_DEFAULT_REGION || secretId.split(":")[3] || "us-east-1";
}

/** Retried as the SDK's standard mode retries: throttling, 5xx and transport failures. */
const retryable = (error: SecretsManagerError) =>
  error.httpStatusCode === undefined ||
  error.httpStatusCode >= 500 ||
  error.httpStatusCode === 429 ||
  /Throttl|TooManyRequests|RequestLimitExceeded/.test(error.name);

async function attempt(
  url: URL,
  region: string,
  body: string,
  awsCredentials: AwsCredentials,
): Promise<string | undefined> {
  const headers = signRequest({
    url,
    region,
    service: "secretsmanager",
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": "secretsmanager.GetSecretValue",
    },
    body,
    credentials: awsCredentials,
  });
  let response: Response;
  let text: string;
  try {
    // One signal for the whole attempt (connect, headers and body), as the SDK's request and socket
    // timeouts together bound it; the connect timeout lies inside it.
    const signal = AbortSignal.timeout(SECRETS_BUDGET.requestTimeoutMs);
    response = await fetch(url, { method: "POST", headers, body, signal });
    text = await response.text();
  } catch (error) {
    if ((error as Error).name === "TimeoutError") {
      throw new SecretsManagerError(
        "TimeoutError",
        `GetSecretValue: no answer within requestTimeout (${SECRETS_BUDGET.requestTimeoutMs} ms)`,
      );
    }
    throw new SecretsManagerError("NetworkingError", `GetSecretValue: ${(error as Error).message}`);
  }
  let parsed: { SecretString?: unknown; __type?: unknown; message?: unknown; Message?: unknown } = {};
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    // A non-JSON answer (a proxy's error page): named by its status below.
  }
  if (!response.ok) {
    const type = response.headers.get("x-amzn-errortype") ?? String(parsed.__type ?? "");
    const name = type.split(":")[0]?.split("#").pop() || `HTTP${response.status}`;
    throw new SecretsManagerError(
      name,
      String(parsed.message ?? parsed.Message ?? name),
      response.status,
      response.headers.get("x-amzn-requestid") ?? undefined,
    );
  }
  return typeof parsed.SecretString === "string" ? parsed.SecretString : undefined;
}

export async function readSecretString(secretId: string): Promise<string | undefined> {
  const region = regionOf(secretId, process.env);
  const url = new URL(
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER || `https://secretsmanager.${region}.amazonaws.com/`,
  );
  const body = JSON.stringify({ SecretId: secretId });
  const awsCredentials = credentials(process.env);
  return tracedCall({ service: "SecretsManager", operation: "GetSecretValue", region }, async () => {
    for (let n = 1; ; n++) {
      try {
        return await attempt(url, region, body, awsCredentials);
      } catch (error) {
        if (!(error instanceof SecretsManagerError)) throw error;
        error.$metadata.attempts = n;
        if (n >= SECRETS_BUDGET.maxAttempts || !retryable(error)) throw error;
        // Full jitter below 100 ms × 2^(n-1), as the SDK's standard retry strategy waits.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 100 * 2 ** (n - 1)));
      }
    }
  });
}
